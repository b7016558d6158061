"""The plan index: one object that keeps the document store, Chroma and BM25
in step, and the ingest pipeline that feeds it.

load -> clean -> chunk -> embed (cached by content hash) -> store.

Write order (so a crash at any point is repairable from the document store,
the source of truth): new vectors are upserted into Chroma, then the
document's chunks are swapped in the document store in one transaction,
then stale vectors are deleted and BM25 is rebuilt and swapped in whole.
``check_consistency`` (run at start-up) removes vectors no chunk owns,
re-adds missing ones from the embedding cache, and rebuilds BM25 when its
fingerprint does not match.

Idempotence: a document whose content hash (raw bytes + metadata + pipeline
version + chunk size) is unchanged is skipped without any embedding work.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from contextlib import contextmanager

import numpy as np
import logging
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Optional

from planchat.config import Settings
from planchat.records import Chunk, DocumentMeta, LoadedText, Target

from .chunk import chunk_document
from .clean import clean
from .embedders import Embedder, build_embedder
from .loaders import load_bytes
from .manifest import read_manifest
from .targets import TARGETS_VERSION, extract_targets
from .stores.docstore import DocStore
from .stores.lexical import BM25Index, fingerprint
from .stores.vectors import ChromaVectorStore, collection_name, make_client

log = logging.getLogger(__name__)

# Bump when cleaning or chunking changes what a document turns into.
PIPELINE_VERSION = "9"


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
    targets: int = 0  # quantitative targets extracted (ingest/targets.py)
    embedded: int = 0  # chunks that needed a model call (not in the cache)
    pages: Optional[int] = None
    empty_pages: int = 0  # pages without a text layer (scanned?), not searchable
    chars: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def content_hash(data: bytes, meta: DocumentMeta, settings: Settings) -> str:
    h = hashlib.sha256()
    h.update(f"pipeline={PIPELINE_VERSION};chunk_tokens={settings.chunk_tokens}\0".encode())
    h.update(json.dumps(asdict(meta), sort_keys=True, ensure_ascii=False).encode("utf-8"))
    h.update(b"\0")
    h.update(data)
    return h.hexdigest()


class PlanIndex:
    def __init__(self, settings: Settings, embedder: Optional[Embedder] = None, client=None):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder if embedder is not None else build_embedder(settings)
        self.docstore = DocStore(settings.docstore_path)
        self.vectors = ChromaVectorStore(client or make_client(settings), collection_name(self.embedder.name))
        self._write_lock = threading.RLock()
        self._chunks: dict[str, Chunk] = {}
        self._documents: dict[str, DocumentMeta] = {}
        self._targets: dict[str, list[Target]] = {}
        self.bm25: BM25Index = BM25Index.build([])
        self.generation = 0  # bumped on every reload, so readers can refresh derived state
        self._loaded_token: Optional[str] = None
        self._lock_depth = 0
        self._lock_file = None
        with self._writing():
            self.reload()

    @contextmanager
    def _writing(self):
        """The write lock: a thread lock plus an exclusive flock on
        data_dir/write.lock, so writers in several processes (API workers,
        `planchat ingest`) take turns. Re-entrant within a thread."""
        with self._write_lock:
            if self._lock_depth == 0:
                self._lock_file = open(self.settings.data_dir / "write.lock", "a+")
                fcntl.flock(self._lock_file, fcntl.LOCK_EX)
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    fcntl.flock(self._lock_file, fcntl.LOCK_UN)
                    self._lock_file.close()
                    self._lock_file = None

    # -- state --------------------------------------------------------------
    def reload(self) -> None:
        """Re-read chunks and documents from the document store; load or rebuild BM25."""
        # Everything is built first and swapped in together, so a reader sees
        # the old or the new state, for the shortest possible moment a mix
        # (and retrievers skip chunk ids the current map does not hold).
        token = self.docstore.write_token()
        chunks = self.docstore.chunks()
        by_id = {c.chunk_id: c for c in chunks}
        documents = {d["meta"].doc_id: d["meta"] for d in self.docstore.documents()}
        targets = self._load_targets(chunks, documents)
        ids = [c.chunk_id for c in chunks]
        loaded = BM25Index.load(self.settings.bm25_dir)
        if loaded is None or loaded.fingerprint != fingerprint(ids):
            loaded = BM25Index.build(chunks)
            loaded.save(self.settings.bm25_dir)
        self._chunks, self._documents, self._targets, self.bm25 = by_id, documents, targets, loaded
        self._loaded_token = token
        self.generation += 1

    def refresh_if_stale(self) -> bool:
        """Reload when another process (an API worker, `planchat ingest`) has
        written to the shared document store since this one loaded it. One
        small SQLite read when nothing changed; called per request."""
        if self.docstore.write_token() == self._loaded_token:
            return False
        with self._writing():
            if self.docstore.write_token() != self._loaded_token:
                self.reload()
                return True
        return False

    def _load_targets(self, chunks: list[Chunk], documents: dict[str, DocumentMeta]) -> dict[str, list[Target]]:
        """Stored targets; documents stored by an older extractor are re-extracted
        from their stored clean text (no re-ingest, no embedding)."""
        stored = self.docstore.targets()
        out = {}
        for doc_id, meta in documents.items():
            version, targets = stored.get(doc_id, (None, []))
            if version != TARGETS_VERSION:
                doc_chunks = [c for c in chunks if c.doc_id == doc_id]
                targets = extract_targets(self.docstore.clean_text(doc_id) or "", doc_chunks, meta)
                self.docstore.put_targets(doc_id, TARGETS_VERSION, targets)
            out[doc_id] = targets
        return out

    def _rebuild_bm25(self, chunks: list[Chunk]) -> None:
        index = BM25Index.build(chunks)
        index.save(self.settings.bm25_dir)
        self.bm25 = index

    @property
    def documents(self) -> dict[str, DocumentMeta]:
        return self._documents

    def targets(self, doc_id: Optional[str] = None) -> list[Target]:
        """The extracted targets of one document, or of all in doc_id order."""
        if doc_id is not None:
            return list(self._targets.get(doc_id, []))
        return [t for d in sorted(self._targets) for t in self._targets[d]]

    def chunk(self, chunk_id: str) -> Optional[Chunk]:
        return self._chunks.get(chunk_id)

    def chunks_of(self, doc_ids: set[str]) -> set[str]:
        return {cid for cid, c in self._chunks.items() if c.doc_id in doc_ids}

    def document_records(self) -> list[dict]:
        return self.docstore.documents()

    def is_empty(self) -> bool:
        return not self._documents

    # -- writes -------------------------------------------------------------
    def ingest_bytes(
        self, data: bytes, name: str, meta: DocumentMeta, progress: Optional[Callable[[int, int], None]] = None
    ) -> IngestReport:
        """Ingest one file's bytes as ``meta.doc_id`` (replacing an older
        version). ``progress(done, total)`` is called as chunks are embedded."""
        started = time.perf_counter()
        digest = content_hash(data, meta, self.settings)
        existing = self.docstore.document(meta.doc_id)
        if existing and existing["content_hash"] == digest:
            stored = existing.get("report") or {}
            return IngestReport(
                meta.doc_id,
                "unchanged",
                chunks=existing["chunk_count"],
                targets=len(self._targets.get(meta.doc_id, [])),
                pages=existing["pages"],
                empty_pages=stored.get("empty_pages", 0),
                chars=existing["chars"],
                warnings=list(stored.get("warnings", [])),
            )
        loaded = load_bytes(data, name)
        return self._ingest_loaded(loaded, meta, digest, existing is not None, started, progress)

    def _ingest_loaded(
        self, loaded: LoadedText, meta: DocumentMeta, digest: str, replacing: bool, started: float,
        progress: Optional[Callable[[int, int], None]] = None,
    ) -> IngestReport:
        from planchat.errors import NoTextLayer

        clean_text = clean(loaded)
        if not clean_text.text.strip():
            raise NoTextLayer(f"{meta.source or meta.doc_id}: no text left after cleaning. Nothing was ingested.")
        chunks = chunk_document(clean_text, meta, max_tokens=self.settings.chunk_tokens)
        warnings = []
        pages = len(loaded.pages) if loaded.pages[0].number is not None else None
        empty_pages = sum(1 for p in loaded.pages if not p.text.strip())
        if pages and empty_pages:
            warnings.append(f"{empty_pages} of {pages} pages have no text layer (scanned?); they are not searchable.")
        too_long = sum(1 for c in chunks if self.embedder.token_count(dense_text(c)) > self.embedder.max_tokens)
        if too_long:
            warnings.append(
                f"{too_long} chunk(s) exceed the embedder's {self.embedder.max_tokens}-token limit; dense search sees "
                "only their beginning. Lower PLANCHAT_CHUNK_TOKENS."
            )
        targets = extract_targets(clean_text.text, chunks, meta)
        before_misses = getattr(self.embedder, "misses", 0)
        texts = [dense_text(c) for c in chunks]
        batch = max(1, self.settings.embed_batch_size)
        parts = []
        for i in range(0, len(texts), batch):
            parts.append(self.embedder.embed_passages(texts[i : i + batch]))
            if progress:
                progress(min(i + batch, len(texts)), len(texts))
        vectors = np.concatenate(parts) if parts else np.zeros((0, 1), dtype=np.float32)
        embedded = getattr(self.embedder, "misses", len(chunks)) - before_misses
        report = IngestReport(
            meta.doc_id,
            "updated" if replacing else "added",
            chunks=len(chunks),
            targets=len(targets),
            embedded=embedded,
            pages=pages,
            empty_pages=empty_pages if pages else 0,
            chars=len(clean_text.text),
            warnings=warnings,
        )
        with self._writing():
            old_ids = {c.chunk_id for c in self.docstore.chunks(meta.doc_id)}
            self.vectors.upsert(chunks, vectors)
            report.seconds = round(time.perf_counter() - started, 3)
            self.docstore.put_document(
                meta, digest, clean_text.text, chunks, pages, (TARGETS_VERSION, targets), report=report.as_dict()
            )
            stale = old_ids - {c.chunk_id for c in chunks}
            if stale:
                self.vectors.delete(sorted(stale))
            self.reload()
        return report

    def delete(self, doc_id: str) -> IngestReport:
        with self._writing():
            old_ids = sorted(c.chunk_id for c in self.docstore.chunks(doc_id))
            self.docstore.delete_document(doc_id)
            if old_ids:
                self.vectors.delete(old_ids)
            self.reload()
        return IngestReport(doc_id, "removed", chunks=len(old_ids))

    def sync_corpus(
        self, corpus_dir: Path, progress: Optional[Callable[[IngestReport], None]] = None
    ) -> list[IngestReport]:
        """Make the index hold exactly the documents of ``corpus_dir``'s manifest
        (documents ingested from elsewhere, e.g. uploads, are left alone)."""
        corpus_dir = corpus_dir.resolve()
        entries = read_manifest(corpus_dir)
        reports = []
        prefix = f"{corpus_dir.name}/"
        for meta, path in entries:
            meta = DocumentMeta(**{**asdict(meta), "source": prefix + meta.source})
            report = self.ingest_bytes(path.read_bytes(), path.name, meta)
            reports.append(report)
            if progress:
                progress(report)
        wanted = {meta.doc_id for meta, _ in entries}
        for doc_id, meta in list(self._documents.items()):
            if meta.source.startswith(prefix) and doc_id not in wanted:
                report = self.delete(doc_id)
                reports.append(report)
                if progress:
                    progress(report)
        return reports

    def check_consistency(self, repair: bool = True) -> dict:
        """Compare Chroma and BM25 with the document store; repair if asked."""
        with self._writing():
            truth = self.docstore.chunk_ids()
            in_chroma = self.vectors.ids()
            extra = in_chroma - truth
            missing = truth - in_chroma
            bm25_ok = self.bm25.fingerprint == fingerprint([c.chunk_id for c in self.docstore.chunks()])
            report = {"chunks": len(truth), "extra_vectors": len(extra), "missing_vectors": len(missing), "bm25_ok": bm25_ok}
            if repair and (extra or missing or not bm25_ok):
                if extra:
                    self.vectors.delete(sorted(extra))
                if missing:
                    todo = [c for c in self.docstore.chunks() if c.chunk_id in missing]
                    self.vectors.upsert(todo, self.embedder.embed_passages([dense_text(c) for c in todo]))
                self.reload()
                if not bm25_ok:
                    self._rebuild_bm25(self.docstore.chunks())
                report["repaired"] = True
            return report
