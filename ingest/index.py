"""The plan index: one object that keeps the document store, Chroma and BM25
in step, and the ingest pipeline that feeds it.

load -> clean -> chunk -> embed (cached by content hash) -> store.

Write order (so a crash at any point is repairable from the document store,
the source of truth): new vectors are upserted into Chroma, then the
document's chunks are swapped in the document store in one transaction,
then stale vectors are deleted, then a marker records that this write's
vector operations completed, then BM25 is rebuilt and swapped in whole
(``sync_corpus``: once, after its last document). ``check_consistency``
(run at start-up) removes vectors no chunk owns, re-adds missing ones from
the embedding cache, and rebuilds BM25 when its fingerprint does not match;
it compares every Chroma id only when the marker is not the last write's or
Chroma's count differs from the chunks'.

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
from .stores.lexical import AnalysedTerms, BM25Index, fingerprint
from .stores.vectors import ChromaVectorStore, collection_name, make_client

log = logging.getLogger(__name__)

# Bump when cleaning or chunking changes what a document turns into.
PIPELINE_VERSION = "10"


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
        self._doc_chunks: dict[str, tuple[tuple, list[Chunk]]] = {}  # doc_id -> (row version, its chunks)
        self._documents: dict[str, DocumentMeta] = {}
        self._targets: dict[str, list[Target]] = {}
        self.bm25: BM25Index = BM25Index.build([])
        self.generation = 0  # bumped on every reload, so readers can refresh derived state
        self._loaded_token: Optional[str] = None
        self._lock_depth = 0
        self._lock_file = None
        self._batch = threading.local()  # see _reload_once
        # state key: the last write token whose vector operations completed, per collection
        self._vectors_key = f"vectors_done:{self.vectors.name}"
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
        records = self.docstore.documents()
        doc_chunks = self._read_chunks(records)
        per_doc = {doc_id: chunks for doc_id, (_, chunks) in doc_chunks.items()}
        chunks = [c for doc in per_doc.values() for c in doc]  # chunks() order: doc_id, ordinal
        by_id = {c.chunk_id: c for c in chunks}
        documents = {r["meta"].doc_id: r["meta"] for r in records}
        targets = self._load_targets(per_doc, documents)
        bm25 = self._bm25_for(chunks)
        self._chunks, self._doc_chunks, self._documents, self._targets, self.bm25 = (
            by_id, doc_chunks, documents, targets, bm25
        )
        self._loaded_token = token
        self.generation += 1

    def _read_chunks(self, records: list[dict]) -> dict[str, tuple[tuple, list[Chunk]]]:
        """doc_id -> (row version, chunks) in document-store order. A document
        whose row is unchanged since the last reload keeps the chunks read
        then: put_document writes the content hash and ingest time with every
        chunk swap, so an unchanged pair means unchanged chunks. A reload
        after one upload reads one document, not every chunk record (0.9-1.8 s
        at 63k chunks)."""
        out = {}
        for record in records:
            doc_id = record["meta"].doc_id
            version = (record["content_hash"], record["ingested_at"])
            known = self._doc_chunks.get(doc_id)
            if known is None or known[0] != version:
                known = (version, self.docstore.chunks(doc_id))
            out[doc_id] = known
        return out

    def _bm25_for(self, chunks: list[Chunk]) -> BM25Index:
        """The saved BM25 when it was built from exactly these chunks; otherwise
        a new one, saved. The new one reuses the saved one's analysed terms
        (whichever process wrote it), so only new or changed chunks are
        analysed: 2.2 s instead of 11.6 s at 63k chunks after one upload."""
        directory = self.settings.bm25_dir
        expected = fingerprint([c.chunk_id for c in chunks])
        loaded = BM25Index.load(directory, expected)
        if loaded is not None:
            return loaded
        built = BM25Index.build(chunks, AnalysedTerms.read(directory))
        built.save(directory)
        built.terms = None  # the saved copy is the cache; serving needs none of it (12 MB at 63k chunks)
        return built

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

    def _load_targets(
        self, per_doc: dict[str, list[Chunk]], documents: dict[str, DocumentMeta]
    ) -> dict[str, list[Target]]:
        """Stored targets; documents stored by an older extractor are re-extracted
        from their stored clean text (no re-ingest, no embedding)."""
        stored = self.docstore.targets()
        out = {}
        for doc_id, meta in documents.items():
            version, targets = stored.get(doc_id, (None, []))
            if version != TARGETS_VERSION:
                targets = extract_targets(self.docstore.clean_text(doc_id) or "", per_doc.get(doc_id, []), meta)
                self.docstore.put_targets(doc_id, TARGETS_VERSION, targets)
            out[doc_id] = targets
        return out

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
        """The chunk ids of these documents (from the per-document chunks reload()
        keeps: a scan of every chunk cost 1.9 ms per filtered query at 63k chunks)."""
        doc_chunks = self._doc_chunks
        return {c.chunk_id for doc_id in doc_ids for c in doc_chunks.get(doc_id, ((), []))[1]}

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
            token = self.docstore.put_document(
                meta, digest, clean_text.text, chunks, pages, (TARGETS_VERSION, targets), report=report.as_dict()
            )
            stale = old_ids - {c.chunk_id for c in chunks}
            if stale:
                self.vectors.delete(sorted(stale))
            self._vectors_done(token)
            self._written()
        return report

    def delete(self, doc_id: str) -> IngestReport:
        with self._writing():
            old_ids = sorted(c.chunk_id for c in self.docstore.chunks(doc_id))
            token = self.docstore.delete_document(doc_id)
            if old_ids:
                self.vectors.delete(old_ids)
            self._vectors_done(token)
            self._written()
        return IngestReport(doc_id, "removed", chunks=len(old_ids))

    def _vectors_done(self, token: str) -> None:
        """Record that Chroma holds exactly the vectors of the document store
        as of write ``token`` (written after the write's upsert and stale
        delete, so a kill anywhere before leaves the older token and
        check_consistency compares every id)."""
        self.docstore.set_state(self._vectors_key, token)

    def _vectors_in_step(self, token: str, chunks: int) -> bool:
        """Can check_consistency skip comparing every Chroma id (2.0 s at 63k
        chunks)? Yes when the last write completed its vector operations and
        Chroma holds as many vectors as there are chunks: a write killed
        after its upsert but before its commit leaves the marker equal but
        extra vectors, which the count shows."""
        return self.docstore.get_state(self._vectors_key) == token and self.vectors.count() == chunks

    def _written(self) -> None:
        """After a committed write, under the write lock: reload now, so the
        answers reflect it at once, or at the end of this thread's batch."""
        if getattr(self._batch, "active", False):
            self._batch.pending = True
        else:
            self.reload()

    @contextmanager
    def _reload_once(self):
        """Writes inside reload once, at the end, instead of after each: a
        reload reads and indexes the whole corpus, so reloading after every
        document made sync_corpus quadratic (projected 5,988 s at 1,000 plans,
        223 s with one reload). Each write still commits and brings Chroma in
        step on its own, so a crash mid-batch leaves whole documents, and the
        stale BM25 is rebuilt on the next load, as after any crash. Per thread:
        an upload from another thread meanwhile still reloads at once."""
        if getattr(self._batch, "active", False):
            yield
            return
        self._batch.active, self._batch.pending = True, False
        try:
            yield
        finally:
            self._batch.active = False
            if self._batch.pending:
                with self._writing():
                    self.reload()

    def sync_corpus(
        self, corpus_dir: Path, progress: Optional[Callable[[IngestReport], None]] = None
    ) -> list[IngestReport]:
        """Make the index hold exactly the documents of ``corpus_dir``'s manifest
        (documents ingested from elsewhere, e.g. uploads, are left alone)."""
        corpus_dir = corpus_dir.resolve()
        entries = read_manifest(corpus_dir)
        reports = []
        prefix = f"{corpus_dir.name}/"
        with self._reload_once():
            for meta, path in entries:
                meta = DocumentMeta(**{**asdict(meta), "source": prefix + meta.source})
                report = self.ingest_bytes(path.read_bytes(), path.name, meta)
                reports.append(report)
                if progress:
                    progress(report)
            wanted = {meta.doc_id for meta, _ in entries}
            # From the document store: the in-memory map is not reloaded until the end.
            for record in self.docstore.documents():
                doc_id, meta = record["meta"].doc_id, record["meta"]
                if meta.source.startswith(prefix) and doc_id not in wanted:
                    report = self.delete(doc_id)
                    reports.append(report)
                    if progress:
                        progress(report)
        return reports

    def check_consistency(self, repair: bool = True) -> dict:
        """Compare Chroma and BM25 with the document store; repair if asked.
        Every Chroma id is compared only when the last write did not complete
        its vector operations or the counts differ (see _vectors_in_step)."""
        with self._writing():
            token = self.docstore.write_token()
            ids = self.docstore.ordered_chunk_ids()
            truth = set(ids)
            extra: set[str] = set()
            missing: set[str] = set()
            in_step = self._vectors_in_step(token, len(truth))
            if not in_step:
                in_chroma = self.vectors.ids()
                extra, missing = in_chroma - truth, truth - in_chroma
            bm25_ok = self.bm25.fingerprint == fingerprint(ids)
            report = {"chunks": len(truth), "extra_vectors": len(extra), "missing_vectors": len(missing), "bm25_ok": bm25_ok}
            if repair and (extra or missing or not bm25_ok):
                if extra:
                    self.vectors.delete(sorted(extra))
                if missing:
                    todo = [c for c in self.docstore.chunks() if c.chunk_id in missing]
                    self.vectors.upsert(todo, self.embedder.embed_passages([dense_text(c) for c in todo]))
                self.reload()  # rebuilds BM25 when its fingerprint differs
                report["repaired"] = True
            if not in_step and (repair or not (extra or missing)):
                self._vectors_done(token)  # Chroma now holds exactly the chunks of this token
            return report

    def close(self) -> None:
        """Release the docstore's SQLite connection and the Chroma client (an app's shutdown); unusable after."""
        self.docstore.close()
        self.vectors._client.close()  # ChromaVectorStore has no close(); the client is refcounted per path
