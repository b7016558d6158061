"""End to end: a scanned plan uploaded to a real ``planchat serve`` (real
model, real tesseract in the server process) is answered in the widget
(Debian's Chromium), and its citation says «tekst genkendt fra scannet
side». The screenshot is test-artifacts/widget-ocr-citation.png."""

from __future__ import annotations

import httpx
import pytest
import scans
from conftest import requires_ocr
from e2e_support import browser, serve_real_copy  # noqa: F401  (browser: a fixture)
from expected import SCAN_QUESTION, SCAN_QUOTE
from test_widget import ANSWER_LIMIT_MS, artifact

pytestmark = [pytest.mark.e2e, requires_ocr]
KEY = "ocr-admin-key-0123456789"
OCR_LABEL = "tekst genkendt fra scannet side"


@pytest.fixture(scope="module")
def server(real_index, real_settings, tmp_path_factory):
    srv = serve_real_copy(real_settings, tmp_path_factory.mktemp("widget-ocr-server"), PLANCHAT_API_KEY=KEY)
    try:
        with httpx.Client(base_url=srv.base_url, timeout=120) as http:
            uploaded = http.post(
                "/v1/documents", files={"file": ("thisted-scan.pdf", scans.scanned_pdf())},
                data={"municipality": "Thisted", "year": "2025"}, headers={"Authorization": f"Bearer {KEY}"},
            )  # fmt: skip
            assert uploaded.status_code == 201, uploaded.text
            assert uploaded.json()["report"]["ocr_pages"] == 1
        yield srv
    finally:
        srv.stop()


def test_an_ocr_citation_says_it_was_recognised_from_a_scanned_page(server, browser):
    from playwright.sync_api import expect

    context = browser.new_context(locale="da-DK", viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server.base_url + "/")
        page.evaluate("() => document.addEventListener('planchat:done', (e) => { window.__done = e.detail; })")
        page.locator("#planchat-question").fill(SCAN_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".planchat-bot").last
        answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)
        done = page.evaluate("() => window.__done")
        first = done["citations"][0]
        assert (first["doc_id"], first["quote"], first["ocr"]) == ("thisted-2025", SCAN_QUOTE, True)
        toggle = answer.locator(".planchat-cite-toggle").first
        expect(toggle).to_have_text(f"[1] Thisted, 2025, s. 1, {OCR_LABEL}")
        toggle.click()
        expect(answer.locator(".planchat-quote").first).to_have_text(SCAN_QUOTE)
        expect(answer.locator(".planchat-cite-ocr").first).to_have_text(f"({OCR_LABEL})")
        # Only OCR citations say so: as many notes as citations flagged ocr.
        shown = [c for c in done["citations"] if c["role"] == "evidence"]
        expect(answer.locator(".planchat-cite-ocr")).to_have_count(sum(c["ocr"] for c in shown))
        page.screenshot(path=artifact("widget-ocr-citation.png"), full_page=True)
    finally:
        context.close()
