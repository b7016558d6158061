"""Who may call what, and how much they may send.

- Two scopes of keys, sent as ``Authorization: Bearer <key>`` or
  ``X-API-Key: <key>`` and compared in constant time: ``PLANCHAT_API_KEY``
  is the admin key (uploads, deletes, any conversation);
  ``PLANCHAT_READ_KEYS`` are read keys for clients whose key sits in a web
  page, such as the widget's ``data-api-key``. A read key may ask, stream,
  chat, compare and read documents; on a write it gets a 403 naming the
  admin scope. With no admin key configured, writes are refused (403)
  unless ``PLANCHAT_ALLOW_ANONYMOUS_WRITES=true`` (local demos only).
- ``PLANCHAT_PROTECT_READS=true`` makes the /v1 read endpoints need a read
  key or the admin key; /healthz, the demo page and /widget.js stay open.
- Cross-site writes are refused in every mode, anonymous writes included:
  a browser sends ``Origin`` and ``Sec-Fetch-Site`` with a form or script
  another site submits, so a write whose Origin is neither this server's
  own nor in ``PLANCHAT_CORS_ORIGINS``, or which the browser marks
  ``cross-site``, is a 403 before any key is looked at. Clients outside a
  browser (curl, scripts) send neither header. Asking is a read here; CORS
  governs it as before. Feedback on an answer (POST /v1/feedback) is a read
  too, with the Origin check alone (``refuse_foreign_origin``): the widget on
  an allowed site sends ``cross-site``.
- A conversation is reached with its ``X-Conversation-Token`` (given once,
  when the conversation is created) or the admin key; otherwise the store
  answers the 404 of a conversation that does not exist.
- Conversation ids never reach the logs: ``mask_access_log`` filters them
  out of uvicorn's access log lines.
- ``BodyLimit`` refuses request bodies over the limit with a 413 before the
  app reads them: by Content-Length when the client sends one, else by
  counting the bytes as they arrive. Uploads get ``max_upload_mb``, every
  other request ``max_body_kb``.
"""

from __future__ import annotations

import hmac
import json
import logging
import re

from fastapi import HTTPException, Request

from planchat.config import Settings
from planchat.errors import Forbidden, Unauthorized

UPLOAD_PATHS = ("/v1/documents",)
ADMIN, READ = "admin", "read"
TOKEN_HEADER = "X-Conversation-Token"

ADMIN_NEEDED = (
    "This endpoint needs the admin scope (PLANCHAT_API_KEY). The key sent is a read key (PLANCHAT_READ_KEYS): "
    "it may ask, chat, compare and read documents, never upload, delete or read another client's conversations."
)
WRITE_KEY_MISSING = "This endpoint needs the API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
WRITE_KEY_INVALID = "The API key is not valid. Check PLANCHAT_API_KEY and send it again."
READ_KEY_MISSING = (
    "This endpoint needs a key: a read key (PLANCHAT_READ_KEYS) or the admin key (PLANCHAT_API_KEY), sent as "
    "'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
)
READ_KEY_INVALID = "The API key is not valid. Check PLANCHAT_READ_KEYS or PLANCHAT_API_KEY and send it again."


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key") or None


def key_scope(settings: Settings, presented: str | None) -> str | None:
    """ADMIN, READ or None (no key, or not one of ours). Every configured key
    is compared, in constant time, so the time taken tells nothing."""
    if presented is None:
        return None
    given = presented.encode("utf-8")
    admin = bool(settings.api_key) and hmac.compare_digest(given, settings.api_key.encode("utf-8"))
    read = False
    for key in settings.read_keys:
        read |= hmac.compare_digest(given, key.encode("utf-8"))
    return ADMIN if admin else READ if read else None


def key_matches(settings: Settings, presented: str | None) -> bool:
    """Whether ``presented`` is the admin key."""
    return key_scope(settings, presented) == ADMIN


def is_admin(request: Request) -> bool:
    return key_matches(request.app.state.settings, presented_key(request))


def require_write(request: Request) -> None:
    refuse_cross_site(request)
    settings: Settings = request.app.state.settings
    if not settings.api_key:
        if settings.allow_anonymous_writes:
            return
        raise Forbidden(
            "Writes are disabled: this server has no PLANCHAT_API_KEY. Set one (and send it as "
            "'Authorization: Bearer <key>'), or set PLANCHAT_ALLOW_ANONYMOUS_WRITES=true for a local demo."
        )
    presented = presented_key(request)
    if presented is None:
        raise Unauthorized(WRITE_KEY_MISSING)
    scope = key_scope(settings, presented)
    if scope is None:
        raise Unauthorized(WRITE_KEY_INVALID)
    if scope != ADMIN:
        raise Forbidden(ADMIN_NEEDED)


def require_reader(request: Request) -> None:
    """With PLANCHAT_PROTECT_READS: a read key or the admin key, else 401. For any path
    (/metrics, /docs and /openapi.json use it directly)."""
    settings: Settings = request.app.state.settings
    if not settings.protect_reads:
        return
    presented = presented_key(request)
    if presented is None:
        raise Unauthorized(READ_KEY_MISSING)
    if key_scope(settings, presented) is None:
        raise Unauthorized(READ_KEY_INVALID)


def require_read(request: Request) -> None:
    """The app-level dependency: the /v1 reads need a reader (the demo page stays open)."""
    if request.url.path.startswith("/v1/"):
        require_reader(request)


_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def normal_origin(origin: str) -> str:
    """scheme://host[:port], lower case, without a trailing slash or the scheme's default port."""
    origin = origin.strip().rstrip("/").lower()
    scheme = origin.partition("://")[0]
    default = _DEFAULT_PORTS.get(scheme)
    return origin[: -len(default)] if default and origin.endswith(default) else origin


def own_origin(request: Request) -> str:
    """The origin this request was sent to (behind a proxy: the one the proxy
    passes on in Host and, via uvicorn's proxy headers, X-Forwarded-Proto)."""
    return normal_origin(f"{request.url.scheme}://{request.headers.get('host', '')}")


def refuse_cross_site(request: Request) -> None:
    """A 403 for a write a browser sent from another site (module docstring)."""
    if request.headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
        raise Forbidden(
            "Cross-site write refused: the browser marked this request 'Sec-Fetch-Site: cross-site'. Write from "
            "this server's own pages, or from a client outside the browser (curl, a script)."
        )
    refuse_foreign_origin(request)


def refuse_foreign_origin(request: Request) -> None:
    """A 403 when the request's ``Origin`` (a browser's) is neither ours nor in PLANCHAT_CORS_ORIGINS. Alone, it
    is the check of POST /v1/feedback: the widget embedded on an allowed site sends ``Sec-Fetch-Site: cross-site``."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    allowed = {own_origin(request), *(normal_origin(o) for o in request.app.state.settings.cors_origins)}
    if normal_origin(origin) not in allowed:
        raise Forbidden(
            f"Cross-site write refused: Origin '{origin[:200]}' is neither this server's own origin nor in "
            "PLANCHAT_CORS_ORIGINS. Write from this server's own pages, or from a client outside the browser "
            "(curl, a script)."
        )


# -- conversation ids out of the access log ------------------------------------------

_CONVERSATION_PATH = re.compile(r"(/v1/conversations/)[^/?#\s\"]+")
ACCESS_LOGGER = "uvicorn.access"


class MaskConversationIds(logging.Filter):
    """Writes ``/v1/conversations/<id>`` as ``/v1/conversations/***`` in a
    log record: the id is the first half of a conversation's credentials."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _CONVERSATION_PATH.sub(r"\1***", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_CONVERSATION_PATH.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


def mask_access_log() -> None:
    """Put the filter on uvicorn's access logger, once. A logger's filters
    survive uvicorn's logging set-up (dictConfig replaces handlers only)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskConversationIds) for f in logger.filters):
        logger.addFilter(MaskConversationIds())


def too_large_message(label: str) -> str:
    return f"The request body is larger than the limit of {label}. Send a smaller file or request."


class BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it on as a 413
    instead of turning it into a 400 "error parsing the body"."""

    def __init__(self, label: str):
        super().__init__(status_code=413, detail=too_large_message(label))


class BodyLimit:
    """Pure ASGI middleware: a 413 for request bodies over the limit."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    def limit_for(self, path: str) -> tuple[int, str]:
        if path in UPLOAD_PATHS:
            mb = self.settings.max_upload_mb
            return int(mb * 1024 * 1024), f"{mb:g} MB (PLANCHAT_MAX_UPLOAD_MB)"
        kb = self.settings.max_body_kb
        return kb * 1024, f"{kb} KB (PLANCHAT_MAX_BODY_KB)"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit, label = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _send_413(send, label)
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(label)
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, label)


async def _send_413(send, label: str) -> None:
    body = json.dumps({"error": {"code": "payload_too_large", "message": too_large_message(label)}}).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
