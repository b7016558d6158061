"""Word and HTML uploads over HTTP (TestClient): POST /v1/documents takes a
.docx and an .html page, and POST /v1/ask answers from them with quotes cut
verbatim from the stored text; legacy and malformed files are the 4xx of
tests/expected_documents.py and change nothing."""

from __future__ import annotations

import json

import pytest
from conftest import make_settings
from document_files import malformed, word_plan
from expected import JAMMERBUGT_228, JAMMERBUGT_Q
from expected_documents import DOCUMENT_OUTCOMES, FIXTURES
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.index import PlanIndex

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """An index over an empty corpus (so the seed's municipality and year are free for an upload)."""
    corpus = tmp_path_factory.mktemp("empty-corpus")
    (corpus / "manifest.json").write_text(json.dumps({"documents": []}), encoding="utf-8")
    settings = make_settings(tmp_path_factory.mktemp("formats"), retrieval_mode="bm25", api_key=KEY)
    settings = settings.model_copy(update={"corpus_dir": corpus})
    index = PlanIndex(settings)
    index.sync_corpus(corpus)
    client = TestClient(create_app(settings, index=index), raise_server_exceptions=False)
    uploads = {
        "jammerbugt-2014.html": ("Jammerbugt", 2014, (FIXTURES / "jammerbugt-2014.html").read_bytes()),
        "libreoffice-plan.docx": ("Odder", 2025, (FIXTURES / "libreoffice-plan.docx").read_bytes()),
        "plan.docx": ("Aarhus", 2025, word_plan()),
    }
    reports = {}
    for name, (municipality, year, data) in uploads.items():
        response = client.post("/v1/documents", files={"file": (name, data)}, headers=AUTH,
                               data={"municipality": municipality, "year": str(year)})  # fmt: skip
        assert response.status_code == 201, response.text
        reports[name] = response.json()
    return client, index, reports


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/v1/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def verbatim(client: TestClient, citation: dict) -> bool:
    text = client.get(f"/v1/documents/{citation['doc_id']}/text").json()["text"]
    return text[citation["start"] : citation["end"]] == citation["quote"]


def test_the_uploads_are_documents_with_their_source_and_chunks(served):
    _, index, reports = served
    rows = {name: (r["doc_id"], r["source"], r["pages"], r["report"]["status"]) for name, r in reports.items()}
    assert rows == {
        "jammerbugt-2014.html": ("jammerbugt-2014", "upload/jammerbugt-2014.html", None, "added"),
        "libreoffice-plan.docx": ("odder-2025", "upload/libreoffice-plan.docx", None, "added"),
        "plan.docx": ("aarhus-2025", "upload/plan.docx", None, "added"),
    }
    assert index.vectors.ids() == index.docstore.chunk_ids() == set(index.bm25.chunk_ids)


def test_a_question_on_the_web_page_is_answered_with_a_verbatim_quote(served):
    client, _, _ = served
    answer = ask(client, JAMMERBUGT_Q)
    assert not answer["abstained"]
    first = answer["citations"][0]
    assert (first["doc_id"], first["quote"]) == ("jammerbugt-2014", JAMMERBUGT_228)
    assert all(verbatim(client, c) for c in answer["citations"])


def test_a_question_on_the_word_document_is_answered_with_a_verbatim_quote(served):
    client, _, _ = served
    answer = ask(client, "Hvor mange langtidsledige må der højst være i Odder i december 2025?")
    assert not answer["abstained"]
    first = answer["citations"][0]
    assert (first["doc_id"], first["section"], first["quote"]) == (
        "odder-2025", "Beskæftigelsesplan 2025 for Odder Kommune › Mål for 2025",
        "Antallet af langtidsledige i Odder skal ned på 350 personer i december 2025.",
    )  # fmt: skip
    assert all(verbatim(client, c) for c in answer["citations"])


def test_text_in_a_word_text_box_is_found_and_quoted(served):
    client, _, _ = served
    answer = ask(client, "Hvor mange borgere fik job i Aarhus i 2024?")
    first = answer["citations"][0]
    assert (first["doc_id"], first["quote"]) == ("aarhus-2025", "2.140 borgere fik job i 2024.")  # past its label
    assert verbatim(client, first)


def test_the_outline_of_an_uploaded_page_and_document(served):
    client, _, _ = served
    page = client.get("/v1/documents/jammerbugt-2014/outline").json()
    word = client.get("/v1/documents/odder-2025/outline").json()
    assert (len(page["lists"]), [h["title"] for h in page["headings"]][:3]) == (
        12, ["Jobcenter Jammerbugt Beskæftigelsesplan 2014", "Årshjulet for 2013",
             "1 Indledning til beskæftigelsesplan 2014"])  # fmt: skip
    assert [(h["title"], [c["title"] for c in h["children"]]) for h in word["headings"]] == [
        ("Beskæftigelsesplan 2025 for Odder Kommune", ["Indsatser for unge", "Mål for 2025"])]  # fmt: skip
    assert [len(block["items"]) for block in word["lists"]] == [3, 2]


REFUSED = [case for case, outcome in DOCUMENT_OUTCOMES.items() if "code" in outcome]


@pytest.mark.parametrize("case", REFUSED)
def test_a_legacy_or_malformed_file_is_its_4xx_over_http_and_changes_nothing(served, case):
    client, index, _ = served
    name, data = malformed(case)
    expected = DOCUMENT_OUTCOMES[case]
    before = (set(index.documents), index.docstore.chunk_ids())
    response = client.post("/v1/documents", files={"file": (name, data)}, headers=AUTH,
                           data={"municipality": "Vejle", "year": "2025"})  # fmt: skip
    body = response.json()["error"]
    assert (response.status_code, body["code"], body["message"]) == (
        expected["status"], expected["code"], expected["message"])  # fmt: skip
    assert (set(index.documents), index.docstore.chunk_ids()) == before
