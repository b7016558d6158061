"""Log lines an operator can search and a data-protection officer can sign.

- Every record logged while a request is served carries that request's id
  (``request_id``, a context variable set by api/observability.py and put
  on the record by ``RequestIdFilter``); the response echoes it as
  ``X-Request-ID``, so a user's "it failed" finds its lines.
- ``log_config(fmt, level)`` is what ``planchat serve`` hands uvicorn:
  ``text`` keeps uvicorn's own lines and adds ``request_id=…``; ``json``
  writes one JSON object per line (``time``, ``level``, ``logger``,
  ``message``, ``request_id``; access lines add ``client``, ``method``,
  ``path``, ``http_version``, ``status``; ``exception`` with a traceback).
  Access lines go to stdout and the rest to stderr, as uvicorn does.
- The access log never shows free text from a query string:
  ``MaskQueryValues`` writes ``/v1/targets?q=…&year=2022`` as
  ``/v1/targets?q=***&year=***`` (conversation ids are masked by
  api/security.py's filter). The question itself is logged only at DEBUG,
  redacted (retrieval/chat.py).
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from uvicorn.logging import AccessFormatter, DefaultFormatter

from .security import ACCESS_LOGGER

# Set per request by api/observability.py. Each ASGI request runs in its own task, so the value
# lives as long as the request's task, and worker threads started for it get a copy.
request_id: ContextVar[str | None] = ContextVar("planchat_request_id", default=None)

# -- the request id on every record ----------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """On a handler: gives every record ``request_id`` (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        return True


def _with_request_id(line: str, record: logging.LogRecord) -> str:
    rid = getattr(record, "request_id", None)
    return f"{line} request_id={rid}" if rid else line


class TextFormatter(DefaultFormatter):
    """uvicorn's line, then ``request_id=…`` inside a request."""

    def format(self, record: logging.LogRecord) -> str:
        return _with_request_id(super().format(record), record)


class TextAccessFormatter(AccessFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return _with_request_id(super().format(record), record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module docstring for the keys)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, tz=UTC)
        out: dict[str, Any] = {
            "time": stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            out["request_id"] = rid
        if record.name == ACCESS_LOGGER and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            out.update(client=client, method=method, path=path, http_version=version, status=int(str(status)))
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, default=str)


# -- no free text from query strings in the access log ----------------------------------------------

_SAFE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,40}")
MASK = "***"


def mask_query(target: str) -> str:
    """``/path?a=1&b=x`` -> ``/path?a=***&b=***``: every value masked, and a
    key that is not a plain parameter name (free text itself) too."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    parts: list[str] = []
    for part in query.split("&"):
        key, eq, _ = part.partition("=")
        if not part:
            parts.append(part)
        elif eq and _SAFE_KEY.fullmatch(key):
            parts.append(f"{key}={MASK}")
        else:
            parts.append(MASK)
    return f"{path}?{'&'.join(parts)}"


class MaskQueryValues(logging.Filter):
    """On uvicorn's access logger: the request target's query values become ``***``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(mask_query(a) if isinstance(a, str) and a.startswith("/") else a for a in record.args)
        return True


def mask_access_queries() -> None:
    """Put ``MaskQueryValues`` on uvicorn's access logger, once (a logger's
    filters survive uvicorn's logging set-up)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, MaskQueryValues) for f in logger.filters):
        logger.addFilter(MaskQueryValues())


# -- the configuration planchat serve hands uvicorn -------------------------------------------------


def log_config(fmt: str = "text", level: str = "info") -> dict:
    """A ``logging.config.dictConfig`` for uvicorn and planchat's own loggers
    (the root logger, at ``level``): ``fmt`` is ``text`` or ``json``."""
    level = level.upper()
    formatters: dict[str, dict[str, Any]]
    if fmt == "json":
        formatters = {name: {"()": f"{__name__}.JsonFormatter"} for name in ("default", "access", "app")}
    else:
        formatters = {
            "default": {"()": f"{__name__}.TextFormatter", "fmt": "%(levelprefix)s %(message)s", "use_colors": None},
            "access": {"()": f"{__name__}.TextAccessFormatter",
                       "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s'},
            "app": {"()": f"{__name__}.TextFormatter", "fmt": "%(levelprefix)s %(name)s: %(message)s",
                    "use_colors": None},
        }  # fmt: skip

    def handler(formatter: str, stream: str) -> dict:
        return {"class": "logging.StreamHandler", "stream": f"ext://sys.{stream}", "formatter": formatter,
                "filters": ["request_id"]}  # fmt: skip

    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": formatters,
        "handlers": {
            "default": handler("default", "stderr"),
            "access": handler("access", "stdout"),
            "app": handler("app", "stderr"),
        },  # fmt: skip
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
        },
        "root": {"handlers": ["app"], "level": level},
    }
