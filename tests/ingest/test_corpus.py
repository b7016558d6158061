"""ingest/corpus.py: the corpus sync and its one-line reports, shared by the
CLI and the eval runners (the CLI's own output is pinned in tests/test_cli.py)."""

from __future__ import annotations

import io
import re

from conftest import make_settings

from ingest.corpus import ensure_corpus, open_index, print_report, report_repairs
from ingest.index import IngestReport

MANIFEST_ORDER = [  # the order ingest reports in
    "rebild-2022", "fredericia-2023", "region-hovedstaden-sjaelland-2010", "jammerbugt-2014", "vejle-2020-23",
]  # fmt: skip


def test_print_report_one_line_then_its_warnings():
    out = io.StringIO()
    report = IngestReport(
        "aarhus-2024", "added", chunks=3, targets=2, embedded=1, pages=4, warnings=["2 pages have no text"]
    )
    print_report(report, out)
    assert out.getvalue() == (
        "added     aarhus-2024: 3 chunks (1 embedded), 2 targets, 4 pages\n          warning: 2 pages have no text\n"
    )


def test_print_report_of_a_removed_document_has_no_targets():
    out = io.StringIO()
    print_report(IngestReport("aarhus-2024", "removed", chunks=3), out)
    assert out.getvalue() == "removed   aarhus-2024: 3 chunks\n"


def test_report_repairs_says_what_was_repaired_and_is_silent_otherwise():
    out = io.StringIO()
    report_repairs({"repaired": False, "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True}, out)
    assert out.getvalue() == ""
    report_repairs({"repaired": True, "extra_vectors": 2, "missing_vectors": 5, "bm25_ok": False}, out)
    assert out.getvalue() == (
        "index: repaired after an interrupted write: removed 2 vectors no chunk owns, "
        "re-added 5 missing, BM25 rebuilt\n"
    )


def test_ensure_corpus_writes_only_to_its_stream_and_quiet_writes_nothing(tmp_path, capsys):
    settings = make_settings(tmp_path / "data")
    out = io.StringIO()
    index = ensure_corpus(settings, open_index(settings), stream=out)
    *reports, summary = out.getvalue().splitlines()
    assert [line.split(":")[0] for line in reports] == [f"added     {doc_id}" for doc_id in MANIFEST_ORDER]
    assert re.fullmatch(r"corpus: 5 documents, 5 changed, \d+ chunks, \d+\.\ds", summary)
    assert capsys.readouterr() == ("", "")

    assert ensure_corpus(settings, index, quiet=True) is index
    assert capsys.readouterr() == ("", "")
