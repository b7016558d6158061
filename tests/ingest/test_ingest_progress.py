"""The ingest path's progress seam (ingest/pipeline.py ``Stage``, PlanIndex.ingest_bytes ``stage``): what a
background job hears, in order, for a text file and for a PDF, and nothing for an unchanged file."""

from __future__ import annotations

import scans
from conftest import make_settings, requires_ocr

from ingest.index import PlanIndex
from ingest.uploads import upload_meta

PLAN = "# Plan\n\nAntallet af langtidsledige i Aarhus skal begrænses til 111 personer i december 2024.\n"


def ingest(index: PlanIndex, data: bytes, name: str) -> tuple[list, list]:
    stages, chunks = [], []
    _, meta = upload_meta(index, name, "Aarhus", 2024)
    index.ingest_bytes(data, name, meta, progress=lambda done, total: chunks.append((done, total)),
                       stage=lambda stage, done, pages: stages.append((stage, done, pages)))  # fmt: skip
    return stages, chunks


def test_stages_in_order_for_text_and_pdf_and_none_when_unchanged(tmp_path, shared_pdfs):
    index = PlanIndex(make_settings(tmp_path / "data", embed_batch_size=8))
    stages, chunks = ingest(index, PLAN.encode(), "plan.txt")
    assert stages == [("loading", 0, None), ("cleaning", 0, None), ("chunking", 0, None), ("embedding", 0, None),
                      ("storing", 0, None)]  # fmt: skip
    assert chunks == [(1, 1)]
    assert ingest(index, PLAN.encode(), "plan.txt") == ([], [])  # unchanged: nothing to do, nothing reported
    stages, chunks = ingest(index, (shared_pdfs / "pp-issue-848.pdf").read_bytes(), "pp-issue-848.pdf")
    assert stages == [("loading", 0, None), ("cleaning", 8, 8), ("chunking", 8, 8), ("embedding", 8, 8),
                      ("storing", 8, 8)]  # fmt: skip
    assert chunks == [(8, 16), (16, 16)]


@requires_ocr
def test_a_scanned_page_is_counted_as_ocr_reads_it(tmp_path):
    index = PlanIndex(make_settings(tmp_path / "data"))
    stages, _ = ingest(index, scans.mixed_pdf(), "blandet.pdf")  # pages 1 and 3 have text, page 2 is a scan
    assert stages == [("loading", 0, None), ("ocr", 3, 3), ("cleaning", 3, 3), ("chunking", 3, 3),
                      ("embedding", 3, 3), ("storing", 3, 3)]  # fmt: skip
