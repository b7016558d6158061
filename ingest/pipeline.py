"""The ingest pipeline, pure: a file's bytes + metadata -> a prepared document.

load -> clean -> outline -> chunk -> targets -> embed (cached by content hash). No store
is read or written here: the writer (``ingest/index.py``) decides what to do
with the result, under its lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from planchat.config import Settings
from planchat.errors import NoTextLayer
from planchat.records import Chunk, CleanText, DocumentMeta, LoadedText, Outline, Target

from .chunk import chunk_document
from .clean import clean
from .embedders import Embedder
from .loaders import load_bytes
from .outline import build_outline
from .target_extraction import extract_targets

# Bump when cleaning or chunking changes what a document turns into.
PIPELINE_VERSION = "15"

Progress = Callable[[int, int], None]
# Where an ingest is: stage(name, pages of the file once loaded, None before or for text files). Names: loading,
# cleaning, chunking, embedding (the chunks then go through Progress), storing (PlanIndex.ingest_bytes).
Stage = Callable[[str, int | None], None]


def dense_text(chunk: Chunk) -> str:
    """What the dense model sees: where the chunk comes from, then the chunk.
    The municipality and title help e5 (measured); BM25 gets no title."""
    head = f"{chunk.municipality}: {chunk.title}"
    if chunk.section:
        head += f" › {chunk.section}"
    parts = [head, chunk.context, chunk.text]
    return "\n".join(p for p in parts if p)


@dataclass
class IngestReport:
    doc_id: str
    status: str  # "added", "updated", "unchanged", "removed"
    chunks: int = 0
    targets: int = 0  # quantitative targets extracted (ingest/target_extraction.py)
    embedded: int = 0  # chunks that needed a model call (not in the cache)
    pages: int | None = None
    empty_pages: int = 0  # pages without a text layer (scanned?), not searchable
    chars: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreparedDocument:
    """Everything the writer stores for one document."""

    meta: DocumentMeta
    content_hash: str
    clean: CleanText
    outline: Outline
    chunks: list[Chunk]
    targets: list[Target]
    vectors: np.ndarray  # one row per chunk
    pages: int | None
    empty_pages: int
    embedded: int
    warnings: list[str]


def content_hash(data: bytes, meta: DocumentMeta, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(f"pipeline={PIPELINE_VERSION};chunk_tokens={settings.chunk_tokens}\0".encode())
    h.update(json.dumps(asdict(meta), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


def prepare_document(
    data: bytes,
    name: str,
    meta: DocumentMeta,
    digest: str,
    settings: Settings,
    embedder: Embedder,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> PreparedDocument:
    """Load, clean, chunk, extract targets and embed one file. Raises the
    loaders' DocumentErrors, or NoTextLayer when nothing is left to index.
    ``stage`` hears where it is (a background job's progress), ``progress`` the chunks embedded."""
    stage = stage or _no_stage
    stage("loading", None)
    loaded = load_bytes(data, name)
    pages, empty_pages = page_counts(loaded)
    stage("cleaning", pages)
    clean_text = clean(loaded)
    if not clean_text.text.strip():
        raise NoTextLayer(f"{meta.source or meta.doc_id}: no text left after cleaning. Nothing was ingested.")
    outline = build_outline(clean_text)
    stage("chunking", pages)
    chunks = chunk_document(clean_text, meta, max_tokens=settings.chunk_tokens, outline=outline)
    targets = extract_targets(clean_text.text, chunks, meta)
    before_misses = getattr(embedder, "misses", 0)
    stage("embedding", pages)
    vectors = embed_chunks(chunks, embedder, settings.embed_batch_size, progress)
    return PreparedDocument(
        meta=meta, content_hash=digest, clean=clean_text, outline=outline, chunks=chunks,
        targets=targets, vectors=vectors,
        pages=pages, empty_pages=empty_pages,
        embedded=getattr(embedder, "misses", len(chunks)) - before_misses,
        warnings=warnings_for(chunks, pages, empty_pages, embedder),
    )  # fmt: skip


def _no_stage(name: str, pages: int | None) -> None:
    return None


def embed_chunks(chunks: list[Chunk], embedder: Embedder, batch_size: int, progress: Progress | None = None):
    texts = [dense_text(c) for c in chunks]
    batch = max(1, batch_size)
    parts = []
    for i in range(0, len(texts), batch):
        parts.append(embedder.embed_passages(texts[i : i + batch]))
        if progress:
            progress(min(i + batch, len(texts)), len(texts))
    return np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)


def page_counts(loaded: LoadedText) -> tuple[int | None, int]:
    """(pages, pages without a text layer); None and 0 for formats without pages."""
    if loaded.pages[0].number is None:
        return None, 0
    return len(loaded.pages), sum(1 for p in loaded.pages if not p.text.strip())


def warnings_for(chunks: list[Chunk], pages: int | None, empty_pages: int, embedder: Embedder) -> list[str]:
    warnings = []
    if pages and empty_pages:
        warnings.append(f"{empty_pages} of {pages} pages have no text layer (scanned?); they are not searchable.")
    too_long = sum(1 for c in chunks if embedder.token_count(dense_text(c)) > embedder.max_tokens)
    if too_long:
        warnings.append(
            f"{too_long} chunk(s) exceed the embedder's {embedder.max_tokens}-token limit; dense search sees "
            "only their beginning. Lower PLANCHAT_CHUNK_TOKENS."
        )
    return warnings
