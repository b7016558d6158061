"""The corpus in the index: open the index, bring a corpus folder into it
(after repairing an interrupted write), corpus sync and the start-up repair
that brings Chroma and BM25 back in step with the document store, and the
one-line reports of what changed. Shared by the CLI, the API's start-up and
the eval runners, so none of them imports another. Importing this module is
cheap: the index (model, Chroma) is opened only by ``open_index``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from planchat.config import Settings
from planchat.records import DocumentMeta

if TYPE_CHECKING:
    from .index import IngestReport, PlanIndex


def open_index(settings: Settings, *, lazy_embedder: bool = True):
    """The PlanIndex over ``settings.data_dir`` (opens Chroma and the stores).
    With ``lazy_embedder`` the model loads on the first embedding, so a
    command that embeds nothing never imports torch."""
    from ingest.embedders import build_embedder
    from ingest.index import PlanIndex

    return PlanIndex(settings, embedder=build_embedder(settings, lazy=lazy_embedder))


def print_report(report, stream=None) -> None:
    """One line per ingested document (status, chunks, targets, pages), then its warnings; stdout by default."""
    stream = stream or sys.stdout
    extra = f" ({report.embedded} embedded)" if report.status in ("added", "updated") else ""
    pages = f", {report.pages} pages" if report.pages else ""
    if report.ocr_pages:
        pages += f" ({report.ocr_pages} read by OCR, mean confidence {report.ocr_confidence:g})"
    targets = f", {report.targets} targets" if report.status != "removed" else ""
    print(f"{report.status:9} {report.doc_id}: {report.chunks} chunks{extra}{targets}{pages}", file=stream, flush=True)
    for warning in report.warnings:
        print(f"          warning: {warning}", file=stream, flush=True)


def report_repairs(report: dict, stream=None) -> None:
    """Say what the start-up consistency check repaired (nothing: silent)."""
    if report.get("repaired"):
        print(
            f"index: repaired after an interrupted write: removed {report['extra_vectors']} vectors no chunk owns, "
            f"re-added {report['missing_vectors']} missing, BM25 {'kept' if report['bm25_ok'] else 'rebuilt'}",
            file=stream or sys.stderr, flush=True,
        )  # fmt: skip


def ensure_corpus(settings: Settings, index=None, quiet: bool = False, stream=None):
    """Ingest the configured corpus when the index is empty or stale (cheap when not)."""
    index = index or open_index(settings)
    report_repairs(index.check_consistency(repair=True), stream)
    started = time.perf_counter()
    stream = stream or sys.stdout
    reports = index.sync_corpus(settings.corpus_dir, progress=None if quiet else (lambda r: print_report(r, stream)))
    changed = [r for r in reports if r.status != "unchanged"]
    if not quiet:
        print(
            f"corpus: {len(reports)} documents, {len(changed)} changed, "
            f"{sum(r.chunks for r in reports if r.status != 'removed')} chunks, {time.perf_counter() - started:.1f}s",
            file=stream,
            flush=True,
        )
    return index


def sync_corpus(
    index: PlanIndex, corpus_dir: Path, progress: Callable[[IngestReport], None] | None = None
) -> list[IngestReport]:
    """Make the index hold exactly the documents of ``corpus_dir``'s manifest.
    They are managed by the corpus (HTTP cannot replace or delete them).
    Documents ingested from elsewhere (uploads, another corpus folder) are
    left alone."""
    from .manifest import read_manifest

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
    from .pipeline import dense_text
    from .stores.lexical import fingerprint

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
        report = {
            "chunks": len(truth),
            "extra_vectors": len(extra),
            "missing_vectors": len(missing),
            "bm25_ok": bm25_ok,
        }
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
