"""``PLANCHAT_ALLOWED_HOSTS``: the Host names this server answers.

DNS rebinding: a page on ``evil.example`` makes its name resolve to the
address of a planchat on a private network, and its scripts then read that
planchat as "same-origin" (Origin and CORS checks see evil.example talking
to itself). The browser still sends ``Host: evil.example``, so a server
that answers only its own names refuses them. Empty (the default for a
loopback demo): any Host. A pure ASGI middleware, so it runs before any
route and answers in the API's error shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send


def host_allowed(host: str, allowed: Iterable[str]) -> bool:
    """``host`` (a Host header, with or without a port) is one of ``allowed``: exact names, or
    ``*.example.dk`` for any subdomain of example.dk, or ``*`` for any."""
    name = host.strip().lower()
    name = name.rsplit(":", 1)[0] if not name.endswith("]") else name  # "[::1]" keeps its brackets
    for pattern in (p.strip().lower() for p in allowed):
        if pattern == "*" or name == pattern or (pattern.startswith("*.") and name.endswith(pattern[1:])):
            return True
    return False


class HostAllowlist:
    def __init__(self, app: ASGIApp, allowed: list[str]):
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if host_allowed(host, self.allowed):
            await self.app(scope, receive, send)
            return
        message = (
            f"Host '{host[:100]}' is not one this server answers (PLANCHAT_ALLOWED_HOSTS). "
            "Use the server's own address."
        )
        body = json.dumps({"error": {"code": "unknown_host", "message": message}}).encode("utf-8")
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 400, "headers": headers})
        await send({"type": "http.response.body", "body": body})
