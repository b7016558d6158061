"""The ingest pipeline, pure: a file's bytes + metadata -> a prepared document.

load (+ OCR of scanned PDF pages: ingest/ocr.py) -> clean -> outline -> chunk -> targets -> embed
(cached by content hash). No store is read or written here: the writer
(``ingest/index.py``) decides what to do with the result, under its lock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from planchat.config import Settings
from planchat.errors import NoTextLayer
from planchat.records import Chunk, CleanText, DocumentMeta, LoadedText, Outline, PageText, Target

from .chunk import chunk_document
from .clean import clean
from .embedders import Embedder
from .loaders import load_bytes
from .ocr import PageOcr
from .outline import build_outline
from .target_extraction import extract_targets

# Bump when cleaning or chunking changes what a document turns into.
# 16: scanned PDF pages are read by OCR; chunks, citations and targets carry ``ocr``.
PIPELINE_VERSION = "16"

Progress = Callable[[int, int], None]
# Where an ingest is: stage(name, pages read, pages of the file or None: before it is loaded, and for files
# without pages). Names: loading, ocr (once per scanned page read), cleaning, chunking, embedding (the chunks
# then go through Progress), storing (PlanIndex.ingest_bytes).
Stage = Callable[[str, int, int | None], None]


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
    empty_pages: int = 0  # pages left without text (no text layer, and OCR found none or did not run)
    ocr_pages: int = 0  # pages without a text layer whose text OCR recognised (ingest/ocr.py)
    ocr_confidence: float | None = None  # mean word confidence (0-100) over the OCR'd pages; None: no OCR
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
    ocr_pages: int = 0
    ocr_confidence: float | None = None


def content_hash(data: bytes, meta: DocumentMeta, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(f"pipeline={PIPELINE_VERSION};chunk_tokens={settings.chunk_tokens}\0".encode())
    if b"%PDF" in data[:1024]:  # what OCR can read decides a PDF's text: installing tesseract re-reads it
        h.update(f"{PageOcr.from_settings(settings).signature()}\0".encode())
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
    report = stage or _no_stage
    report("loading", 0, None)
    ocr = PageOcr.from_settings(settings)
    if stage is not None:
        told: Stage = stage

        def ocr_read(done: int, total: int) -> None:
            told("ocr", done, total)

        ocr = replace(ocr, progress=ocr_read)
    loaded = load_bytes(data, name, ocr)
    pages, empty_pages = page_counts(loaded)
    report("cleaning", pages or 0, pages)
    clean_text = clean(loaded)
    if not clean_text.text.strip():
        raise NoTextLayer(f"{meta.source or meta.doc_id}: no text left after cleaning. Nothing was ingested.")
    outline = build_outline(clean_text)
    report("chunking", pages or 0, pages)
    chunks = chunk_document(clean_text, meta, max_tokens=settings.chunk_tokens, outline=outline)
    targets = extract_targets(clean_text.text, chunks, meta)
    before_misses = getattr(embedder, "misses", 0)
    report("embedding", pages or 0, pages)
    vectors = embed_chunks(chunks, embedder, settings.embed_batch_size, progress)
    scanned = [p for p in loaded.pages if p.ocr]
    return PreparedDocument(
        meta=meta, content_hash=digest, clean=clean_text, outline=outline, chunks=chunks,
        targets=targets, vectors=vectors,
        pages=pages, empty_pages=empty_pages,
        embedded=getattr(embedder, "misses", len(chunks)) - before_misses,
        warnings=warnings_for(chunks, pages, empty_pages, embedder, ocr.unavailable())
        + ocr_warnings(scanned, settings.ocr_min_confidence),
        ocr_pages=len(scanned), ocr_confidence=mean_confidence(scanned),
    )  # fmt: skip


def _no_stage(name: str, done: int, pages: int | None) -> None:
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


def mean_confidence(scanned: list[PageText]) -> float | None:
    """The mean word confidence over OCR'd pages (each page's mean, weighted alike); None without OCR."""
    values = [p.confidence for p in scanned if p.confidence is not None]
    return round(sum(values) / len(values), 1) if values else None


def ocr_warnings(scanned: list[PageText], min_confidence: float) -> list[str]:
    """One warning per OCR'd page read with a mean word confidence under the threshold."""
    return [
        f"page {p.number} was read by OCR with a low mean confidence ({p.confidence:.0f} of 100, under "
        f"{min_confidence:g}): its text is likely to hold recognition errors. Check the scan, or upload the text."
        for p in scanned
        if p.confidence is not None and p.confidence < min_confidence
    ]


def warnings_for(
    chunks: list[Chunk], pages: int | None, empty_pages: int, embedder: Embedder, no_ocr: str | None = None
) -> list[str]:
    warnings = []
    if pages and empty_pages and no_ocr:
        warnings.append(
            f"{empty_pages} of {pages} pages have no text layer (scanned?); they are not searchable. {no_ocr}"
        )
    elif pages and empty_pages:
        warnings.append(
            f"{empty_pages} of {pages} pages have no text layer and OCR found no text on them (or gave up after "
            "PLANCHAT_OCR_PAGE_TIMEOUT_S); they are not searchable."
        )
    too_long = sum(1 for c in chunks if embedder.token_count(dense_text(c)) > embedder.max_tokens)
    if too_long:
        warnings.append(
            f"{too_long} chunk(s) exceed the embedder's {embedder.max_tokens}-token limit; dense search sees "
            "only their beginning. Lower PLANCHAT_CHUNK_TOKENS."
        )
    return warnings
