"""Every request gets an id and a measurement.

``RequestObserver`` is a pure ASGI middleware, the outermost of the app's
own, so every response carries its header, 413s and CORS answers included:

- It takes the client's (or the proxy's) ``X-Request-ID`` when that is
  1-64 characters of ``A-Z a-z 0-9 . _ -`` (anything else could forge or
  break a log line, so it is replaced), else makes one (32 hex digits),
  echoes it as ``X-Request-ID`` on the response, and sets it for the
  request's log records (api/logs.py).
- It times the request, to the end of its body (a stream's last event),
  into ``planchat_http_request_duration_seconds`` by method, route
  *template* (``/v1/conversations/{conversation_id}``, never the id itself;
  ``unmatched`` for a path no route has) and status (api/metrics.py).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match

from .logs import request_id
from .metrics import Metrics

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def incoming_request_id(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's own X-Request-ID when it is short and plain, else None."""
    for key, value in headers:
        if key.lower() == _HEADER_KEY:
            text = value.decode("latin-1").strip()
            return text if VALID_REQUEST_ID.fullmatch(text) else None
    return None


def route_template(scope: dict, routes: Sequence[BaseRoute] = ()) -> str:
    """The path template of the route that served (or would have served)
    this request: the router records it in the scope; a response sent before
    routing (a 413 by Content-Length, a CORS preflight) is matched against
    ``routes`` here."""
    route = scope.get("route")
    if route is None:
        route = next((r for r in routes if r.matches(scope)[0] is not Match.NONE), None)
    return getattr(route, "path", None) or UNMATCHED


class RequestObserver:
    def __init__(self, app, metrics: Metrics, routes: Sequence[BaseRoute] = ()):
        self.app = app
        self.metrics = metrics
        self.routes = tuple(routes)  # the API's routes, to name a request answered before routing

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = incoming_request_id(scope.get("headers") or []) or uuid.uuid4().hex
        # Not reset afterwards: the request's task ends with it, and the server's own log of an
        # unhandled error, written after this returns, still names the request.
        request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers") or [] if k.lower() != _HEADER_KEY]
                message = {**message, "headers": [*headers, (_HEADER_KEY, rid.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            method = scope.get("method", "")
            self.metrics.observe_request(method if method in METHODS else "other", route_template(scope, self.routes), status,
                                         time.perf_counter() - started)  # fmt: skip
