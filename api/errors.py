"""Domain errors -> HTTP, translated in one place.

Every error body is ``{"error": {"code", "message"}}``. Request validation
failures become 400 ``invalid_request`` with a sentence naming the field.
Anything unexpected is a 500 ``internal_error`` (and a bug).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from planchat.errors import PlanchatError

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, headers: dict | None = None) -> JSONResponse:
    # A message may quote the request ("'\ud800' is not in the corpus"); a lone surrogate has no UTF-8 form.
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message}}, headers=headers)


def describe_validation_error(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):  # where it was; a field may be "query"
            loc = loc[1:]
        field = ".".join(loc) or "body"
        if err.get("type") == "extra_forbidden":
            parts.append(f"{field}: unknown field; remove it")
        elif err.get("type") == "missing":
            parts.append(f"{field}: required")
        elif err.get("type") in ("json_invalid", "model_attributes_type", "dict_type"):
            parts.append("body: must be a JSON object")
        else:
            parts.append(f"{field}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) + "."


def install(app: FastAPI) -> None:
    @app.exception_handler(PlanchatError)
    async def _domain(_: Request, exc: PlanchatError):
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError):
        return error_response(400, "invalid_request", describe_validation_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException):
        codes = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}
        # Keep Starlette's headers (a 405's Allow: the methods the path does take).
        return error_response(exc.status_code, codes.get(exc.status_code, "http_error"), str(exc.detail),
                              headers=getattr(exc, "headers", None))  # fmt: skip

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side; the error was logged.")
