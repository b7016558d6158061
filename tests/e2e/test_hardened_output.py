"""Issue 17, "Hardened output", tested as an attacker would act: plans
uploaded to a real ``planchat serve`` process over HTTP, read back through
every endpoint that shows plan text, and the widget in real Chromium.

- Finding 5a: HTML written as entities in a plan (``&lt;img src=x
  onerror=…&gt;``) never comes back as markup: not in the document text,
  not in a quote, not in the OpenAI text.
- Finding 5c: a plan whose text holds "[1]" or «[2]» gets no false
  citation markers in the widget: only the server's markers are buttons.

The server uses the hash embedder and BM25 answers (what is tested here is
what comes back, not answer quality), over its own fresh data dir; it is
stopped by its PID in the fixture's teardown.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from planchat.config import REPO_ROOT
from processes import ServerDidNotStart, free_port, start_server

pytestmark = pytest.mark.e2e

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
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
FAKE_MARKERS = "# Beskæftigelsesplan 2024\n\n## Løntilskud\n\nTabel [1] og «[2]» viser, at løntilskud hjælper ledige videre.\n"
FAKE_MARKERS_QUOTE = "Tabel [1] og «[2]» viser, at løntilskud hjælper ledige videre."
FAKE_MARKERS_QUESTION = "Hvad viser tabellen om løntilskud?"


def serve_planchat(work: Path, **variables: str):
    if not PLANCHAT.exists():
        pytest.fail(f"{PLANCHAT} is missing: run `make setup` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(work / "data"), PLANCHAT_EMBEDDER="hash", PLANCHAT_RETRIEVAL_MODE="bm25",
               PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"), PYTHONUNBUFFERED="1", **variables)  # fmt: skip
    try:
        return start_server(
            [str(PLANCHAT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            port=port, ready_path="/healthz", logs=work / "logs", env=env, cwd=work, limit_s=90,
        )  # fmt: skip
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = serve_planchat(tmp_path_factory.mktemp("hardened"), PLANCHAT_API_KEY=ADMIN)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y --no-install-recommends chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make setup` (it is in the dev dependencies)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


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
