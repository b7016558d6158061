"""The planners' pages (api/routes/pages_planner.py): /compare, /targets and
/ministermaal over the seed corpus, each checked against the JSON endpoint
whose service it calls, with exact cell texts, links and error messages."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages import compare as compare_page
from api.pages import targets as targets_page
from retrieval.target_selection import targets_csv

TOPIC = "langtidsledighed"
PLANS = [
    "Beskæftigelsesregion Hovedstaden &amp; Sjælland 2010",
    "Fredericia 2023",
    "Jammerbugt 2014",
    "Rebild 2022",
    "Vejle 2022",
]


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("pages-planner"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def rows_of(page: str, table_class: str) -> list[str]:
    body = re.search(rf'<table class="{table_class}">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None, f"no {table_class} table"
    return re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# -- /compare ------------------------------------------------------------------------------------


def test_compare_without_a_topic_offers_the_plans_own_headings(client):
    page = client.get("/compare")
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    options = re.findall(r'<option value="([^"]*)"></option>', page.text)
    assert len(options) == 133
    assert options[:3] == [
        "Alle ledige skal have en værdig sagsbehandling",
        "Flere ledige skal opkvalificeres",
        "Flere personer med handicap skal i beskæftigelse",
    ]
    assert '<input name="topic" type="search" list="topics"' in page.text
    assert '<a href="/compare?topic=Indledning">Indledning</a>' in page.text
    assert "<table" not in page.text


def test_compare_shows_one_row_per_plan_as_the_json_endpoint_does(client):
    page = client.get("/compare", params={"topic": TOPIC})
    rows = client.post("/v1/compare", json={"topic": TOPIC}).json()["rows"]
    assert page.status_code == 200
    html_rows = rows_of(page.text, "compare")
    assert [re.search(r'<th scope="row"><a href="[^"]+">(.*?)</a>', r).group(1) for r in html_rows] == PLANS
    assert [r["stated"] for r in rows] == [False, True, True, False, True]
    # A silent plan: the explicit cell, nothing cited.
    assert '<td class="not-stated">Ikke nævnt i planen</td>' in html_rows[0]
    assert "/documents/" not in html_rows[0].split("</th>", 1)[1]
    assert "<caption>«langtidsledighed» i 5 planer: 3 nævner emnet</caption>" in page.text
    # A stated row: every quote, escaped, followed by its [n] linking to the quote in the source viewer.
    for html_row, row in zip(html_rows, rows, strict=True):
        for c in row["citations"]:
            link = f'<a class="cite" href="/documents/{c["doc_id"]}?start={c["start"]}&amp;end={c["end"]}">[{c["n"]}]'
            quote = html.escape(c["quote"].replace("\n", " "), quote=True)
            assert f'«{quote}» <sup class="cite">{link}' in html_row
            assert c["url"] == f"/documents/{c['doc_id']}?start={c['start']}&end={c['end']}"
    jammerbugt = rows[2]
    assert [t["indicator"] for t in jammerbugt["targets"]] == ["Antallet af langtidsledige"] * 2
    assert "Antallet af langtidsledige: <a href=" in html_rows[2]


def test_compare_exports_are_the_cli_formats_of_the_same_rows(client, hash_index):
    page = client.get("/compare", params={"topic": TOPIC, "year": "2022"})
    assert '<a class="button secondary" href="/v1/compare?topic=langtidsledighed&amp;year=2022&amp;format=csv"' in (
        page.text
    )
    csv = client.get("/v1/compare", params={"topic": TOPIC, "year": "2022", "format": "csv"})
    assert (csv.status_code, csv.headers["content-type"]) == (200, "text/csv; charset=utf-8")
    assert csv.headers["content-disposition"] == 'attachment; filename="compare.csv"'
    lines = csv.text.splitlines()
    assert lines[0] == "municipality,year,doc_id,stated,summary,targets,citations"
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["Rebild", "2022", "rebild-2022", "nej"], ["Vejle", "2022", "vejle-2020-23", "ja"],
    ]  # fmt: skip
    markdown = client.get("/v1/compare", params={"topic": TOPIC, "year": "2022", "format": "markdown"})
    assert markdown.headers["content-type"] == "text/markdown; charset=utf-8"
    assert markdown.text.splitlines()[:4] == [
        "**langtidsledighed**", "", "| Kommune | År | Uddrag | Mål | Kilder |", "|---|---|---|---|---|",
    ]  # fmt: skip
    assert markdown.text.splitlines()[4] == "| Rebild | 2022 | *Ikke nævnt i planen* | – | – |"
    as_json = client.get("/v1/compare", params={"topic": TOPIC, "year": "2022"}).json()
    assert as_json["rows"] == client.post("/v1/compare", json={"topic": TOPIC, "years": [2022]}).json()["rows"]
    bad = client.get("/v1/compare", params={"topic": TOPIC, "format": "xlsx"})
    assert (bad.status_code, bad.json()["error"]["message"]) == (
        400, "format: must be json, csv or markdown; got 'xlsx'."
    )  # fmt: skip


def test_compare_pages_its_plans(client, monkeypatch):
    monkeypatch.setattr(compare_page, "PLANS_PER_PAGE", 2)
    first = client.get("/compare", params={"topic": TOPIC})
    assert len(rows_of(first.text, "compare")) == 2
    assert "<caption>«langtidsledighed» i 2 af 5 planer: 1 nævner emnet (side 1 af 3)</caption>" in first.text
    assert '<a rel="next" href="/compare?topic=langtidsledighed&amp;page=2">Næste →</a>' in first.text
    last = client.get("/compare", params={"topic": TOPIC, "page": "3"})
    assert [text_of(r).split("2022")[0] for r in rows_of(last.text, "compare")] == ["Vejle "]
    assert '<a rel="prev" href="/compare?topic=langtidsledighed&amp;page=2">← Forrige</a>' in last.text


@pytest.mark.parametrize(
    "params, message",
    [
        ({"topic": TOPIC, "year": "abc"}, "year: «abc» er ikke et årstal. Ret feltet, eller fjern det fra adressen."),
        ({"topic": TOPIC, "municipality": "Odense"}, "municipalities: 'Odense' is not in the corpus."),
        ({"topic": "x" * 301}, "topic: is 301 characters; the limit is 300. Name a topic, not a text."),
        ({"topic": TOPIC, "page": "-1"}, "page: «-1» er ikke et sidetal. Ret feltet, eller fjern det fra adressen."),
    ],
    ids=["year", "municipality", "long-topic", "page"],
)
def test_a_bad_compare_filter_is_the_page_with_a_danish_error_box(client, params, message):
    page = client.get("/compare", params=params)
    assert page.status_code == 400
    box = re.search(r'<div class="error" role="alert"><p><strong>Det kan ikke vises.</strong> (.*?)</p>', page.text)
    assert box is not None and html.unescape(box.group(1)).startswith(message)
    assert '<form class="filters"' in page.text and "<table" not in page.text


def test_a_quote_is_escaped_exactly_in_its_cell(tmp_path):
    from ingest.index import PlanIndex
    from planchat.records import DocumentMeta

    settings = make_settings(tmp_path, retrieval_mode="bm25")
    index = PlanIndex(settings)
    plan = '# Plan 2024\n\n## Rekruttering\n\nVi rekrutterer "sammen" med virksomheder & A/S\'er <b>hurtigt</b>.\n'
    index.ingest_bytes(plan.encode(), "plan.md", DocumentMeta(doc_id="aarhus-2024", municipality="Aarhus",
                                                               year=2024, title="Plan 2024"))  # fmt: skip
    try:
        client = TestClient(create_app(settings, index=index), raise_server_exceptions=False)
        page = client.get("/compare", params={"topic": "rekruttering"}).text
        quote = client.post("/v1/compare", json={"topic": "rekruttering"}).json()["rows"][0]["citations"][0]
        assert quote["quote"] == 'Vi rekrutterer "sammen" med virksomheder & A/S\'er hurtigt.'
        assert (
            "«Vi rekrutterer &quot;sammen&quot; med virksomheder &amp; A/S&#x27;er hurtigt.» "
            f'<sup class="cite"><a class="cite" href="/documents/aarhus-2024?start={quote["start"]}&amp;end='
            f'{quote["end"]}">[1]<span class="sr-only"> kilde 1: Aarhus 2024</span></a></sup>'
        ) in page
    finally:
        index.close()


# -- /targets ------------------------------------------------------------------------------------


def test_targets_lists_what_v1_targets_selects_with_csv_and_charts(client, hash_index):
    page = client.get("/targets")
    found = client.get("/v1/targets").json()["targets"]
    assert (page.status_code, len(found)) == (200, 43)
    assert "<caption>43 mål fra 4 planer</caption>" in page.text
    rows = rows_of(page.text, "targets-table")
    assert len(rows) == 43
    first, t = rows[0], found[0]
    assert f'<a href="/documents/{t["doc_id"]}?start={t["start"]}&amp;end={t["end"]}">' in first
    assert '<a class="button secondary" href="/v1/targets?format=csv" download>Hent CSV</a>' in page.text
    assert client.get("/v1/targets?format=csv").text == targets_csv(hash_index.snapshot.targets())
    captions = re.findall(r'<figcaption id="chart-\d-cap">(.*?)</figcaption>', page.text)
    assert [html.unescape(c) for c in captions] == [
        "Mål i «pct»: 7 mål fra 3 planer", "Mål i «mio. kr.»: 5 mål fra 2 planer", "Mål i «bevillinger»: 4 mål fra 1 plan",
    ]  # fmt: skip
    assert page.text.count('<rect class="bar"') == 7 + 5 + 4  # a target restated in an annex is drawn once
    assert '<svg viewBox="0 0 640 ' in page.text and '<desc id="chart-1-desc">Vandrette søjler' in page.text


def test_targets_filter_and_sort_on_the_server(client):
    page = client.get("/targets", params={"municipality": "Jammerbugt", "q": "langtidsledige", "sort": "-value"})
    found = client.get("/v1/targets", params={"municipality": "Jammerbugt", "q": "langtidsledige"}).json()["targets"]
    rows = rows_of(page.text, "targets-table")
    assert len(rows) == len(found) == 4
    values = [float(re.search(r'<td class="value"><a [^>]+>[^<\d]*(\d+)', r).group(1)) for r in rows]
    assert values == sorted((t["value"] for t in found), reverse=True) == [228.0, 228.0, 20.0, 20.0]
    assert text_of(rows[0]).startswith("Jammerbugt2014Antallet af langtidsledige≤ 228 personer (december 2014)")
    assert (
        '<th scope="col" aria-sort="descending"><a class="sort" href="/targets?municipality=Jammerbugt&amp;'
        'q=langtidsledige&amp;sort=value">Mål<span aria-hidden="true"> ▼</span><span class="sr-only">, sortér '
        "stigende</span></a></th>"
    ) in page.text
    assert "/v1/targets?municipality=Jammerbugt&amp;q=langtidsledige&amp;format=csv" in page.text


def test_targets_page_their_rows(client, monkeypatch):
    monkeypatch.setattr(targets_page, "ROWS_PER_PAGE", 10)
    page = client.get("/targets", params={"page": "5"})
    assert len(rows_of(page.text, "targets-table")) == 3
    assert "<caption>43 mål fra 4 planer, række 41–43</caption>" in page.text
    assert '<nav class="pager" aria-label="Sider med mål"><a rel="prev" href="/targets?page=4">' in page.text


@pytest.mark.parametrize(
    "params, status, message",
    [
        (
            {"sort": "price"},
            400,
            "sort: «price» er ingen kolonne. Brug municipality, plan_year, indicator, value, "
            "unit, target_year, med «-» foran for faldende orden.",
        ),
        ({"year": "20x2"}, 400, "year: «20x2» er ikke et årstal. Ret feltet, eller fjern det fra adressen."),
        ({"municipality": "Odense"}, 400, "municipality: 'Odense' is not in the corpus."),
        ({"q": "og i"}, 400, "q: has no searchable words (only stopwords or punctuation). Name what is measured."),
    ],  # fmt: skip
    ids=["sort", "year", "municipality", "stopwords"],
)
def test_a_bad_targets_filter_is_a_danish_error_box(client, params, status, message):
    page = client.get("/targets", params=params)
    box = re.search(r"<strong>Det kan ikke vises.</strong> (.*?)</p>", page.text)
    assert page.status_code == status and html.unescape(box.group(1)).startswith(message)


def test_targets_with_no_match_say_so(client):
    page = client.get("/targets", params={"q": "flyvemaskiner"})
    assert (page.status_code, "<table" in page.text) == (200, False)
    assert '<p class="note" role="status">Ingen mål passer til filtrene.</p>' in page.text


# -- /ministermaal -------------------------------------------------------------------------------


def test_ministermaal_is_the_matrix_of_v1_ministermaal(client):
    page = client.get("/ministermaal", params={"year": "2022"})
    matrix = client.get("/v1/ministermaal", params={"year": 2022}).json()
    assert page.status_code == 200
    assert "<caption>Ministermålene for 2022 × 2 planer</caption>" in page.text
    heads = re.findall(r'<th scope="col"><a href="(/documents/[^"]+)">([^<]+)</a></th>', page.text)
    assert heads == [("/documents/rebild-2022", "Rebild 2022"), ("/documents/vejle-2020-23", "Vejle 2022")]
    rows = rows_of(page.text, "matrix")
    assert len(rows) == len(matrix["rows"]) == 5
    for html_row, row in zip(rows, matrix["rows"], strict=True):
        goal = row["goal"]
        assert f'<span class="goal-n">Mål {goal["number"]}.</span> {html.escape(goal["title"])}' in html_row
        cells = re.findall(r'<td class="(stated|not-stated)">', html_row)
        assert cells == ["stated" if c["stated"] else "not-stated" for c in row["cells"]]
    assert (
        rows[1].count('<td class="not-stated"><span class="badge off">Ikke nævnt</span> Ikke nævnt i planen</td>') == 1
    )
    c = matrix["rows"][0]["cells"][0]["citations"][0]
    assert f'<a class="cite" href="/documents/rebild-2022?start={c["start"]}&amp;end={c["end"]}">[1]' in rows[0]


def test_ministermaal_without_a_year_shows_the_latest(client):
    page = client.get("/ministermaal")
    assert (page.status_code, "<h1>Ministermål 2023</h1>" in page.text) == (200, True)
    assert "<caption>Ministermålene for 2023 × 2 planer</caption>" in page.text


@pytest.mark.parametrize(
    "year, status, message",
    [
        (
            "2019",
            404,
            "year: no plan in the corpus lists the ministermål for 2019. Years with listed goals: 2014, 2022, 2023.",
        ),
        ("tyve", 400, "year: «tyve» er ikke et årstal. Ret feltet, eller fjern det fra adressen."),
    ],  # fmt: skip
)
def test_ministermaal_for_a_bad_year_is_a_danish_error_box(client, year, status, message):
    page = client.get("/ministermaal", params={"year": year})
    box = re.search(r"<strong>Det kan ikke vises.</strong> (.*?)</p>", page.text)
    assert page.status_code == status and html.unescape(box.group(1)) == message


# -- all pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/compare?topic=ledighed", "/targets", "/ministermaal", "/documents/rebild-2022"])
def test_pages_follow_protect_reads_and_carry_the_page_csp(hash_index, tmp_path, path):
    settings = make_settings(tmp_path, retrieval_mode="bm25", protect_reads=True, read_keys=["read-key-1"])
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False, follow_redirects=False)
    to_login = client.get(path)
    assert (to_login.status_code, to_login.headers["location"]) == (303, f"/adgang?next={quote(path, safe='')}")
    page = client.get(path, headers={"Authorization": "Bearer read-key-1"})
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert "<style" not in page.text and " style=" not in page.text and " onclick" not in page.text


@pytest.mark.parametrize(
    "path, what",
    [
        (f"/compare?topic={TOPIC}", "Comparing 5 plans"),
        ("/v1/compare?format=csv&topic=" + TOPIC, "Comparing 5 plans"),
        ("/ministermaal?year=2014", "The ministermål matrix for 2014 (4 goals × 1 plan)"),
    ],
)
def test_the_heavy_pages_keep_the_request_budget(hash_index, tmp_path, path, what):
    """A page over PLANCHAT_REQUEST_BUDGET_S is the page with the 503's message (as if the work took 31 s)."""
    import time

    from api.deps import get_deadline
    from planchat.deadline import Deadline

    app = create_app(make_settings(tmp_path, retrieval_mode="bm25", request_budget_s=30), index=hash_index)
    app.dependency_overrides[get_deadline] = lambda: Deadline(30, started=time.monotonic() - 31)
    response = TestClient(app, raise_server_exceptions=False).get(path)
    spent = f"{what} took longer than this server's budget of 30 s per request (PLANCHAT_REQUEST_BUDGET_S)."
    assert response.status_code == 503
    if path.startswith("/v1/"):
        assert response.json()["error"]["message"].startswith(spent)
    else:
        box = re.search(r"<strong>Det kan ikke vises.</strong> (.*?)</p>", response.text)
        assert html.unescape(box.group(1)).startswith(spent)
