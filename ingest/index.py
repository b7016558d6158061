"""The plan index, writing side: keeps the document store, Chroma and BM25 in
step, and publishes what readers see as one immutable snapshot.

Writes take the write lock (a thread lock plus an flock on
data_dir/write.lock, so writers in several processes take turns). Write
order, so a crash at any point is repairable from the document store (the
source of truth): new vectors are upserted into Chroma, then the
document's chunks are swapped in the document store in one transaction,
then stale vectors are deleted, then a marker records that this write's
vector operations completed, then BM25 is rebuilt (from saved analysed
terms) and saved, and a new ``IndexSnapshot`` is published by one
reference swap (``sync_corpus``: once, after its last document).

Reads never write: a reader that finds another process's write reloads a
snapshot under the lock but stores nothing (a BM25 or targets it had to
rebuild stay in memory until a writer or the start-up repair saves them).
Corpus sync and repair live in ``ingest/corpus.py``; the pure pipeline in
``ingest/pipeline.py``.

Idempotence: a document whose content hash (raw bytes + metadata + pipeline
version + chunk size) is unchanged is skipped without any embedding work.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from planchat.config import Settings
from planchat.records import Chunk, DocumentMeta, ManagedBy, Target

from .embedders import Embedder, build_embedder
from .pipeline import (
    PIPELINE_VERSION,
    IngestReport,
    PreparedDocument,
    Stage,
    content_hash,
    dense_text,
    prepare_document,
)
from .snapshot import DocChunks, IndexSnapshot
from .stores.docstore import DocStore, DocumentRecord
from .stores.lexical import AnalysedTerms, BM25Index, fingerprint
from .stores.vectors import ChromaVectorStore, collection_name, make_client
from .target_extraction import TARGETS_VERSION, extract_targets

log = logging.getLogger(__name__)

__all__ = ["PIPELINE_VERSION", "IngestReport", "PlanIndex", "content_hash", "dense_text"]


class PlanIndex:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, client=None):
        self.settings = settings
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.embedder = embedder if embedder is not None else build_embedder(settings)
        self.docstore = DocStore(settings.docstore_path)
        self._client = client or make_client(settings)
        self.vectors = ChromaVectorStore(self._client, collection_name(self.embedder.name))
        self.snapshot: IndexSnapshot = IndexSnapshot.empty()
        self._write_lock = threading.RLock()
        self._lock_depth = 0
        self._lock_file: TextIO | None = None
        self._batch = threading.local()  # see reload_once
        # state key: the last write token whose vector operations completed, per collection
        self.vectors_key = f"vectors_done:{self.vectors.name}"
        with self.writing():
            self.reload()

    @contextmanager
    def writing(self):
        """The write lock: a thread lock plus an exclusive flock on
        data_dir/write.lock, so writers in several processes (API workers,
        `planchat ingest`) take turns. Re-entrant within a thread."""
        with self._write_lock:
            if self._lock_depth == 0:
                lock_file = open(self.settings.data_dir / "write.lock", "a+")  # held across the yield
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                self._lock_file = lock_file
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
                if self._lock_depth == 0:
                    held, self._lock_file = self._lock_file, None
                    if held is not None:
                        fcntl.flock(held, fcntl.LOCK_UN)
                        held.close()

    # -- the read model -----------------------------------------------------
    def reload(self, save: bool = True) -> IndexSnapshot:
        """Read a new snapshot from the document store and publish it (one
        reference swap). With ``save`` (writers and start-up, under the write
        lock) a BM25 or targets that had to be rebuilt are saved; readers pass
        ``save=False`` and keep them in memory."""
        token = self.docstore.write_token()
        records = self.docstore.documents()
        previous = self.snapshot
        doc_chunks = self._read_chunks(records, previous)
        chunks = [c for doc in doc_chunks.values() for c in doc.chunks]  # doc_id, ordinal order
        documents = {r.meta.doc_id: r.meta for r in records}
        doc_targets, fresh = self.read_targets(doc_chunks, documents)
        if save:
            for doc_id, targets in fresh.items():
                self.docstore.put_targets(doc_id, TARGETS_VERSION, targets)
        snapshot = IndexSnapshot.build(
            generation=previous.generation + 1,
            token=token,
            documents=documents,
            doc_chunks=doc_chunks,
            bm25=self._bm25_for(chunks, save),
            doc_targets=doc_targets,
            outlines=self._read_outlines(records, previous),
            clean_text_reader=self.docstore.clean_text,
            vector_reader=self.vectors.vectors_of,
            previous=previous,
        )
        self.snapshot = snapshot
        return snapshot

    def _read_chunks(self, records: list[DocumentRecord], previous: IndexSnapshot) -> dict[str, DocChunks]:
        """doc_id -> its chunks in document-store order. A document whose row
        version is unchanged since the previous snapshot keeps the chunks read
        then: a reload after one upload reads one document, not every chunk
        record (0.9-1.8 s at 63k chunks)."""
        out = {}
        for record in records:
            doc_id = record.meta.doc_id
            known = previous.doc_chunks.get(doc_id)
            if known is None or known.version != record.version:
                known = DocChunks(record.version, tuple(self.docstore.chunks(doc_id)))
            out[doc_id] = known
        return out

    def _read_outlines(self, records: list[DocumentRecord], previous: IndexSnapshot) -> dict:
        """doc_id -> outline; an unchanged document keeps the previous snapshot's."""
        out = {}
        for record in records:
            doc_id = record.meta.doc_id
            known = previous.doc_chunks.get(doc_id)
            outline = previous.outlines.get(doc_id) if known is not None and known.version == record.version else None
            outline = outline or self.docstore.outline(doc_id)
            if outline is not None:
                out[doc_id] = outline
        return out

    def _bm25_for(self, chunks: list[Chunk], save: bool) -> BM25Index:
        """The saved BM25 when it was built from exactly these chunks; otherwise
        a new one (saved when ``save``). The new one reuses the saved one's
        analysed terms (whichever process wrote it), so only new or changed
        chunks are analysed: 2.2 s instead of 11.6 s at 63k chunks after one
        upload."""
        directory = self.settings.bm25_dir
        loaded = BM25Index.load(directory, fingerprint([c.chunk_id for c in chunks]))
        if loaded is not None:
            return loaded
        built = BM25Index.build(chunks, AnalysedTerms.read(directory))
        if save:
            built.save(directory)
        built.terms = None  # the saved copy is the cache; serving needs none of it (12 MB at 63k chunks)
        return built

    def read_targets(
        self, doc_chunks: dict[str, DocChunks], documents: dict[str, DocumentMeta]
    ) -> tuple[dict[str, list[Target]], dict[str, list[Target]]]:
        """(targets per document, those re-extracted). Documents stored by an
        older extractor are re-extracted from their stored clean text, in
        memory; the writer and the start-up repair store them."""
        stored = self.docstore.targets()
        out, fresh = {}, {}
        for doc_id, meta in documents.items():
            version, targets = stored.get(doc_id, (None, []))
            if version != TARGETS_VERSION:
                chunks = list(doc_chunks[doc_id].chunks) if doc_id in doc_chunks else []
                targets = fresh[doc_id] = extract_targets(self.docstore.clean_text(doc_id) or "", chunks, meta)
            out[doc_id] = targets
        return out, fresh

    def refresh_if_stale(self) -> bool:
        """Reload when another process (an API worker, `planchat ingest`) has
        written to the shared document store since this snapshot was read. One
        small SQLite read when nothing changed; called per request. Waits for
        a writer holding the lock, so it never reads a half-finished write."""
        if self.docstore.write_token() == self.snapshot.token:
            return False
        with self.writing():
            if self.docstore.write_token() != self.snapshot.token:
                self.reload(save=False)
                return True
        return False

    # The current snapshot's reads, for scripts and tests. A request takes
    # ``index.snapshot`` once and reads only that.
    @property
    def documents(self):
        return self.snapshot.documents

    @property
    def bm25(self) -> BM25Index:
        return self.snapshot.bm25

    @property
    def generation(self) -> int:
        return self.snapshot.generation

    def targets(self, doc_id: str | None = None) -> list[Target]:
        return self.snapshot.targets(doc_id)

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.snapshot.chunk(chunk_id)

    def chunks_of(self, doc_ids: set[str]) -> set[str]:
        return self.snapshot.chunks_of(doc_ids)

    def document_records(self) -> list[DocumentRecord]:
        return self.docstore.documents()

    def is_empty(self) -> bool:
        return self.snapshot.is_empty()

    # -- writes -------------------------------------------------------------
    def ingest_bytes(
        self,
        data: bytes,
        name: str,
        meta: DocumentMeta,
        progress: Callable[[int, int], None] | None = None,
        managed_by: ManagedBy = "upload",
        stage: Stage | None = None,
    ) -> IngestReport:
        """Ingest one file's bytes as ``meta.doc_id`` (replacing an older
        version). ``progress(done, total)`` is called as chunks are embedded;
        ``stage(name, pages read, pages)`` at each stage (ingest/pipeline.py ``Stage``)."""
        started = time.perf_counter()
        digest = content_hash(data, meta, self.settings)
        existing = self.docstore.document(meta.doc_id)
        if existing and existing.content_hash == digest:
            return self._unchanged(existing)
        prepared = prepare_document(data, name, meta, digest, self.settings, self.embedder, progress, stage)
        if stage is not None:
            stage("storing", prepared.pages or 0, prepared.pages)
        report = IngestReport(
            meta.doc_id, "updated" if existing is not None else "added",
            chunks=len(prepared.chunks), targets=len(prepared.targets), embedded=prepared.embedded,
            pages=prepared.pages, empty_pages=prepared.empty_pages, chars=len(prepared.clean.text),
            warnings=prepared.warnings, ocr_pages=prepared.ocr_pages, ocr_confidence=prepared.ocr_confidence,
        )  # fmt: skip
        self._store(prepared, report, started, managed_by)
        return report

    def _unchanged(self, existing: DocumentRecord) -> IngestReport:
        stored = existing.report or {}
        doc_id = existing.meta.doc_id
        return IngestReport(
            doc_id, "unchanged", chunks=existing.chunk_count, targets=len(self.snapshot.targets(doc_id)),
            pages=existing.pages, empty_pages=stored.get("empty_pages", 0), chars=existing.chars,
            warnings=list(stored.get("warnings", [])),
            ocr_pages=stored.get("ocr_pages", 0), ocr_confidence=stored.get("ocr_confidence"),
        )  # fmt: skip

    def _store(self, prepared: PreparedDocument, report: IngestReport, started: float, managed_by: ManagedBy) -> None:
        meta, chunks = prepared.meta, prepared.chunks
        with self.writing():
            old_ids = {c.chunk_id for c in self.docstore.chunks(meta.doc_id)}
            self.vectors.upsert(chunks, prepared.vectors)
            report.seconds = round(time.perf_counter() - started, 3)
            token = self.docstore.put_document(
                meta, prepared.content_hash, prepared.clean.text, chunks, prepared.pages,
                (TARGETS_VERSION, prepared.targets), report=report.as_dict(), managed_by=managed_by,
                outline=prepared.outline,
            )  # fmt: skip
            stale = old_ids - {c.chunk_id for c in chunks}
            if stale:
                self.vectors.delete(sorted(stale))
            self.mark_vectors_done(token)
            self._written()

    def delete(self, doc_id: str) -> IngestReport:
        with self.writing():
            old_ids = sorted(c.chunk_id for c in self.docstore.chunks(doc_id))
            token = self.docstore.delete_document(doc_id)
            if old_ids:
                self.vectors.delete(old_ids)
            self.mark_vectors_done(token)
            self._written()
        return IngestReport(doc_id, "removed", chunks=len(old_ids))

    def mark_vectors_done(self, token: str) -> None:
        """Record that Chroma holds exactly the vectors of the document store
        as of write ``token`` (written after the write's upsert and stale
        delete, so a kill anywhere before leaves the older token and the
        consistency check compares every id)."""
        self.docstore.set_state(self.vectors_key, token)

    def vectors_in_step(self, token: str, chunks: int) -> bool:
        """Can the consistency check skip comparing every Chroma id (2.0 s at
        63k chunks)? Yes when the last write completed its vector operations
        and Chroma holds as many vectors as there are chunks: a write killed
        after its upsert but before its commit leaves the marker equal but
        extra vectors, which the count shows."""
        return self.docstore.get_state(self.vectors_key) == token and self.vectors.count() == chunks

    def _written(self) -> None:
        """After a committed write, under the write lock: reload now, so the
        answers reflect it at once, or at the end of this thread's batch."""
        if getattr(self._batch, "active", False):
            self._batch.pending = True
        else:
            self.reload()

    @contextmanager
    def reload_once(self):
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
                with self.writing():
                    self.reload()

    # -- corpus sync and repair (ingest/corpus.py) ----------------------------
    def sync_corpus(self, corpus_dir: Path, progress: Callable[[IngestReport], None] | None = None):
        from .corpus import sync_corpus

        return sync_corpus(self, corpus_dir, progress)

    def check_consistency(self, repair: bool = True) -> dict:
        from .corpus import check_consistency

        return check_consistency(self, repair)

    def close(self) -> None:
        """Release the document store's connection and the Chroma client."""
        self.docstore.close()
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
