"""End to end: the widget with an LLM on the server (tests/fake_llm.py, which holds its
answer until the test lets go), in real Chromium against a real ``planchat serve``.
While the LLM writes, the extractive answer is on screen with «Forbedrer svaret …»;
then the LLM's checked answer replaces it, or the draft stays with the notice.
Ordering, not timing: the hold makes "before the LLM answered" a fact."""

from __future__ import annotations

import pytest
from e2e_support import browser, serve_real_copy  # noqa: F401  (browser: a fixture)
from expected import JAMMERBUGT_228, JAMMERBUGT_Q
from fake_llm import FakeLLM
from test_widget import ANSWER_LIMIT_MS, artifact, open_page

pytestmark = pytest.mark.e2e

NOTICE = "Sprogmodellen gav ikke et svar, der kunne efterprøves mod kilderne, så her er de ordrette uddrag."


@pytest.fixture(scope="module")
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def server(llm, real_index, real_settings, tmp_path_factory):
    srv = serve_real_copy(
        real_settings,
        tmp_path_factory.mktemp("widget-llm"),
        "--no-ingest",
        PLANCHAT_LLM_BASE_URL=llm.base_url,
        PLANCHAT_LLM_MODEL="fake-model",
        PLANCHAT_LLM_TIMEOUT_S="300",
    )
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def page(browser, server):
    context, page = open_page(browser, server, viewport={"width": 1280, "height": 900})
    try:
        yield page
    finally:
        context.close()


def good_reply(real_service) -> str:
    _, passages = real_service.ask_with_passages(JAMMERBUGT_Q)
    n = next(i for i, p in enumerate(passages, 1) if "228 personer" in p.chunk.text)
    return f"Jammerbugt vil begrænse antallet af langtidsledige til 228 personer i december 2014 [{n}]."


def ask_and_see_the_draft(page, llm_release):
    from playwright.sync_api import expect

    page.locator("#planchat-question").fill(JAMMERBUGT_Q)
    page.keyboard.press("Enter")
    answer = page.locator(".planchat-bot").last
    expect(answer.locator(".planchat-improving")).to_have_text("Forbedrer svaret …", timeout=ANSWER_LIMIT_MS)
    expect(answer).to_have_attribute("data-state", "improving")
    assert JAMMERBUGT_228 in answer.locator(".planchat-answer").text_content()  # shown while the LLM still writes
    assert answer.locator(".planchat-cite-toggle").count() == answer.locator(".planchat-marker").count() >= 1
    return answer


def test_an_upgrade_replaces_the_draft(page, llm, real_service):
    from playwright.sync_api import expect

    release = llm.late(good_reply(real_service))
    answer = ask_and_see_the_draft(page, release)
    page.screenshot(path=artifact("widget-llm-draft.png"), full_page=True)
    release.set()
    expect(answer).to_have_attribute("data-state", "done", timeout=ANSWER_LIMIT_MS)
    assert answer.locator(".planchat-answer").text_content() == (
        "Jammerbugt vil begrænse antallet af langtidsledige til 228 personer i december 2014 [1]."
    )
    assert (answer.get_attribute("data-upgraded"), answer.locator(".planchat-improving").count()) == ("true", 0)
    assert answer.locator(".planchat-notice").count() == 0 and answer.locator(".planchat-cite-toggle").count() == 1
    answer.locator(".planchat-marker[data-n='1']").click()  # the upgrade's own marker opens its own citation
    expect(answer.locator(".planchat-quote")).to_have_text(
        "Antallet af langtidsledige – dvs. ledige, der har været ledige i min. 80 pct. af tiden inden for de seneste 52 "
        "uger – skal begrænses til 228 personer (antal personer) i december 2014, svt. et fald på 20 pct. fra december "
        "2012 til december 2014."
    )
    page.screenshot(path=artifact("widget-llm-upgraded.png"), full_page=True)


def test_a_rejected_llm_answer_leaves_the_draft_with_the_notice(page, llm):
    from playwright.sync_api import expect

    release = llm.late("Det fremgår ikke af planerne for Jammerbugt. Nærmeste afsnit: [1].")
    answer = ask_and_see_the_draft(page, release)
    draft = answer.locator(".planchat-answer").text_content()
    release.set()
    expect(answer).to_have_attribute("data-state", "done", timeout=ANSWER_LIMIT_MS)
    assert answer.locator(".planchat-answer").text_content() == draft
    expect(answer.locator(".planchat-notice")).to_have_text(NOTICE)
    assert answer.locator(".planchat-improving").count() == 0 and answer.get_attribute("data-upgraded") is None
