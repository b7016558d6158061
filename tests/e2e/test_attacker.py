"""Issue 17 tested as an attacker would act: against real ``planchat serve``
processes (uvicorn) on loopback, over HTTP, and with real Chromium loading
a page from a second loopback origin.

- Finding 2: a page on another origin auto-submits a multipart form to
  /v1/documents of a server in anonymous-writes mode: 403, nothing stored;
  the same form from the server's own page still uploads.

The servers use the hash embedder and BM25 answers (what is tested here is
who may do what, not answer quality), each over its own fresh data dir.
They are stopped by their PID in the fixtures' teardown; the attacker's
pages are served by ``http.server`` threads, shut down the same way.
"""

from __future__ import annotations

import functools
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
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
RESPONSE_LIMIT_MS = 30_000
FORGED = "# Beskæftigelsesplan 2024\n\nAarhus nedlægger jobcentret i december 2024.\n"
SEC_FETCH_REFUSED = (
    "Cross-site write refused: the browser marked this request 'Sec-Fetch-Site: cross-site'. Write from this "
    "server's own pages, or from a client outside the browser (curl, a script)."
)


def origin_refused(origin: str) -> str:
    return (
        f"Cross-site write refused: Origin '{origin}' is neither this server's own origin nor in "
        "PLANCHAT_CORS_ORIGINS. Write from this server's own pages, or from a client outside the browser "
        "(curl, a script)."
    )


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


class StaticSite:
    """A tiny web site (``http.server`` in a thread) on a loopback address of its own: another origin."""

    def __init__(self, host: str, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.origin = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def anonymous_server(tmp_path_factory):
    """Anonymous writes allowed (a local demo): before issue 17 any site could write to it."""
    srv = serve_planchat(tmp_path_factory.mktemp("anonymous-writes"), PLANCHAT_ALLOW_ANONYMOUS_WRITES="true")
    try:
        yield srv
    finally:
        srv.stop()


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


def forged_upload_page(action: str) -> str:
    """A page that, once loaded, submits a forged plan to ``action`` as a multipart form, as an attacker's would."""
    return f"""<!doctype html><html><body>
<form id="forge" action="{action}" method="post" enctype="multipart/form-data">
  <input type="hidden" name="municipality" value="Aarhus">
  <input type="hidden" name="year" value="2024">
  <input type="file" name="file" id="file">
</form>
<script>
  const files = new DataTransfer();
  files.items.add(new File([{FORGED!r}], "forged.txt", {{ type: "text/plain" }}));
  document.getElementById("file").files = files.files;
  document.getElementById("forge").submit();
</script>
</body></html>"""


def submitted_form(page, load) -> tuple[int, dict]:
    """Run ``load`` (which makes the page submit the form); the status and JSON body the browser got back."""
    with page.expect_response(lambda r: r.url.endswith("/v1/documents"), timeout=RESPONSE_LIMIT_MS) as caught:
        load()
    response = caught.value
    return response.status, response.json()


@pytest.mark.parametrize("attacker_host", ["127.0.0.2", "127.0.0.1"], ids=["another-site", "another-port"])
def test_a_page_on_another_origin_cannot_upload_a_forged_plan(anonymous_server, browser, tmp_path, attacker_host):
    site_root = tmp_path / "site"
    site_root.mkdir()
    (site_root / "attack.html").write_text(forged_upload_page(anonymous_server.base_url + "/v1/documents"), "utf-8")
    site = StaticSite(attacker_host, site_root)
    context = browser.new_context()
    try:
        page = context.new_page()
        status, body = submitted_form(page, lambda: page.goto(site.origin + "/attack.html"))
    finally:
        context.close()
        site.close()
    # 127.0.0.2 is another site (Sec-Fetch-Site: cross-site); another port of 127.0.0.1 is the same site but
    # another origin, caught by its Origin header.
    message = SEC_FETCH_REFUSED if attacker_host == "127.0.0.2" else origin_refused(site.origin)
    assert (status, body) == (403, {"error": {"code": "forbidden", "message": message}})
    documents = httpx.get(anonymous_server.base_url + "/v1/documents", timeout=30).json()["documents"]
    assert "aarhus-2024" not in {d["doc_id"] for d in documents}
    assert httpx.get(anonymous_server.base_url + "/v1/documents/aarhus-2024", timeout=30).status_code == 404


def test_the_same_form_from_the_servers_own_page_still_uploads(anonymous_server, browser):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(anonymous_server.base_url + "/")
        html = forged_upload_page("/v1/documents")
        status, body = submitted_form(page, lambda: page.set_content(html))
    finally:
        context.close()
    assert (status, body["doc_id"], body["report"]["status"]) == (201, "aarhus-2024", "added")
    with httpx.Client(base_url=anonymous_server.base_url, timeout=30) as http:
        assert http.get("/v1/documents/aarhus-2024/text").json()["text"].endswith(FORGED.splitlines()[-1])
        assert http.delete("/v1/documents/aarhus-2024").json()["status"] == "removed"  # curl-like: no Origin
