"""Issue 17, "Hardened output", tested as an attacker would act: plans
uploaded to a real ``planchat serve`` process over HTTP, read back through
every endpoint that shows plan text, and the widget in real Chromium.

- Finding 5a: HTML written as entities in a plan (``&lt;img src=x
  onerror=…&gt;``) never comes back as markup: not in the document text,
  not in a quote, not in the OpenAI text.
- Finding 5c: a plan whose text holds "[1]" or «[2]» gets no false
  citation markers in the widget: only the server's markers are buttons.
- Finding 6 (headers, /docs): every response carries the security headers;
  the demo page with the widget, and /docs, run in Chromium without one
  CSP violation; the widget embedded on an allowed origin (a page on a
  second loopback address, under a strict CSP of its own) still works.

The server uses the hash embedder and BM25 answers (what is tested here is
what comes back, not answer quality), over its own fresh data dir; it is
stopped by its PID in the fixture's teardown, and the embedding site (an
``http.server`` thread) is shut down the same way.
"""

from __future__ import annotations

import json

import httpx
import pytest
from e2e_support import StaticSite, browser, serve_hash  # noqa: F401  (browser: a fixture)

pytestmark = pytest.mark.e2e

ANSWER_LIMIT_MS = 30_000
ADMIN = "admin-key-hardened-0123456789"

# The same attack, once per text upload type.
ENCODED_HTML = (
    "# Beskæftigelsesplan 2024\n\n## Digital rekruttering\n\n"
    "Jobcentret afprøver &lt;img src=x onerror=alert(1)&gt; og &lt;script&gt;alert(2)&lt;/script&gt; "
    "i den digitale rekruttering af virksomhedskonsulenter.\n"
)
ENCODED_QUESTION = "Hvad afprøver jobcentret i den digitale rekruttering af virksomhedskonsulenter?"
# What the clean text holds: the words the author wrote, with each "<" that would open a tag as "＜".
ENCODED_CLEAN = (
    "Jobcentret afprøver ＜img src=x onerror=alert(1)> og ＜script>alert(2)＜/script> "
    "i den digitale rekruttering af virksomhedskonsulenter."
)
UPLOADS = {".txt": "Aarhus", ".md": "Odense"}
# Plan text that looks like citation markers.
FAKE_MARKERS_QUOTE = "Tabel [1] og «[2]» viser, at løntilskud hjælper ledige videre."
FAKE_MARKERS = f"# Beskæftigelsesplan 2024\n\n## Løntilskud\n\n{FAKE_MARKERS_QUOTE}\n"
FAKE_MARKERS_QUESTION = "Hvad viser tabellen om løntilskud?"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The intranet that embeds the widget: an origin in PLANCHAT_CORS_ORIGINS."""
    site = StaticSite("127.0.0.2", tmp_path_factory.mktemp("intranet"))
    try:
        yield site
    finally:
        site.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, site):
    srv = serve_hash(tmp_path_factory.mktemp("hardened"), PLANCHAT_API_KEY=ADMIN,
                         PLANCHAT_CORS_ORIGINS=json.dumps([site.origin]))  # fmt: skip
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield client


def upload(http, name: str, text: str, municipality: str, year: int = 2024) -> dict:
    response = http.post(
        "/v1/documents", headers={"Authorization": f"Bearer {ADMIN}"},
        files={"file": (name, text.encode("utf-8"), "text/plain")}, data={"municipality": municipality, "year": year},
    )  # fmt: skip
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def encoded_docs(http) -> dict[str, str]:
    return {suffix: upload(http, f"plan{suffix}", ENCODED_HTML, municipality)["doc_id"]
            for suffix, municipality in UPLOADS.items()}  # fmt: skip


def assert_no_markup(raw: str) -> None:
    for opener in ("<img", "<script", "<IMG", "<Script", "</script"):
        assert opener not in raw


# -- finding 5a: encoded HTML stays text ------------------------------------------------------------


@pytest.mark.parametrize("suffix", list(UPLOADS))
def test_encoded_html_in_a_plan_is_text_in_the_documents_text(http, encoded_docs, suffix):
    response = http.get(f"/v1/documents/{encoded_docs[suffix]}/text")
    assert response.status_code == 200, response.text
    assert_no_markup(response.text)
    assert response.json()["text"] == f"Beskæftigelsesplan 2024\n\nDigital rekruttering\n\n{ENCODED_CLEAN}"


@pytest.mark.parametrize("suffix", list(UPLOADS))
def test_encoded_html_in_a_plan_is_text_in_a_quote(http, encoded_docs, suffix):
    municipality = UPLOADS[suffix]
    response = http.post("/v1/ask", json={"question": ENCODED_QUESTION, "municipalities": [municipality]})
    assert response.status_code == 200, response.text
    assert_no_markup(response.text)
    body = response.json()
    assert [c["quote"] for c in body["citations"]] == [ENCODED_CLEAN]
    assert body["answer"] == f"{municipality}: «{ENCODED_CLEAN}» [1]"


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
def test_encoded_html_in_a_plan_is_text_in_the_openai_content(http, encoded_docs, stream):
    request = {"model": "planchat", "messages": [{"role": "user", "content": ENCODED_QUESTION}],
               "planchat": {"municipalities": ["Aarhus"]}, "stream": stream}  # fmt: skip
    response = http.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    assert_no_markup(response.text)
    assert "onerror=alert" in response.text  # the quote is there, as text


# -- finding 5c: citation markers only from the server ---------------------------------------------


def test_plan_text_that_looks_like_markers_is_no_button_in_the_widget(server, http, browser):
    from playwright.sync_api import expect

    upload(http, "plan.md", FAKE_MARKERS, "Horsens")
    api = http.post("/v1/ask", json={"question": FAKE_MARKERS_QUESTION, "municipalities": ["Horsens"]}).json()
    expected_answer = f"Horsens: «{FAKE_MARKERS_QUOTE}» [1]"
    assert api["answer"] == expected_answer
    assert api["markers"] == [{"n": 1, "start": len(expected_answer) - 3, "end": len(expected_answer)}]

    context = browser.new_context(locale="da-DK")
    try:
        page = context.new_page()
        page.goto(server.base_url + "/")
        expect(page.locator("#planchat-municipality option", has_text="Horsens")).to_have_count(1)
        page.get_by_label("Kommune").select_option("Horsens")
        page.locator("#planchat-question").fill(FAKE_MARKERS_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".planchat-bot").last
        answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)
        text = answer.locator(".planchat-answer")
        assert text.text_content() == expected_answer
        # One button, the server's marker at the end; the plan's "[1]" and «[2]» are text.
        markers = text.locator(".planchat-marker")
        assert markers.all_text_contents() == ["[1]"]
        assert text.evaluate("node => [...node.childNodes].map((n) => n.nodeName)") == ["#text", "BUTTON"]
        markers.click()
        expect(answer.locator(".planchat-cite-toggle").first).to_have_attribute("aria-expanded", "true")
        assert answer.locator(".planchat-quote").first.text_content() == FAKE_MARKERS_QUOTE
        # A reload shows the stored turn the same way.
        page.reload()
        restored = page.locator(".planchat-bot[data-state=done] .planchat-answer")
        expect(restored).to_have_count(1)
        assert restored.locator(".planchat-marker").all_text_contents() == ["[1]"]
    finally:
        context.close()


# -- finding 6: security headers, no CSP violation, the widget still embeds ----------------------------


def page_csp(site) -> str:
    return ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors 'self' {site.origin}")  # fmt: skip


API_CSP = "default-src 'none'; frame-ancestors 'none'"


def test_every_response_over_http_carries_the_security_headers(http, site):
    responses = {
        "/": http.get("/"),
        "/widget.js": http.get("/widget.js", headers={"Origin": site.origin}),
        "/v1/ask": http.post("/v1/ask", json={"question": FAKE_MARKERS_QUESTION}, headers={"Origin": site.origin}),
        "/v1/documents/nope": http.get("/v1/documents/nope"),
        "/docs": http.get("/docs"),
    }
    csp = {path: r.headers["content-security-policy"] for path, r in responses.items()}
    assert csp == {"/": page_csp(site), "/widget.js": API_CSP, "/v1/ask": API_CSP, "/v1/documents/nope": API_CSP,
                   "/docs": csp["/docs"]}  # fmt: skip
    assert "'unsafe-inline'" not in csp["/docs"] and "frame-ancestors 'none'" in csp["/docs"]
    for response in responses.values():
        assert (response.headers["x-content-type-options"], response.headers["referrer-policy"]) == (
            "nosniff", "same-origin")  # fmt: skip
    assert responses["/v1/ask"].headers["access-control-allow-origin"] == site.origin


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`), true);
"""


def watched_page(browser):
    """A page that records every CSP violation (the event, and Chromium's console message)."""
    context = browser.new_context(locale="da-DK")
    context.add_init_script(CSP_WATCH)  # injected by the browser, not subject to the page's CSP
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    return context, page, console


def violations(page, console: list[str]) -> list[str]:
    return page.evaluate("() => window.__cspViolations") + [m for m in console if "Content Security Policy" in m]


def test_the_demo_page_and_the_widget_run_without_a_csp_violation(server, http, browser):
    from playwright.sync_api import expect

    upload(http, "plan.md", FAKE_MARKERS, "Horsens")
    context, page, console = watched_page(browser)
    try:
        page.goto(server.base_url + "/")
        launcher = page.get_by_role("button", name="Spørg planerne")
        expect(launcher).to_have_css("background-color", "rgb(29, 79, 145)")  # the widget's own style applies
        expect(page.locator("h1")).to_have_css("font-size", "27.2px")  # and the page's (/demo.css)
        page.get_by_label("Kommune").select_option("Horsens")
        page.locator("#planchat-question").fill(FAKE_MARKERS_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".planchat-bot").last
        answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)
        answer.locator(".planchat-marker").click()
        expect(answer.locator(".planchat-quote").first).to_be_visible()
        assert violations(page, console) == []
    finally:
        context.close()


def test_docs_render_from_local_assets_without_a_csp_violation(server, browser):
    from playwright.sync_api import expect

    context, page, console = watched_page(browser)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        page.goto(server.base_url + "/docs")
        expect(page.locator(".opblock-summary-path", has_text="/v1/chat/completions")).to_have_count(1)
        page.locator(".opblock-summary", has_text="/healthz").click()
        page.get_by_role("button", name="Try it out").click()
        page.get_by_role("button", name="Execute").click()
        expect(page.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200")
        assert violations(page, console) == []
        assert {url.split("/", 3)[2] for url in requested} == {server.base_url.split("/", 3)[2]}  # nothing else asked
    finally:
        context.close()


def test_the_widget_embedded_on_an_allowed_origin_under_its_strict_csp_still_works(server, site, http, browser):
    from playwright.sync_api import expect

    upload(http, "plan.md", FAKE_MARKERS, "Horsens")
    (site.root / "intranet.html").write_text(
        f"""<!doctype html><html lang="da"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; script-src {server.base_url}; connect-src {server.base_url}">
<title>Intranet</title></head><body><h1>Jobcentrets intranet</h1>
<script src="{server.base_url}/widget.js" data-open="true"></script>
</body></html>""",
        encoding="utf-8",
    )
    context, page, console = watched_page(browser)
    try:
        page.goto(site.origin + "/intranet.html")
        expect(page.get_by_role("button", name="Spørg planerne")).to_have_css("background-color", "rgb(29, 79, 145)")
        expect(page.locator("#planchat-municipality option", has_text="Horsens")).to_have_count(1)
        page.get_by_label("Kommune").select_option("Horsens")
        page.locator("#planchat-question").fill(FAKE_MARKERS_QUESTION)
        page.keyboard.press("Enter")
        answer = page.locator(".planchat-bot").last
        answer.and_(page.locator("[data-state=done]")).wait_for(timeout=ANSWER_LIMIT_MS)
        assert answer.locator(".planchat-answer").text_content() == f"Horsens: «{FAKE_MARKERS_QUOTE}» [1]"
        assert violations(page, console) == []
    finally:
        context.close()
