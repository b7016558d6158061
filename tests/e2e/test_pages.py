"""End to end: the planners' pages (/compare, /targets, /ministermaal) and the
source viewer in real Chromium (Debian's /usr/bin/chromium via Playwright)
against a real ``planchat serve`` over a copy of the real-model index: the
server, HTTP client and browser fixtures of the widget's test.

Each page is checked with axe-core (vendored: tests/e2e/vendor/axe.min.js,
axe-core 4.14.1, MPL-2.0, its licence beside it): no serious or critical
violation. axe is injected through the DevTools protocol (``evaluate``),
which the page's CSP does not govern, so the pages are tested under their
real CSP; any CSP violation a page itself causes fails the test. Screenshots
go to test-artifacts/pages-*.png (docs/screenshots/ holds copies).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import test_widget
from expected import JAMMERBUGT_Q
from test_widget import ANSWER_LIMIT_MS, artifact

pytestmark = pytest.mark.e2e
# The widget test's fixtures: one real server (a copy of the real-model index), an HTTP client, one Chromium.
server, http, browser = test_widget.server, test_widget.http, test_widget.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
TOPIC = "langtidsledighed"
PAGES = {
    "compare": f"/compare?topic={TOPIC}",
    "targets": "/targets",
    "ministermaal": "/ministermaal?year=2022",
    "source": "/documents/jammerbugt-2014",
}


@pytest.fixture
def page(browser, server):
    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.csp_violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and page.csp_violations.append(m.text))
    try:
        yield page
    finally:
        context.close()


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, as 'rule: target' lines."""
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {node['target']}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_has_no_serious_accessibility_violation_and_keeps_its_csp(page, server, name):
    response = page.goto(server.base_url + PAGES[name])
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert serious_violations(page) == []
    assert page.csp_violations == []
    page.screenshot(path=artifact(f"pages-{name}.png"))


def test_compare_renders_a_row_per_plan_with_a_not_stated_cell_and_a_working_citation(page, server, http):
    from playwright.sync_api import expect

    rows = http.post("/v1/compare", json={"topic": TOPIC}).json()["rows"]
    page.goto(server.base_url + "/compare")
    # Keyboard only: the topic box, Enter submits; the filters go into the URL.
    page.get_by_label("Emne").focus()
    page.keyboard.type(TOPIC)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/compare?topic={TOPIC}&municipality=&year=")
    table_rows = page.locator("table.compare tbody tr")
    expect(table_rows).to_have_count(len(rows))
    assert len(rows) == 5
    not_stated = page.locator("td.not-stated")
    assert not_stated.count() == sum(not r["stated"] for r in rows) >= 1
    expect(not_stated.first).to_have_text("Ikke nævnt i planen")
    stated = next(r for r in rows if r["stated"])
    citation = stated["citations"][0]
    link = page.locator("a.cite").first
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/documents/{citation['doc_id']}?start={citation['start']}&end={citation['end']}")
    assert "".join(page.locator("mark").all_text_contents()) == citation["quote"]
    expect(page.locator("mark#cited")).to_be_focused()
    expect(page.locator("mark#cited")).to_be_in_viewport()


def test_the_viewer_highlights_exactly_the_quote_the_widget_cites(page, server, http):
    from playwright.sync_api import expect

    page.goto(server.base_url + "/")
    page.locator("#planchat-question").fill(JAMMERBUGT_Q)
    page.keyboard.press("Enter")
    page.locator(".planchat-bot[data-state=done]").wait_for(timeout=ANSWER_LIMIT_MS)
    citation = http.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()["citations"][0]
    expected = f"{server.base_url}/documents/{citation['doc_id']}?start={citation['start']}&end={citation['end']}"
    assert citation["url"] == expected.removeprefix(server.base_url)
    page.locator(".planchat-cite-toggle").first.click()
    link = page.get_by_role("link", name="Vis i planen").first
    expect(link).to_have_attribute("href", expected)
    with page.context.expect_page() as opened:
        link.click()
    viewer = opened.value
    viewer.wait_for_load_state()
    assert viewer.url == expected
    marks = viewer.locator("mark").all_text_contents()
    assert "".join(marks) == citation["quote"]
    expect(viewer.locator("mark#cited")).to_be_in_viewport()
    viewer.screenshot(path=artifact("pages-source-cited.png"))


def test_targets_draws_its_chart_and_the_csv_download_is_v1_targets(page, server, http):
    from playwright.sync_api import expect

    page.goto(server.base_url + "/targets")
    charts = page.locator("figure.chart svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 1 and page.locator("figure.chart rect.bar").count() >= 5
    box = page.locator("figure.chart rect.bar").first.bounding_box()
    assert box["width"] > 0 and box["height"] > 0
    with page.expect_download() as download:
        page.get_by_role("link", name="Hent CSV").click()
    saved = Path(download.value.path()).read_bytes()
    assert saved == http.get("/v1/targets", params={"format": "csv"}).content
    # Sorting by a column heading is a link: the sorted view has its own URL.
    page.get_by_role("link", name="Mål , sortér stigende").click()
    page.wait_for_url("**/targets?sort=value")
    expect(page.locator('th[aria-sort="ascending"]')).to_have_count(1)


def test_ministermaal_renders_the_matrix(page, server, http):
    from playwright.sync_api import expect

    matrix = http.get("/v1/ministermaal", params={"year": 2022}).json()
    page.goto(server.base_url + "/ministermaal?year=2022")
    expect(page.locator("table.matrix tbody tr")).to_have_count(len(matrix["rows"]))
    heads = page.locator("table.matrix thead th").all_text_contents()
    assert heads == ["Ministermål"] + [f"{c['municipality']} {c['year']}" for c in matrix["columns"]]
    cells = [cell["stated"] for row in matrix["rows"] for cell in row["cells"]]
    assert page.locator("td.stated").count() == sum(cells)
    assert page.locator("td.not-stated").count() == len(cells) - sum(cells)


def test_pages_fit_a_phone_screen(browser, server):
    context = browser.new_context(locale="da-DK", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        for name, path in PAGES.items():
            page.goto(server.base_url + path)
            # Wide tables scroll inside their own region; the page itself never scrolls sideways.
            assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, name
            if name == "compare":
                page.screenshot(path=artifact("pages-compare-phone.png"))
    finally:
        context.close()


def test_compare_prints_as_a_clean_table(page, server):
    from playwright.sync_api import expect

    page.goto(server.base_url + PAGES["compare"])
    page.emulate_media(media="print")
    for hidden in ("header.site", "form.filters", ".exports", "a.skip"):
        expect(page.locator(hidden)).to_be_hidden()
    expect(page.locator("table.compare")).to_be_visible()
    expect(page.locator("table.compare caption")).to_be_visible()
    # The sources stay on paper: the [n] and each row's numbered source list (page and section).
    expect(page.locator("ol.sources").first).to_be_visible()
    assert page.pdf(format="A4")[:5] == b"%PDF-"
