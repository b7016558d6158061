"""Issue 17, finding 6: security headers on every page, API response and the
widget script (api/headers.py), and /docs with local assets that follows
PLANCHAT_PROTECT_READS (api/routes/static.py). Exact header values, through
the TestClient; tests/e2e/test_hardened_output.py checks them over HTTP and
in Chromium (no CSP violation, the widget embedded on an allowed origin)."""

from __future__ import annotations

import re

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q
from fastapi.testclient import TestClient
from swagger_ui_bundle import swagger_ui_path

from api.app import create_app
from api.headers import page_policy

ADMIN = "admin-key-0123456789"
READ = "read-key-widget-0001"
ALLOWED = "https://intranet.example.dk"
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    f"base-uri 'none'; form-action 'self'; frame-ancestors 'self' {ALLOWED}"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
READ_KEY_MISSING = (
    "This endpoint needs a key: a read key (PLANCHAT_READ_KEYS) or the admin key (PLANCHAT_API_KEY), sent as "
    "'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
)


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("headers"), retrieval_mode="bm25", cors_origins=[ALLOWED],
                             max_body_kb=1)  # fmt: skip
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def protected(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("headers-protected"), retrieval_mode="bm25", api_key=ADMIN,
                             read_keys=[READ], protect_reads=True)  # fmt: skip
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def security_headers(response) -> tuple[str | None, str | None, str | None]:
    h = response.headers
    return h.get("content-security-policy"), h.get("x-content-type-options"), h.get("referrer-policy")


# -- every response -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, body, status, csp",
    [
        ("GET", "/", None, 200, PAGE_CSP),
        ("GET", "/demo.css", None, 200, API_CSP),
        ("GET", "/widget.js", None, 200, API_CSP),
        ("GET", "/docs", None, 200, DOCS_CSP),
        ("GET", "/docs/assets/swagger-ui-bundle.js", None, 200, API_CSP),
        ("GET", "/openapi.json", None, 200, API_CSP),
        ("GET", "/healthz", None, 200, API_CSP),
        ("POST", "/v1/ask", {"question": JAMMERBUGT_Q}, 200, API_CSP),
        ("POST", "/v1/ask/stream", {"question": JAMMERBUGT_Q}, 200, API_CSP),
        ("GET", "/v1/targets?format=csv", None, 200, API_CSP),
        ("GET", "/v1/documents/nope/text", None, 404, API_CSP),
        ("POST", "/v1/ask", {"question": "x" * 2000}, 413, API_CSP),  # BodyLimit's own answer
        ("GET", "/nope", None, 404, API_CSP),
    ],  # fmt: skip
)
def test_every_response_carries_the_security_headers(client, method, path, body, status, csp):
    response = client.request(method, path, json=body)
    assert response.status_code == status, response.text
    assert security_headers(response) == (csp, "nosniff", "same-origin")


def test_a_cors_preflight_carries_them_too_and_cors_still_allows_the_origin(client):
    response = client.options("/v1/ask", headers={"Origin": ALLOWED, "Access-Control-Request-Method": "POST",
                                                  "Access-Control-Request-Headers": "content-type"})  # fmt: skip
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert security_headers(response) == (API_CSP, "nosniff", "same-origin")


def test_an_allowed_page_may_read_the_request_id_and_retry_after(client):
    response = client.get("/healthz", headers={"Origin": ALLOWED})
    assert response.headers["access-control-expose-headers"] == "Retry-After, X-Request-ID"
    assert len(response.headers["x-request-id"]) == 32


def test_the_widget_script_may_be_embedded_by_any_site(client):
    response = client.get("/widget.js", headers={"Origin": ALLOWED})
    assert response.headers["content-type"] == "application/javascript; charset=utf-8"  # nosniff runs only this
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"


@pytest.mark.parametrize(
    "origins, frame_ancestors",
    [
        ([], "'self'"),
        (
            ["https://a.example.dk", "http://127.0.0.2:8080/", "https://a.example.dk"],
            "'self' https://a.example.dk http://127.0.0.2:8080",
        ),
        (["http://[::1]:8000"], "'self' http://[::1]:8000"),
        # Not an origin CSP can name (and a ';' would start a directive of its own): left out.
        (["https://x.example.dk; script-src *", "javascript:alert(1)", "intranet"], "'self'"),
    ],  # fmt: skip
)
def test_the_page_may_be_framed_by_itself_and_the_allowed_origins_only(origins, frame_ancestors):
    assert page_policy(origins).endswith(f"; form-action 'self'; frame-ancestors {frame_ancestors}")


def test_the_demo_page_has_nothing_inline(client):
    page = client.get("/").text
    assert "<style" not in page and " style=" not in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/widget.js" data-open="true">']
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)">', page) == ["/demo.css"]
    assert client.get("/demo.css").headers["content-type"] == "text/css; charset=utf-8"


# -- /docs: local assets, protected like the reads ----------------------------------------------------------


def test_docs_reference_only_local_assets_and_they_are_served(client):
    page = client.get("/docs")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls == ["docs/assets/swagger-ui.css", "docs/assets/favicon-32x32.png", "docs/assets/swagger-ui-bundle.js",
                    "docs/assets/init.js"]  # fmt: skip
    expected = {"swagger-ui-bundle.js": "application/javascript; charset=utf-8",
                "swagger-ui.css": "text/css; charset=utf-8", "favicon-32x32.png": "image/png"}  # fmt: skip
    for name, media_type in expected.items():
        asset = client.get(f"/docs/assets/{name}")
        content = (swagger_ui_path / name).read_bytes()  # the package's own files
        assert (asset.status_code, asset.headers["content-type"], asset.content) == (200, media_type, content)
    init = client.get("/docs/assets/init.js")
    assert init.status_code == 200 and 'new URL("openapi.json", document.baseURI)' in init.text
    assert "http" not in init.text and "validatorUrl: null" in init.text  # nothing asked of another server


def test_docs_assets_are_a_fixed_list_never_a_path(client):
    for name in ("index.html", "..%2F..%2Fapi%2Fapp.py", "swagger-ui.js.map"):
        assert client.get(f"/docs/assets/{name}").status_code == 404
    assert client.get("/docs/assets/../app.py").status_code == 404


def test_redoc_is_gone_it_would_load_from_a_cdn(client):
    assert client.get("/redoc").status_code == 404


def test_docs_and_the_schema_follow_protect_reads(protected):
    for path in ("/docs", "/openapi.json"):
        refused = protected.get(path)
        assert (refused.status_code, refused.json()["error"]["message"]) == (401, READ_KEY_MISSING)
        assert protected.get(path, headers={"Authorization": "Bearer wrong-key-000000"}).status_code == 401
        assert protected.get(path, headers={"Authorization": f"Bearer {READ}"}).status_code == 200
        assert protected.get(path, headers={"X-API-Key": ADMIN}).status_code == 200
    # The demo page, the widget and Swagger UI's own files stay open: they tell nothing about the plans.
    for path in ("/", "/demo.css", "/widget.js", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/init.js"):
        assert protected.get(path).status_code == 200, path
    schema = protected.get("/openapi.json", headers={"Authorization": f"Bearer {READ}"}).json()
    assert schema["openapi"] == "3.1.0" and "/v1/ask" in schema["paths"]
