"""Publishers beyond the 98 municipalities, over HTTP (TestClient): a region
and a historical (pre-2007) municipality are uploaded with ``publisher_kind``
and then answered, compared, filtered and listed like a municipality; a name
close to a current municipality without a kind is a 400 that suggests it.
One index for the module (hash embedder, BM25 answers): the reads share it,
the refused uploads must leave it as it was."""

from __future__ import annotations

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.index import PlanIndex

KEY = "test-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}
REGION = "Beskæftigelsesregion Nordjylland"
REGION_ID = "beskaeftigelsesregion-nordjylland-2012"
REGION_TARGET = (
    "Beskæftigelsesregion Nordjylland vil nedbringe antallet af langtidsledige i landsdelen til højst 2.400 personer "
    "i december 2012."
)
REGION_TEXT = (
    f"# Arbejdsmarkedsanalyse 2012\n\n## Langtidsledighed\n\n{REGION_TARGET}\n\n"
    "## Unge\n\nJobcentrene i landsdelen skal have særlig fokus på unge uden uddannelse.\n"
)
SEJLFLOD_TARGET = "Sejlflod Kommune vil nedbringe antallet af langtidsledige til højst 85 personer i december 2005."
SEJLFLOD_TEXT = (
    f"# Beskæftigelsesplan 2005\n\n## Langtidsledighed\n\n{SEJLFLOD_TARGET}\n\n"
    "## Virksomhedsservice\n\nJobcentret i Storvorde besøger hver uge to virksomheder.\n"
)
OTHER_KINDS = "region, national, historical or other"


def upload(client, text: str, name: str, **fields):
    return client.post("/v1/documents", files={"file": (name, text.encode())}, data=fields, headers=AUTH)


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("publishers") / "data", retrieval_mode="bm25", api_key=KEY)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    client = TestClient(create_app(settings, index=index), raise_server_exceptions=False)
    region = upload(client, REGION_TEXT, "region.md", municipality=REGION, year="2012", publisher_kind="region",
                    title="Arbejdsmarkedsanalyse 2012", kind="regional analysis")  # fmt: skip
    sejlflod = upload(client, SEJLFLOD_TEXT, "sejlflod.md", municipality="Sejlflod Kommune", year="2005",
                      publisher_kind="historical")  # fmt: skip
    return client, index, region, sejlflod


def fields(body: dict, *names: str) -> tuple:
    return tuple(body[n] for n in names)


def test_uploads_record_the_publisher_and_its_kind(uploaded):
    client, _, region, sejlflod = uploaded
    keys = ("doc_id", "municipality", "publisher", "publisher_kind", "kind", "year")
    assert region.status_code == 201 and sejlflod.status_code == 201
    assert fields(region.json(), *keys) == (REGION_ID, REGION, REGION, "region", "regional analysis", 2012)
    assert fields(sejlflod.json(), *keys) == (
        "sejlflod-2005", "Sejlflod", "Sejlflod Kommune", "historical", "municipal plan", 2005)  # fmt: skip
    listed = {d["doc_id"]: d["publisher_kind"] for d in client.get("/v1/documents").json()["documents"]}
    assert listed == {
        "beskaeftigelsesregion-nordjylland-2012": "region", "fredericia-2023": "municipality",
        "jammerbugt-2014": "municipality", "rebild-2022": "municipality",
        "region-hovedstaden-sjaelland-2010": "region",  # corpus/manifest.json says so
        "sejlflod-2005": "historical", "vejle-2020-23": "municipality",
    }  # fmt: skip


@pytest.mark.parametrize(
    "question, municipalities, years, answer, doc_id",
    [
        (f"Hvad skriver {REGION} om langtidsledige?", [REGION], [], f"{REGION}: «{REGION_TARGET}» [1]", REGION_ID),
        (
            "Hvor mange langtidsledige vil Sejlflod Kommune højst have i 2005?",
            ["Sejlflod"],
            [2005],
            f"Sejlflod: «{SEJLFLOD_TARGET}» [1]",
            "sejlflod-2005",
        ),
    ],  # fmt: skip
    ids=["region", "historical"],
)
def test_a_question_naming_the_publisher_is_answered_from_its_document(
    uploaded, question, municipalities, years, answer, doc_id
):
    client, *_ = uploaded
    body = client.post("/v1/ask", json={"question": question}).json()
    assert fields(body, "answer", "municipalities", "years", "abstained") == (answer, municipalities, years, False)
    assert [c["doc_id"] for c in body["citations"]] == [doc_id]


@pytest.mark.parametrize(
    "name, quote, doc_id, value",
    [(REGION, REGION_TARGET, REGION_ID, 2400.0), ("Sejlflod", SEJLFLOD_TARGET, "sejlflod-2005", 85.0)],
    ids=["region", "historical"],
)
def test_the_municipality_filter_takes_the_publisher(uploaded, name, quote, doc_id, value):
    client, *_ = uploaded
    body = client.post("/v1/ask", json={"question": "Hvad er målet for langtidsledigheden?", "municipalities": [name]})
    body = body.json()
    assert fields(body, "answer", "municipalities", "abstained") == (f"{name}: «{quote}» [1]", [name], False)
    assert [(c["doc_id"], c["quote"]) for c in body["citations"]] == [(doc_id, quote)]
    assert [(t["municipality"], t["doc_id"], t["value"]) for t in body["targets"]] == [(name, doc_id, value)]


def test_compare_gives_each_publisher_a_row(uploaded):
    client, *_ = uploaded
    body = client.post("/v1/compare", json={"topic": "langtidsledige", "municipalities": ["Sejlflod", REGION]})
    rows = [
        (r["municipality"], r["year"], r["doc_id"], r["stated"], r["summary"], [t["value"] for t in r["targets"]])
        for r in body.json()["rows"]
    ]
    assert rows == [
        (REGION, 2012, REGION_ID, True, f"«{REGION_TARGET}» [1]", [2400.0]),
        ("Sejlflod", 2005, "sejlflod-2005", True, f"«{SEJLFLOD_TARGET}» [1]", [85.0]),
    ]


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"municipality": "Sejlflod"}, [("sejlflod-2005", "Sejlflod", 85.0, "antallet af langtidsledige til højst")]),
        (
            {"municipality": "sejlflod kommune"},
            [("sejlflod-2005", "Sejlflod", 85.0, "antallet af langtidsledige til højst")],
        ),
        ({"municipality": REGION}, [(REGION_ID, REGION, 2400.0, "antallet af langtidsledige")]),
        ({"year": 2005}, [("sejlflod-2005", "Sejlflod", 85.0, "antallet af langtidsledige til højst")]),
    ],  # fmt: skip
    ids=["historical", "historical-publisher-name", "region", "year"],
)
def test_targets_filter_by_publisher(uploaded, params, expected):
    client, *_ = uploaded
    body = client.get("/v1/targets", params=params).json()
    assert [(t["doc_id"], t["municipality"], t["value"], t["indicator"]) for t in body["targets"]] == expected


def suggestion(name: str, near: str) -> str:
    return (
        f"municipality: '{name}' is not a Danish municipality. Did you mean '{near}'? "
        f"If '{name}' is another publisher, send publisher_kind ({OTHER_KINDS})."
    )


@pytest.mark.parametrize(
    "form, expected",
    [
        ({"municipality": "Aarhuss"}, suggestion("Aarhuss", "Aarhus")),
        ({"municipality": "Kobenhavns"}, suggestion("Kobenhavns", "København")),
        ({"municipality": "Kobenhavns Kommune"}, suggestion("Kobenhavns Kommune", "København")),
        ({"municipality": "Aars"}, suggestion("Aars", "Aarhus")),  # a real pre-2007 name: it needs its kind
        ({"municipality": "Aarhuss", "publisher_kind": "municipality"}, suggestion("Aarhuss", "Aarhus")),
        (
            {"municipality": "Atlantis"},
            "municipality: 'Atlantis' is not a Danish municipality (or a publisher already in the index). Use its name "
            f"as in 'Aarhus', 'Ringkøbing-Skjern' or 'København', or send publisher_kind ({OTHER_KINDS}) for another "
            "publisher.",
        ),
        (
            {"municipality": "Aarhus", "publisher_kind": "region"},
            "publisher_kind: 'Aarhus' is a current municipality, not a region publisher. Send publisher_kind "
            "'municipality' or leave it out.",
        ),
        (
            {"municipality": "Sejlflod", "publisher_kind": "national"},
            "publisher_kind: 'Sejlflod' is already in the index as a historical publisher; send publisher_kind "
            "'historical' or leave it out.",
        ),
        (
            {"municipality": "Nordjylland", "publisher_kind": "county"},
            f"publisher_kind: must be municipality, {OTHER_KINDS}; got 'county'.",
        ),
    ],  # fmt: skip
    ids=[
        "aarhuss",
        "kobenhavns",
        "kobenhavns-kommune",
        "aars",
        "kind-municipality",
        "unknown",
        "current-as-region",
        "kind-clash",
        "bad-kind",
    ],  # fmt: skip
)
def test_a_refused_publisher_is_a_400_that_says_what_to_send(uploaded, form, expected):
    client, index, *_ = uploaded
    before = (set(index.documents), index.docstore.chunk_ids())
    response = upload(client, SEJLFLOD_TEXT, "plan.md", year="2006", **form)
    assert error(response) == (400, "invalid_request", expected)
    assert (set(index.documents), index.docstore.chunk_ids()) == before


def test_a_near_name_is_accepted_once_its_kind_is_given(uploaded):
    client, index, *_ = uploaded
    response = upload(client, SEJLFLOD_TEXT.replace("Sejlflod", "Aars"), "aars.md", municipality="Aars", year="2006",
                      publisher_kind="historical")  # fmt: skip
    keys = ("doc_id", "municipality", "publisher", "publisher_kind")
    assert response.status_code == 201
    assert fields(response.json(), *keys) == ("aars-2006", "Aars", "Aars Kommune", "historical")
    again = upload(client, SEJLFLOD_TEXT.replace("Sejlflod", "Aars"), "aars.md", municipality="aars", year="2006")
    assert (again.status_code, *fields(again.json(), *keys)) == (200, "aars-2006", "Aars", "Aars Kommune", "historical")
    assert client.delete("/v1/documents/aars-2006", headers=AUTH).status_code == 200
    assert "aars-2006" not in index.documents
