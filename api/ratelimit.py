"""Rate limits and quotas per client, with the ``limits`` library.

- ``PLANCHAT_RATE_LIMIT_PER_MINUTE`` (60): asks per client per minute, over
  /v1/ask, /v1/ask/stream, /v1/chat/completions and /v1/search together;
- ``PLANCHAT_CONVERSATIONS_PER_HOUR`` (100): requests that start a
  server-side conversation (an ask without ``conversation_id`` or
  ``history``, while conversations are stored) per client per hour.

0 turns a limit off. Over a limit the answer is a 429 ``rate_limited``
with ``Retry-After`` (seconds until the client's window ends) and a Danish
message; the widget shows its own Danish sentence.

A client is its API key when it sends a valid one (each key holder has its
own budget), else its IP address (``request.client``; uvicorn takes it
from ``X-Forwarded-For`` when the proxy's address is in
``FORWARDED_ALLOW_IPS``, by default loopback only). An unknown key counts as the IP: a
made-up key per request must not buy a fresh budget. Counters are keyed by
a SHA-256 digest of the client, never the address or key itself.

Windows are fixed (``FixedWindowRateLimiter``): a client's window starts at
its first request and lasts a minute (an hour); the N+1st request inside it
is refused. The counters live in ``data_dir/ratelimit.sqlite3`` (one
transaction per check, WAL), which every worker and every ``planchat
serve`` process on the data dir shares, so the limits hold across
``--workers`` as they are written. Rows end with their window and are
deleted then. ``PLANCHAT_RATE_LIMIT_STORAGE`` may name another ``limits``
storage instead: ``memory://`` (per worker process: N workers allow N times
the limit) or a Redis URI for several machines.
"""

from __future__ import annotations

import hashlib
import math
import sqlite3
import threading
import time
from pathlib import Path

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from planchat.config import Settings
from planchat.errors import ConfigurationError, PlanchatError

from .errors import error_response
from .schemas import ErrorResponse, Responses
from .security import key_matches, presented_key

NEW_CONVERSATION_PATHS = ("/v1/ask", "/v1/ask/stream")
RESPONSES: Responses = {
    429: {"model": ErrorResponse, "description": "Too many requests from this client; see Retry-After."}
}


class RateLimited(PlanchatError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class SQLiteStorage(Storage):
    """A ``limits`` storage for fixed windows in one SQLite file that several
    processes share: a counter per key with the time its window ends."""

    STORAGE_SCHEME = None  # made directly, not from a URI

    def __init__(self, path: Path):
        super().__init__()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, ends_at REAL NOT NULL);
            CREATE INDEX IF NOT EXISTS counters_ends ON counters(ends_at);
            """
        )

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM counters WHERE ends_at <= ?", (now,))
                (count,) = self._db.execute(
                    "INSERT INTO counters VALUES (?, ?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET count = count + excluded.count RETURNING count",
                    (key, amount, now + expiry),
                ).fetchone()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return count

    def _row(self, key: str) -> tuple[int, float] | None:
        with self._lock:
            return self._db.execute(
                "SELECT count, ends_at FROM counters WHERE key = ? AND ends_at > ?", (key, time.time())
            ).fetchone()

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            return self._db.execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM counters WHERE key = ?", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()


class RateLimits:
    """The configured limits over one storage. No storage (and no file) when both are off."""

    def __init__(self, settings: Settings):
        self.asks = RateLimitItemPerMinute(settings.rate_limit_per_minute) if settings.rate_limit_per_minute else None
        self.conversations = (
            RateLimitItemPerHour(settings.conversations_per_hour)
            if settings.conversations_per_hour and settings.store_conversations else None
        )  # fmt: skip
        self.storage: Storage | None = None
        if self.asks or self.conversations:
            uri = settings.rate_limit_storage
            storage = storage_from_string(uri) if uri else SQLiteStorage(settings.ratelimit_file)
            if not isinstance(storage, Storage):
                raise ConfigurationError(
                    f"PLANCHAT_RATE_LIMIT_STORAGE={uri!r} names an async storage; use the synchronous URI "
                    "(e.g. redis://…, not async+redis://…)."
                )
            self.storage = storage
        self.limiter = FixedWindowRateLimiter(self.storage) if self.storage is not None else None

    @property
    def active(self) -> bool:
        return self.limiter is not None

    def check(self, client: str, new_conversation: bool) -> None:
        """Count one ask (and one new conversation) for ``client``; RateLimited when over a limit."""
        if self.asks is not None:
            self._hit(self.asks, "asks", client, asks_message)
        if new_conversation and self.conversations is not None:
            self._hit(self.conversations, "conversations", client, conversations_message)

    def _hit(self, item: RateLimitItem, name: str, client: str, message) -> None:
        if self.limiter is None or self.limiter.hit(item, name, client):
            return
        reset = self.limiter.get_window_stats(item, name, client).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise RateLimited(message(item.amount, wait), wait)

    def close(self) -> None:
        if isinstance(self.storage, SQLiteStorage):
            self.storage.close()


def _seconds(n: int) -> str:
    if n >= 120:
        return f"{math.ceil(n / 60)} minutter"
    return "1 sekund" if n == 1 else f"{n} sekunder"


def asks_message(limit: int, wait: int) -> str:
    return (
        f"For mange spørgsmål: højst {limit} i minuttet fra samme klient (PLANCHAT_RATE_LIMIT_PER_MINUTE). "
        f"Prøv igen om {_seconds(wait)}."
    )


def conversations_message(limit: int, wait: int) -> str:
    return (
        f"For mange nye samtaler: højst {limit} i timen fra samme klient (PLANCHAT_CONVERSATIONS_PER_HOUR). "
        f"Fortsæt en af de samtaler, der er i gang, eller prøv igen om {_seconds(wait)}."
    )


def client_id(request: Request, settings: Settings) -> str:
    """A digest of who is asking: the API key when a valid one is sent, else the client's address."""
    key = presented_key(request)
    if key is not None and key_matches(settings, key):
        who = "key:" + key
    else:
        who = "ip:" + (request.client.host if request.client else "unknown")
    return hashlib.sha256(who.encode("utf-8", "backslashreplace")).hexdigest()[:32]


async def starts_conversation(request: Request) -> bool:
    """Whether this ask would start a server-side conversation (no conversation_id, no history)."""
    if request.url.path not in NEW_CONVERSATION_PATHS:
        return False
    try:
        body = await request.json()  # already parsed by FastAPI (cached): no second read of the body
    except (ValueError, UnicodeDecodeError):
        return False  # not JSON: a 400 follows
    return isinstance(body, dict) and not body.get("conversation_id") and not body.get("history")


async def limit_asks(request: Request) -> None:
    """The dependency on the ask routes: count the request, or refuse it with a 429."""
    limits: RateLimits = request.app.state.rate_limits
    if not limits.active:
        return
    settings: Settings = request.app.state.settings
    key = presented_key(request)
    if key is not None and key_matches(settings, key):
        return  # the operator's admin key (an evaluator running a question set against the deployment) is not limited
    new_conversation = limits.conversations is not None and await starts_conversation(request)
    await run_in_threadpool(limits.check, client_id(request, settings), new_conversation)  # SQLite: off the loop


async def too_many_requests(_: Request, exc: Exception):
    assert isinstance(exc, RateLimited)  # the handler is installed for RateLimited only
    return error_response(exc.status, exc.code, exc.message, headers={"Retry-After": str(exc.retry_after)})
