"""End to end: the embeddable widget (api/static/widget.js) in real Chromium
(Debian's /usr/bin/chromium, driven by Playwright) against a real
``planchat serve`` process over a private copy of the real-model index.

One server and one browser per module. Waits are bounded ``wait_for`` /
``expect`` polls, never assertions about speed. Screenshots go to
test-artifacts/ (git-ignored) for a human to look at; issue 14's examples
(three list answers, two abstentions) are ``issue14-*.png`` there.
"""

from __future__ import annotations

import httpx
import pytest
from e2e_support import browser, serve_real_copy  # noqa: F401  (browser: a fixture)
from expected import (
    ABSTENTION_EXAMPLES,
    JAMMERBUGT_228,
    JAMMERBUGT_Q,
    LIST_EXAMPLES,
    LIST_MORE_14,
    VEJLE_TOOLS_BETWEEN,
    VEJLE_TOOLS_Q,
)

from planchat.config import REPO_ROOT

pytestmark = pytest.mark.e2e

ARTIFACTS = REPO_ROOT / "test-artifacts"
ANSWER_LIMIT_MS = 60_000
UI_LIMIT_MS = 10_000


@pytest.fixture(scope="module")
def server(real_index, real_settings, tmp_path_factory):
    srv = serve_real_copy(real_settings, tmp_path_factory.mktemp("widget-server"))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield client


def open_page(browser, server, **context_options):
    context = browser.new_context(locale="da-DK", **context_options)
    page = context.new_page()
    page.goto(server.base_url + "/")
    return context, page


@pytest.fixture
def page(browser, server):
    context, page = open_page(browser, server, viewport={"width": 1280, "height": 900})
    try:
        yield page
    finally:
        context.close()


def artifact(name: str) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)


def active_element_id(page) -> str | None:
    """The id of the focused element, looking through the widget's shadow root."""
    return page.evaluate(
        """() => {
            let active = document.activeElement;
            while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
            return active ? active.id || active.className : null;
        }"""
    )


def test_question_streams_a_cited_answer_whose_quote_is_verbatim(page, http):
    from playwright.sync_api import expect

    box = page.locator("#planchat-question")
    expect(page.get_by_role("dialog", name="planchat – spørg beskæftigelsesplanerne")).to_be_visible()
    expect(box).to_be_focused()
    assert active_element_id(page) == "planchat-question"
    assert page.evaluate("() => document.activeElement.matches('[data-planchat-widget]')")
    page.evaluate(
        """() => {
            window.__planchatDeltas = 0;
            document.addEventListener('planchat:delta', () => { window.__planchatDeltas += 1; });
            document.addEventListener('planchat:done', (event) => { window.__planchatDone = event.detail; });
        }"""
    )

    page.keyboard.type(JAMMERBUGT_Q)
    page.keyboard.press("Enter")
    answer = page.locator(".planchat-bot").last
    answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)

    done = page.evaluate("() => window.__planchatDone")
    assert page.evaluate("() => window.__planchatDeltas") > 1
    answer_text = answer.locator(".planchat-answer").text_content()
    assert answer_text == done["answer"]
    assert JAMMERBUGT_228 in answer_text
    assert done["abstained"] is False
    expect(page.locator(".planchat-log")).to_have_attribute("aria-busy", "false")
    expect(page.locator(".planchat-send")).to_be_enabled()
    assert page.locator(".planchat-user").last.text_content() == "Du: " + JAMMERBUGT_Q

    toggles = answer.locator(".planchat-cite-toggle")
    labels = toggles.all_text_contents()
    assert labels == [f"[{c['n']}] " + ", ".join(
        [c["municipality"], str(c["year"])] + ([f"s. {c['page']}"] if c["page"] is not None else [])
    ) for c in done["citations"] if c["role"] == "evidence"]  # fmt: skip
    assert any("Jammerbugt, 2014" in label for label in labels)

    first, first_citation = toggles.first, done["citations"][0]
    quote = answer.locator(".planchat-quote").first
    expect(first).to_have_attribute("aria-expanded", "false")
    expect(quote).to_be_hidden()
    first.click()
    expect(first).to_have_attribute("aria-expanded", "true")
    expect(quote).to_be_visible()
    shown = quote.text_content()
    assert shown == first_citation["quote"]
    document = http.get(f"/v1/documents/{first_citation['doc_id']}/text")
    assert document.status_code == 200, document.text
    text = document.json()["text"]
    assert shown in text
    assert text[first_citation["start"] : first_citation["end"]] == shown

    # A [1] marker in the answer is a button that opens (and focuses) citation 1.
    first.click()
    expect(quote).to_be_hidden()
    answer.locator(".planchat-marker[data-n='1']").first.click()
    expect(quote).to_be_visible()
    expect(first).to_be_focused()
    page.screenshot(path=artifact("widget-answer.png"), full_page=True)

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = answer.locator(".planchat-copy")
    expect(copy).to_have_text("Kopiér svar")
    copy.click()
    expect(copy).to_have_text("Kopieret")
    assert page.evaluate("() => navigator.clipboard.readText()").startswith(done["answer"] + "\n\nKilder:\n[1] ")

    # Citations survive a reload: the conversation is fetched again by its id (sessionStorage).
    page.reload()
    restored = page.locator(".planchat-bot[data-state=done]")
    expect(restored).to_have_count(1)
    assert restored.locator(".planchat-answer").text_content() == done["answer"]
    assert restored.locator(".planchat-cite-toggle").all_text_contents() == labels
    page.get_by_role("button", name="Ny samtale").click()
    expect(page.locator(".planchat-msg")).to_have_count(0)
    assert page.evaluate("() => sessionStorage.length") == 0


def test_narrow_screen_panel_fills_the_viewport_and_escape_returns_to_the_launcher(browser, server):
    from playwright.sync_api import expect

    context, page = open_page(browser, server, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        panel = page.get_by_role("dialog", name="planchat – spørg beskæftigelsesplanerne")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box["width"] >= 370 and box["height"] >= 730, box
        expect(page.locator("#planchat-question")).to_be_focused()
        page.screenshot(path=artifact("widget-mobile.png"))

        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        launcher = page.get_by_role("button", name="Spørg planerne")
        expect(launcher).to_be_focused()
        expect(launcher).to_have_attribute("aria-expanded", "false")
        page.keyboard.press("Enter")
        expect(panel).to_be_visible()
        expect(page.locator("#planchat-question")).to_be_focused()
    finally:
        context.close()


def test_too_long_question_shows_the_api_error_and_the_widget_stays_usable(page, http):
    from playwright.sync_api import expect

    question = ("Hvad er Jammerbugts mål for langtidsledigheden i 2014? " * 30)[:1200]
    api = http.post("/v1/ask/stream", json={"question": question})
    assert 400 <= api.status_code < 500, api.text
    message = api.json()["error"]["message"]

    page.locator("#planchat-question").fill(question)
    page.keyboard.press("Enter")
    failed = page.locator(".planchat-bot[data-state=error]")
    failed.wait_for(timeout=UI_LIMIT_MS)
    assert failed.get_by_role("alert").text_content() == "Spørgsmålet kunne ikke besvares. " + message
    expect(page.locator(".planchat-send")).to_be_enabled()
    expect(page.locator(".planchat-log")).to_have_attribute("aria-busy", "false")
    # The question comes back into the box, to be shortened and sent again.
    expect(page.locator("#planchat-question")).to_have_value(question)
    expect(page.locator("#planchat-question")).to_be_focused()


def test_municipality_filter_lists_the_indexed_municipalities(page, http):
    from playwright.sync_api import expect

    documents = http.get("/v1/documents").json()["documents"]
    municipalities = {d["municipality"] for d in documents}
    options = page.locator("#planchat-municipality option")
    expect(options).to_have_count(len(municipalities) + 1)
    names = options.all_text_contents()
    assert names[0] == "Alle kommuner"
    assert sorted(names[1:]) == sorted(municipalities)
    assert len(names[1:]) == len(set(names[1:]))
    expect(page.get_by_label("Kommune")).to_have_value("")


def test_every_control_is_reachable_by_keyboard(page):
    from playwright.sync_api import expect

    expect(page.locator("#planchat-question")).to_be_focused()
    backwards = []
    for _ in range(5):
        page.keyboard.press("Shift+Tab")
        backwards.append(active_element_id(page))
    assert backwards == [
        "planchat-log", "planchat-municipality", "planchat-close", "planchat-new", "planchat-launcher",
    ]  # fmt: skip
    page.locator("#planchat-question").focus()
    page.keyboard.press("Tab")
    assert active_element_id(page) == "planchat-send"


# -- issue 14: list answers as lists, abstentions that say so -------------------------------------


def ask_in_widget(page, question: str):
    """Type the question, send it, and return the answer once it is done."""
    page.locator("#planchat-question").fill(question)
    page.keyboard.press("Enter")
    answer = page.locator(".planchat-bot").last
    answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)
    return answer


@pytest.fixture
def narrow_page(browser, server):
    """A narrow window, where the panel fills it: made as tall as the answer, a screenshot holds all of it."""
    context, page = open_page(browser, server, viewport={"width": 480, "height": 900})
    try:
        yield page
    finally:
        context.close()


def screenshot_answer(page, name: str) -> None:
    """The conversation as the widget shows it, the window grown until the log no longer scrolls."""
    overflow = page.locator("#planchat-log").evaluate("log => log.scrollHeight - log.clientHeight")
    page.set_viewport_size({"width": 480, "height": 900 + max(0, overflow)})
    page.screenshot(path=artifact(name))


@pytest.mark.parametrize("name", list(LIST_EXAMPLES))
def test_a_list_answer_shows_its_items_as_a_list_each_with_its_citation(narrow_page, name):
    from playwright.sync_api import expect

    page = narrow_page
    question, municipality, intro, items = LIST_EXAMPLES[name]
    answer = ask_in_widget(page, question)
    expect(answer).to_have_attribute("data-kind", "list")
    text = answer.locator(".planchat-answer")
    assert text.evaluate("node => [...node.children].map((child) => child.className)") == [
        "planchat-text", "planchat-list"]  # fmt: skip
    assert text.locator("p.planchat-text").text_content() == f"{municipality}: «{intro}» [1]"
    items_shown = text.locator("ul.planchat-list > li.planchat-item")
    expect(items_shown).to_have_count(len(items))
    assert items_shown.all_text_contents() == [f"«{item}» [{n}]" for n, item in enumerate(items, 2)]
    # Every item's [n] is a button that opens citation n, whose quote is the item, verbatim.
    assert text.locator("li .planchat-marker").all_text_contents() == [f"[{n}]" for n in range(2, len(items) + 2)]
    text.locator("li .planchat-marker").last.click()
    last = answer.locator(f".planchat-citation[data-n='{len(items) + 1}']")
    expect(last.locator(".planchat-cite-toggle")).to_have_attribute("aria-expanded", "true")
    assert last.locator(".planchat-quote").text_content() == items[-1]
    last.locator(".planchat-cite-toggle").click()  # closed again for the screenshot
    expect(answer.locator(".planchat-citation")).to_have_count(len(items) + 1)
    screenshot_answer(page, f"issue14-{name}.png")


@pytest.mark.parametrize("name", list(ABSTENTION_EXAMPLES))
def test_an_abstention_says_the_plans_do_not_state_it(narrow_page, name):
    from playwright.sync_api import expect

    page = narrow_page
    question, expected_text, see_also = ABSTENTION_EXAMPLES[name]
    answer = ask_in_widget(page, question)
    expect(answer).to_have_attribute("data-kind", "abstain")
    expect(answer).to_have_class("planchat-msg planchat-bot planchat-abstained")
    assert answer.locator(".planchat-answer").text_content() == expected_text
    expect(answer.locator(".planchat-list")).to_have_count(0)
    assert answer.locator(".planchat-sources h3").all_text_contents() == (["Se også"] if see_also else [])
    expect(answer.locator(".planchat-see-also .planchat-citation")).to_have_count(see_also)
    assert answer.locator(".planchat-marker").all_text_contents() == [f"[{n}]" for n in range(1, see_also + 1)]
    screenshot_answer(page, f"issue14-{name}.png")


def test_two_lists_and_one_longer_than_shown(narrow_page):
    from playwright.sync_api import expect

    page = narrow_page
    answer = ask_in_widget(page, VEJLE_TOOLS_Q)
    expect(answer).to_have_attribute("data-kind", "list")
    text = answer.locator(".planchat-answer")
    assert text.evaluate("node => [...node.children].map((child) => child.className)") == [
        "planchat-text", "planchat-list", "planchat-text", "planchat-list", "planchat-list-note"]  # fmt: skip
    assert text.locator("p.planchat-text").all_text_contents() == ["Vejle: «Tilgang» [1]", VEJLE_TOOLS_BETWEEN]
    lists = text.locator("ul.planchat-list")
    assert [lists.nth(i).locator("li").count() for i in range(2)] == [7, 10]
    assert lists.nth(1).locator(".planchat-marker").all_text_contents() == [f"[{n}]" for n in range(11, 21)]
    assert text.locator(".planchat-list-note").text_content() == LIST_MORE_14
    expect(text.locator(".planchat-list-note")).to_have_css("color", "rgb(85, 85, 85)")
    screenshot_answer(page, "issue14-vejle-redskaber-note.png")
