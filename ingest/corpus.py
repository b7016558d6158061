"""Corpus sync and repair: make the index hold a corpus folder's documents,
and bring Chroma and BM25 back in step with the document store after an
interrupted write. Shared by the CLI, the API's start-up and the eval runner.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Callable, Optional

from planchat.records import DocumentMeta

from .index import IngestReport, PlanIndex
from .manifest import read_manifest
from .pipeline import dense_text
from .stores.lexical import fingerprint


def sync_corpus(
    index: PlanIndex, corpus_dir: Path, progress: Optional[Callable[[IngestReport], None]] = None
) -> list[IngestReport]:
    """Make the index hold exactly the documents of ``corpus_dir``'s manifest.
    They are managed by the corpus (HTTP cannot replace or delete them).
    Documents ingested from elsewhere (uploads, another corpus folder) are
    left alone."""
    corpus_dir = corpus_dir.resolve()
    entries = read_manifest(corpus_dir)
    reports = []
    prefix = f"{corpus_dir.name}/"
    with index.reload_once():
        for meta, path in entries:
            meta = DocumentMeta(**{**asdict(meta), "source": prefix + meta.source})
            report = index.ingest_bytes(path.read_bytes(), path.name, meta, managed_by="corpus")
            reports.append(report)
            if progress:
                progress(report)
        wanted = {meta.doc_id for meta, _ in entries}
        # From the document store: the snapshot is not reloaded until the end.
        for record in index.docstore.documents():
            meta = record.meta
            if record.managed_by == "corpus" and meta.source.startswith(prefix) and meta.doc_id not in wanted:
                report = index.delete(meta.doc_id)
                reports.append(report)
                if progress:
                    progress(report)
    return reports


def check_consistency(index: PlanIndex, repair: bool = True) -> dict:
    """Compare Chroma and BM25 with the document store; repair if asked.
    Every Chroma id is compared only when the last write did not complete
    its vector operations or the counts differ (PlanIndex.vectors_in_step).
    A repair also stores targets re-extracted for a newer extractor."""
    with index.writing():
        token = index.docstore.write_token()
        ids = index.docstore.ordered_chunk_ids()
        truth = set(ids)
        extra: set[str] = set()
        missing: set[str] = set()
        in_step = index.vectors_in_step(token, len(truth))
        if not in_step:
            in_chroma = index.vectors.ids()
            extra, missing = in_chroma - truth, truth - in_chroma
        bm25_ok = index.snapshot.bm25.fingerprint == fingerprint(ids)
        report = {"chunks": len(truth), "extra_vectors": len(extra), "missing_vectors": len(missing), "bm25_ok": bm25_ok}
        if repair and (extra or missing or not bm25_ok):
            if extra:
                index.vectors.delete(sorted(extra))
            if missing:
                todo = [c for c in index.docstore.chunks() if c.chunk_id in missing]
                index.vectors.upsert(todo, index.embedder.embed_passages([dense_text(c) for c in todo]))
            index.reload()  # rebuilds and saves BM25 when its fingerprint differs
            report["repaired"] = True
        if not in_step and (repair or not (extra or missing)):
            index.mark_vectors_done(token)  # Chroma now holds exactly the chunks of this token
        return report
