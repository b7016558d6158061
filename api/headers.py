"""Security headers on every response: pages, API responses, the widget script.

- ``X-Content-Type-Options: nosniff``: a browser runs /widget.js only as
  the JavaScript it is served as, and never reads a JSON or CSV answer as
  HTML or script.
- ``Referrer-Policy: same-origin``: no URL of ours (a query with a
  municipality, a conversation path) leaves in a Referer header. Not
  ``no-referrer``: a browser sends ``Origin: null`` with a same-origin
  POST from such a page, and the cross-site write check (api/security.py)
  would refuse the server's own pages.
- ``Content-Security-Policy``, by what the response is:
  - an HTML page (the demo page ``/``): its own scripts, styles and API
    only, nothing inline (``PAGE``); it may be framed by this server and the
    ``PLANCHAT_CORS_ORIGINS``, the sites allowed to use the API anyway;
  - everything else (JSON, SSE, CSV, /widget.js, the Swagger UI assets):
    ``default-src 'none'; frame-ancestors 'none'`` (``API``): opened on its
    own such a response loads and runs nothing and cannot be framed. A
    script's own CSP does not apply where it is embedded, so the widget
    still runs on the pages of the allowed origins, under their CSP (which
    must allow this server in ``script-src`` and ``connect-src``);
  - a response that sets its own CSP keeps it (/docs: ``DOCS``, which may
    not be framed at all).
- ``X-Frame-Options`` is not sent: ``frame-ancestors`` supersedes it in
  every current browser, and it cannot name the allowed origins.

A pure ASGI middleware, outermost, so CORS preflights and the 413s of
``BodyLimit`` carry the headers too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from planchat.config import Settings

NOSNIFF = "nosniff"
REFERRER_POLICY = "same-origin"
API = "default-src 'none'; frame-ancestors 'none'"
# /docs: Swagger UI from /docs/assets, nothing inline either (it styles through the CSSOM, which CSP allows;
# checked in Chromium, tests/e2e/test_hardened_output.py); its CSS draws icons from data: URLs.
DOCS = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
# An origin as CSP can name it; anything else (a typo, a ';' that would start a directive) is left out.
_ORIGIN = re.compile(r"^(?:\*|https?://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?)$")


def page_policy(cors_origins: Iterable[str]) -> str:
    """The CSP of an HTML page: nothing inline, nothing from elsewhere, framed only by us and the allowed origins."""
    framers = ["'self'", *(o.strip().rstrip("/") for o in cors_origins if _ORIGIN.match(o.strip().rstrip("/")))]
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {' '.join(dict.fromkeys(framers))}"
    )


def with_security_headers(headers: list[tuple[bytes, bytes]], page: str) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the security headers the response did not set itself."""
    present = {name.lower(): value for name, value in headers}
    is_page = present.get(b"content-type", b"").lower().startswith(b"text/html")
    wanted = {
        b"content-security-policy": page if is_page else API,
        b"x-content-type-options": NOSNIFF,
        b"referrer-policy": REFERRER_POLICY,
    }
    return headers + [(name, value.encode("latin-1")) for name, value in wanted.items() if name not in present]


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.page = page_policy(settings.cors_origins)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def secured_send(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": with_security_headers(list(message.get("headers") or []), self.page)}
            await send(message)

        await self.app(scope, receive, secured_send)
