"""The planner endpoints: /v1/compare, /v1/targets, /v1/ministermaal, and
targets in /v1/ask answers. Errors are exact; a 500 is a bug."""

from __future__ import annotations

import csv
import io

import pytest
from expected import JAMMERBUGT_Q, KNOWN_MUNICIPALITIES, TARGET_COUNTS
from fastapi.testclient import TestClient

from api.app import create_app

TARGET_KEYS = {
    "target_id", "municipality", "plan_year", "target_year", "target_period", "indicator", "value", "value_text",
    "unit", "direction", "change", "baseline", "baseline_period", "doc_id", "title", "section", "page", "chunk_id",
    "quote", "start", "end", "ocr",
}  # fmt: skip
ROW_KEYS = {"municipality", "year", "title", "doc_id", "stated", "summary", "citations", "targets"}


@pytest.fixture(scope="module")
def client(hash_settings, hash_index) -> TestClient:
    return TestClient(create_app(hash_settings, index=hash_index), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def real_client(real_settings, real_index) -> TestClient:
    return TestClient(create_app(real_settings, index=real_index), raise_server_exceptions=False)


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_all_targets_as_json(client):
    response = client.get("/v1/targets")
    assert response.status_code == 200
    targets = response.json()["targets"]
    assert len(targets) == sum(TARGET_COUNTS.values())
    assert all(set(t) == TARGET_KEYS for t in targets)


def test_targets_filtered_by_municipality_year_and_words(client):
    response = client.get("/v1/targets", params={"municipality": "jammerbugt", "year": 2014, "q": "langtidsledige"})
    assert [(t["value"], t["unit"], t["direction"]) for t in response.json()["targets"]] == [
        (228.0, "personer", "at_most"), (20.0, "pct", "decrease"), (228.0, "personer", "at_most"), (20.0, "pct", "decrease"),
    ]  # fmt: skip
    distinct = client.get(
        "/v1/targets", params={"municipality": "jammerbugt", "q": "langtidsledige", "distinct": "true"}
    )
    assert [t["value"] for t in distinct.json()["targets"]] == [228.0, 20.0]
    by_target_year = client.get("/v1/targets", params={"year": 2024})
    assert [(t["doc_id"], t["value"]) for t in by_target_year.json()["targets"]] == [
        ("fredericia-2023", 11.0), ("fredericia-2023", 11.0),
    ]  # fmt: skip


def test_targets_as_csv(client):
    response = client.get("/v1/targets", params={"format": "csv", "municipality": "Rebild"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["indicator"], r["value"], r["unit"], r["direction"], r["change"]) for r in rows] == [
        ("ledigheden for fleksjobbere", "10", "pct", "decrease", "to"),
        ("andelen af beskæftigede flygtninge og familiesammenførte", "50", "pct", "at_least", ""),
    ]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"municipality": "Aarhus"},
            (
                400,
                "unknown_filter",
                f"municipality: 'Aarhus' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
            ),
        ),
        ({"format": "xml"}, (400, "invalid_request", "format: must be json or csv; got 'xml'.")),
        (
            {"year": "x"},
            (400, "invalid_request", "year.0: Input should be a valid integer, unable to parse string as an integer."),
        ),
        (
            {"q": "og i"},
            (
                400,
                "invalid_request",
                "q: has no searchable words (only stopwords or punctuation). Name what is measured.",
            ),
        ),
    ],
)
def test_bad_target_queries(client, params, expected):
    assert error(client.get("/v1/targets", params=params)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"topic": ""},
            (400, "invalid_request", "topic: must not be empty. Name what to compare, e.g. 'langtidsledighed'."),
        ),
        ({}, (400, "invalid_request", "topic: required.")),
        ({"topic": "x", "town": "y"}, (400, "invalid_request", "town: unknown field; remove it.")),
        ({"topic": 7}, (400, "invalid_request", "topic: Input should be a valid string.")),
        (
            {"topic": "ledighed", "municipalities": ["Odense"]},
            (
                400,
                "unknown_filter",
                f"municipalities: 'Odense' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
            ),
        ),
        (
            {"topic": "ledighed", "years": [1999]},
            (
                400,
                "unknown_filter",
                "years: no plan covers 1999. Years in the corpus: 2010, 2011, 2014, 2020, 2021, 2022, 2023.",
            ),
        ),
    ],
)
def test_bad_comparisons(client, body, expected):
    assert error(client.post("/v1/compare", json=body)) == expected


def test_compare_contract(client):
    response = client.post("/v1/compare", json={"topic": "ledighed", "years": [2022]})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"topic", "rows", "timings_ms"}
    assert [(r["municipality"], r["year"]) for r in body["rows"]] == [("Rebild", 2022), ("Vejle", 2022)]
    assert all(set(r) == ROW_KEYS for r in body["rows"])


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"year": 2011},
            (
                404,
                "not_found",
                "year: no plan in the corpus lists the ministermål for 2011. Years with listed goals: 2014, 2022, 2023.",
            ),
        ),
        ({}, (400, "invalid_request", "year: required.")),
        (
            {"year": 2022, "municipality": "Aarhus"},
            (
                400,
                "unknown_filter",
                f"municipalities: 'Aarhus' is not in the corpus. Known municipalities: {KNOWN_MUNICIPALITIES}.",
            ),
        ),
    ],
)
def test_bad_ministermaal_queries(client, params, expected):
    assert error(client.get("/v1/ministermaal", params=params)) == expected


@pytest.mark.integration
def test_the_ministermaal_matrix_over_http(real_client):
    body = real_client.get("/v1/ministermaal", params={"year": 2014}).json()
    assert body["year"] == 2014
    assert [c["doc_id"] for c in body["columns"]] == ["jammerbugt-2014"]
    assert [r["goal"]["number"] for r in body["rows"]] == [1, 2, 3, 4]
    goal3 = body["rows"][2]
    assert goal3["goal"]["title"] == "Langtidsledigheden skal bekæmpes"
    assert [(s["doc_id"], s["quote"]) for s in goal3["goal"]["sources"]] == [
        ("jammerbugt-2014", "Langtidsledigheden skal bekæmpes")
    ]
    cell = goal3["cells"][0]
    assert cell["stated"] is True
    assert [(t["value"], t["unit"]) for t in cell["targets"]] == [(228.0, "personer"), (20.0, "pct")]


@pytest.mark.integration
def test_ask_for_a_target_returns_the_typed_target(real_client):
    body = real_client.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()
    assert [(t["value"], t["unit"], t["direction"], t["target_period"]) for t in body["targets"]] == [
        (228.0, "personer", "at_most", "december 2014"),
        (20.0, "pct", "decrease", "december 2014"),
    ]
    not_a_target = real_client.post("/v1/ask", json={"question": "Hvordan arbejder Rebild med virksomhederne?"})
    assert not_a_target.json()["targets"] == []
