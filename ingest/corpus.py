"""The configured corpus in the index: open the index, bring corpus/ into
it (after repairing an interrupted write), and the one-line reports of what
changed. Shared by the CLI and the eval runners, so neither imports the
other. Importing this module is cheap: the index (model, Chroma) is opened
only by ``open_index``.
"""

from __future__ import annotations

import sys
import time

from planchat.config import Settings


def open_index(settings: Settings):
    """The PlanIndex over ``settings.data_dir`` (loads the embedder, opens Chroma and the stores)."""
    from ingest.index import PlanIndex

    return PlanIndex(settings)


def print_report(report, stream=None) -> None:
    """One line per ingested document (status, chunks, targets, pages), then its warnings; stdout by default."""
    stream = stream or sys.stdout
    extra = f" ({report.embedded} embedded)" if report.status in ("added", "updated") else ""
    pages = f", {report.pages} pages" if report.pages else ""
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
    reports = index.sync_corpus(
        settings.corpus_dir, progress=None if quiet else (lambda r: print_report(r, stream))
    )
    changed = [r for r in reports if r.status != "unchanged"]
    if not quiet:
        print(
            f"corpus: {len(reports)} documents, {len(changed)} changed, "
            f"{sum(r.chunks for r in reports if r.status != 'removed')} chunks, {time.perf_counter() - started:.1f}s",
            file=stream,
            flush=True,
        )
    return index
