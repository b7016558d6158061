"""POST /v1/search over HTTP (TestClient, the session's hash index in bm25 mode):
ranked passages, verbatim, with their provenance; the filters and the
refusals of /v1/ask; a read (read key where reads are protected) that counts
against the ask limit."""

from __future__ import annotations

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q, KNOWN_MUNICIPALITIES
from fastapi.testclient import TestClient

from api.app import create_app

PASSAGE_KEYS = {
    "text", "doc_id", "chunk_id", "municipality", "publisher_kind", "year", "years", "title", "section", "page",
    "page_label", "start", "end", "score", "ranks",
}  # fmt: skip
JAMMERBUGT_SECTIONS = [
    "3 Beskæftigelsesministerens mål for 2014 › Mål 3. Langtidsledigheden skal bekæmpes",
    "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til ministerens mål 3 › "
    "Risiko for ledighed og langtidsledighed",
    "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til ministerens mål 3",
]
READ, ADMIN = "read-key-search-0001", "admin-key-0123456789"


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("search"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_search_returns_ranked_verbatim_passages_with_their_provenance(client, hash_index):
    body = client.post("/v1/search", json={"query": JAMMERBUGT_Q, "top_k": 3}).json()
    assert (body["query"], body["municipalities"], body["years"]) == (JAMMERBUGT_Q, ["Jammerbugt"], [2014])
    passages = body["passages"]
    assert [set(p) for p in passages] == [PASSAGE_KEYS] * 3
    assert [(p["doc_id"], p["section"], p["ranks"]) for p in passages] == [
        ("jammerbugt-2014", section, {"bm25": n}) for n, section in enumerate(JAMMERBUGT_SECTIONS, 1)
    ]
    first = passages[0]
    assert {k: first[k] for k in ("municipality", "publisher_kind", "year", "years", "title", "page", "page_label")} == {
        "municipality": "Jammerbugt", "publisher_kind": "municipality", "year": 2014, "years": [2014],
        "title": "Jobcenter Jammerbugt Beskæftigelsesplan 2014", "page": None, "page_label": None,
    }  # fmt: skip
    assert [p["score"] for p in passages] == sorted((p["score"] for p in passages), reverse=True)
    text = client.get("/v1/documents/jammerbugt-2014/text").json()["text"]
    for p in passages:
        assert text[p["start"] : p["end"]] == p["text"]
        assert hash_index.docstore.chunks("jammerbugt-2014")[int(p["chunk_id"].split(":")[1])].chunk_id == p["chunk_id"]


@pytest.mark.parametrize(
    "request_body, municipalities, years, doc_ids",
    [
        ({"query": "langtidsledige", "municipalities": ["vejle"], "top_k": 4}, ["Vejle"], [], {"vejle-2020-23"}),
        ({"query": "langtidsledige", "years": [2023], "top_k": 4}, [], [2023], {"fredericia-2023", "vejle-2020-23"}),
        (
            {"query": "Hvad skriver regionen om unge?", "top_k": 2},
            ["Beskæftigelsesregion Hovedstaden & Sjælland"],
            [],
            {"region-hovedstaden-sjaelland-2010"},
        ),
        (
            {"query": "Hvad er Aarhus' mål for ledigheden?"},
            [],
            [],
            set(),
        ),  # no plan of Aarhus: nothing, as /v1/ask abstains
    ],  # fmt: skip
    ids=["municipality", "year", "region-named", "unknown-named"],
)
def test_filters_explicit_or_named_in_the_query(client, request_body, municipalities, years, doc_ids):
    body = client.post("/v1/search", json=request_body).json()
    assert (body["municipalities"], body["years"], {p["doc_id"] for p in body["passages"]}) == (
        municipalities, years, doc_ids)  # fmt: skip
    assert len(body["passages"]) == (request_body.get("top_k", 8) if doc_ids else 0)


@pytest.mark.parametrize(
    "request_body, expected",
    [
        ({"query": "  "}, (400, "invalid_request", "query: must not be empty. Ask something about the plans.")),
        (
            {"query": "x" * 1001},
            (400, "invalid_request", "query: is 1001 characters; the limit is 1000. Shorten the query."),
        ),
        ({"query": "ledighed", "top_k": 0}, (400, "invalid_request", "top_k: must be between 1 and 20; got 0.")),
        (
            {"query": "ledighed", "municipalities": ["Atlantis"]},
            (
                400,
                "unknown_filter",
                f"municipalities: 'Atlantis' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
            ),
        ),
        (
            {"query": "ledighed", "years": [1999]},
            (
                400,
                "unknown_filter",
                "years: no plan covers 1999. Years in the corpus: 2010, 2011, 2014, 2020, 2021, 2022, 2023.",
            ),
        ),
        ({"question": "ledighed"}, (400, "invalid_request", "query: required; question: unknown field; remove it.")),
        (
            {"query": "ledighed", "mode": "magic"},
            (400, "invalid_request", "mode: Input should be 'hybrid', 'bm25' or 'dense'."),
        ),
    ],  # fmt: skip
    ids=["empty", "too-long", "top-k", "unknown-municipality", "uncovered-year", "wrong-field", "mode"],
)
def test_bad_searches_are_a_400_that_names_the_field(client, request_body, expected):
    assert error(client.post("/v1/search", json=request_body)) == expected


def test_search_is_a_protected_read_and_counts_against_the_ask_limit(tmp_path, hash_index):
    settings = make_settings(tmp_path, retrieval_mode="bm25", api_key=ADMIN, read_keys=[READ], protect_reads=True,
                             rate_limit_per_minute=2)  # fmt: skip
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    body = {"query": "langtidsledige", "top_k": 1}
    assert error(client.post("/v1/search", json=body))[:2] == (401, "unauthorized")
    read = {"Authorization": f"Bearer {READ}"}
    assert client.post("/v1/search", json=body, headers=read).status_code == 200
    assert (
        client.post("/v1/ask", json={"question": "Hvad vil Vejle med langtidsledige?"}, headers=read).status_code == 200
    )
    limited = client.post("/v1/search", json=body, headers=read)
    assert (limited.status_code, limited.json()["error"]["code"]) == (429, "rate_limited")
    assert client.post("/v1/search", json=body, headers={"X-API-Key": ADMIN}).status_code == 200  # never limited
