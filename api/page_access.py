"""How a browser reads the pages when ``PLANCHAT_PROTECT_READS`` is on.

A browser cannot send an ``Authorization`` header on a plain link, so the
pages (/compare, /targets, /ministermaal, /documents…, /feedback, /evals)
also accept a session cookie that ``POST /adgang`` sets once a read key or
the admin key has been typed into its form:

- The cookie holds no key: ``<expiry>.<HMAC-SHA256>`` over the expiry,
  keyed by a digest of every configured key, so it lapses after
  ``SESSION_SECONDS`` and as soon as any key is changed or withdrawn.
- ``HttpOnly``, ``SameSite=Strict`` (another site's page never sends it),
  ``Secure`` when the request came over HTTPS, ``Path=/``.
- It opens the pages only, never the /v1 API: the API keeps its keys in
  headers, so the cookie cannot be used to write or to read through a
  script on another site.

Without a key or a valid cookie a page answers ``303`` to
``/adgang?next=<the page>``; ``next`` must be a path on this server.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from planchat.config import Settings

from .security import key_scope, presented_key

COOKIE = "planchat_pages"
SESSION_SECONDS = 8 * 3600  # a working day


class PageLoginRequired(Exception):
    """Raised by ``require_page_reader``; api/app.py answers it with a 303 to the login page."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.location = f"/adgang?next={quote(next_path, safe='')}"


async def to_login(_: Request, exc: Exception) -> RedirectResponse:
    """The exception handler for PageLoginRequired: 303 to the login page."""
    assert isinstance(exc, PageLoginRequired)
    return RedirectResponse(exc.location, status_code=303)


def _secret(settings: Settings) -> bytes | None:
    keys = sorted(k for k in [settings.api_key, *settings.read_keys] if k)
    return hashlib.sha256("\0".join(keys).encode("utf-8")).digest() if keys else None


def session_cookie(settings: Settings, now: float | None = None) -> str:
    """A fresh cookie value, valid for SESSION_SECONDS from ``now``."""
    secret = _secret(settings)
    if secret is None:
        raise ValueError("no keys configured: nothing to sign a page session with")
    expiry = int(now if now is not None else time.time()) + SESSION_SECONDS
    mac = hmac.new(secret, f"pages:{expiry}".encode(), hashlib.sha256).hexdigest()
    return f"{expiry}.{mac}"


def session_valid(settings: Settings, value: str | None, now: float | None = None) -> bool:
    secret = _secret(settings)
    expiry, _, mac = (value or "").partition(".")
    if secret is None or not expiry.isdigit() or len(expiry) > 12:
        return False
    expected = hmac.new(secret, f"pages:{expiry}".encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac.encode(), expected.encode()) and int(expiry) > (now or time.time())


def safe_next(path: str | None) -> str:
    """A path on this server to go back to; anything else (another host, a scheme, //…) is "/"."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path or "\n" in path:
        return "/"
    return path


def require_page_reader(request: Request) -> None:
    """The pages' dependency: with PLANCHAT_PROTECT_READS, a key header or a valid page session."""
    settings: Settings = request.app.state.settings
    if not settings.protect_reads:
        return
    if key_scope(settings, presented_key(request)) is not None:
        return
    if session_valid(settings, request.cookies.get(COOKIE)):
        return
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise PageLoginRequired(target)
