"""Scanned PDFs over HTTP (TestClient, hash embedder, BM25 answers): the
generated scanned Thisted page is uploaded, read by OCR, and its target
figure answered by /v1/ask with citations flagged ``ocr: true`` whose quotes
are verbatim in the stored text; compare rows carry the flag too; the
report gives ocr_pages and the mean confidence. Without tesseract the upload
is the 422 it was, with what to install, and the index is intact."""

from __future__ import annotations

import pytest
import scans
from conftest import make_settings, ocr_missing, requires_ocr
from expected import API_CITATION_KEYS, SCAN_CONFIDENCE, SCAN_QUESTION, SCAN_QUOTE, SCANNED_PDFS, no_ocr_message
from fastapi.testclient import TestClient

from api.app import create_app
from api.streaming import sources_text
from ingest.index import PlanIndex

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


def build(tmp_path, **overrides) -> tuple[TestClient, PlanIndex]:
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=KEY, **overrides)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False), index


def upload(client: TestClient, data: bytes, name: str = "thisted-scan.pdf"):
    fields = {"municipality": "Thisted", "year": "2025"}
    return client.post("/v1/documents", files={"file": (name, data)}, data=fields, headers=AUTH)


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """A client whose index holds the seed corpus and the scanned Thisted page (uploaded once)."""
    if ocr_missing():
        pytest.skip(f"needs OCR: {ocr_missing()}")
    client, index = build(tmp_path_factory.mktemp("ocr-api"))
    response = upload(client, scans.scanned_pdf())
    assert response.status_code == 201, response.text
    return client, index, response.json()


def test_the_upload_report_counts_the_ocr_page_and_its_confidence(scanned):
    client, _, body = scanned
    report = body["report"]
    assert {k: report[k] for k in ("status", "pages", "empty_pages", "ocr_pages", "ocr_confidence", "warnings")} == {
        "status": "added", "pages": 1, "empty_pages": 0, "ocr_pages": 1, "ocr_confidence": SCAN_CONFIDENCE,
        "warnings": [],
    }  # fmt: skip
    assert client.get("/v1/documents/thisted-2025").json()["report"] == report


def test_the_scanned_figure_is_answered_with_ocr_citations(scanned):
    client, _, _ = scanned
    answer = client.post("/v1/ask", json={"question": SCAN_QUESTION}).json()
    assert answer["abstained"] is False
    assert answer["answer"].startswith(f"Thisted: «{SCAN_QUOTE}» [1]")
    first = answer["citations"][0]
    assert set(first) == API_CITATION_KEYS
    assert (first["doc_id"], first["page"], first["section"], first["quote"], first["ocr"]) == (
        "thisted-2025", 1, "3. Langtidsledighed", SCAN_QUOTE, True)  # fmt: skip
    text = client.get("/v1/documents/thisted-2025/text").json()["text"]
    for citation in answer["citations"]:
        assert citation["ocr"] is True
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_text_layer_citations_are_not_flagged(scanned):
    client, _, _ = scanned
    answer = client.post("/v1/ask", json={"question": "Hvad er Jammerbugts mål for langtidsledigheden i 2014?"}).json()
    assert answer["citations"] and {c["ocr"] for c in answer["citations"]} == {False}


def test_compare_rows_carry_the_ocr_flag(scanned):
    client, _, _ = scanned
    rows = client.post("/v1/compare", json={"topic": "langtidsledighed", "municipalities": ["Thisted", "Jammerbugt"]})
    flags = {row["municipality"]: {c["ocr"] for c in row["citations"]} for row in rows.json()["rows"]}
    assert flags == {"Jammerbugt": {False}, "Thisted": {True}}


def test_without_tesseract_the_upload_is_refused_with_the_install_hint(tmp_path, monkeypatch):
    client, index = build(tmp_path)
    before = (set(index.documents), index.docstore.chunk_ids())
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract, no pdftoppm on this "server"
    response = upload(client, scans.scanned_pdf())
    assert (response.status_code, response.json()) == (
        422, {"error": {"code": "no_text_layer", "message": no_ocr_message("thisted-scan.pdf", "missing")}})  # fmt: skip
    assert (set(index.documents), index.docstore.chunk_ids()) == before


@requires_ocr
def test_more_scanned_pages_than_allowed_is_a_422(tmp_path, shared_pdfs):
    client, index = build(tmp_path, ocr_max_pages=1)
    two_scans = scans.merged(*((shared_pdfs / name).read_bytes() for name in SCANNED_PDFS))
    response = upload(client, two_scans, name="to-sider.pdf")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "too_many_scanned_pages")
    assert "thisted-2025" not in index.documents


def test_the_openai_text_says_a_source_was_recognised_from_a_scan():
    citation = {"n": 1, "municipality": "Thisted", "year": 2025, "page": 1, "page_label": None,
                "section": "3. Langtidsledighed", "quote": SCAN_QUOTE, "ocr": True, "role": "evidence"}  # fmt: skip
    body = {"answer": f"Thisted: «{SCAN_QUOTE}» [1]", "citations": [citation], "markers": []}
    assert sources_text(body).split("\n\nKilder:\n")[1] == (
        f"[1] Thisted 2025, s. 1 – 3. Langtidsledighed (tekst genkendt fra scannet side): «{SCAN_QUOTE}»"
    )
