"""OpenAI-compatible: GET /v1/models and POST /v1/chat/completions (plain
and ``stream: true``). The last user message is the question, the messages
before it the history; the wire format is in api/streaming.py.

Every message counts against the caps before any is read: at most
``PLANCHAT_MAX_HISTORY_MESSAGES`` messages (system messages included) and
``PLANCHAT_MAX_HISTORY_CHARS`` characters in all; the messages are redacted
(planchat/redact.py) like /v1/ask's history, and a completion counts against
the rate limit (api/ratelimit.py)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from planchat.errors import InvalidRequest, NotFound, PlanchatError
from retrieval.chat import ChatService, Prepared

from .. import streaming
from ..deps import AskServiceDep, ChatDep
from ..ratelimit import RESPONSES as RATE_LIMITED
from ..ratelimit import limit_asks
from ..schemas import ChatCompletionRequest, ErrorResponse
from . import ERROR_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter()


def message_text(message: dict, i: int) -> str:
    """An OpenAI message's text (a string, or a list of text parts)."""
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str):
                parts.append(part["text"])
            else:
                raise InvalidRequest(f"messages[{i}].content: only text parts are supported (no images or files).")
        return "\n".join(parts)
    raise InvalidRequest(f"messages[{i}].content: must be text or a list of text parts.")


def question_and_history(body: ChatCompletionRequest, chat: ChatService) -> tuple[str, list[dict]]:
    """The request's question (its last user message) and the conversation before it, validated
    (the caps first), not yet redacted (``ChatService.prepare`` redacts both)."""
    if body.model != streaming.MODEL_ID:
        raise NotFound(f"model: '{body.model}' does not exist; use '{streaming.MODEL_ID}' (GET /v1/models).")
    if not body.messages:
        raise InvalidRequest("messages: must hold at least one user message.")
    chat.check_count(len(body.messages), "messages")
    messages = []
    for i, m in enumerate(body.messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise InvalidRequest(f"messages[{i}]: must be an object with a role.")
        role = {"developer": "system"}.get(m["role"], m["role"])
        if role in ("user", "assistant", "system"):
            # Checked here, so an error names the message's own position.
            messages.append(ChatService.validate_message({"role": role, "content": message_text(m, i)},
                                                         f"messages[{i}]"))  # fmt: skip
    chat.check_total_chars(messages, "messages")
    users = [i for i, m in enumerate(messages) if m["role"] == "user"]
    if not users:
        raise InvalidRequest("messages: must hold at least one user message (the question).")
    history = [m for m in messages[: users[-1]] if m["role"] != "system"]
    return messages[users[-1]]["content"], history


@router.get("/v1/models")
def models() -> dict:
    """OpenAI-compatible model list: the one model, planchat."""
    return {"object": "list", "data": [
        {"id": streaming.MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "planchat"}]}  # fmt: skip


@router.post(
    "/v1/chat/completions",
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorResponse},
        **RATE_LIMITED,
        200: {"content": {"text/event-stream": {}}},
    },
    dependencies=[Depends(limit_asks)],
)
def chat_completions(body: ChatCompletionRequest, chat: ChatDep, services: AskServiceDep, request: Request):
    """OpenAI-compatible: the last user message is the question, the
    messages before it the history. The answer text carries [n] markers
    and a sources list; the structured answer is in the extra field
    ``planchat``. Each source links to the source viewer on this server."""
    question, history = question_and_history(body, chat)
    options = body.planchat
    prepared = chat.prepare(
        services(options.mode if options else None), question,
        options.municipalities if options else None, options.years if options else None,
        options.top_k if options else None,
        history=history, remember=False, history_field="messages",
    )  # fmt: skip
    lang = prepared.resolved.query.lang
    if not body.stream:
        return JSONResponse(streaming.completion(chat.turn(prepared).body, question, lang, str(request.base_url)))
    return StreamingResponse(completion_chunks(chat, prepared, question, str(request.base_url)),
                             media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})  # fmt: skip


def completion_chunks(chat: ChatService, prepared: Prepared, question: str, base_url: str) -> Iterator[bytes]:
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    yield streaming.chunk(completion_id, created, {"role": "assistant", "content": ""})
    try:
        body = chat.turn(prepared).body
    except PlanchatError as exc:
        yield streaming.openai_error_chunk(exc.status, exc.code, exc.message)
        yield streaming.DONE
        return
    except Exception:
        log.exception("unhandled error in /v1/chat/completions")
        yield streaming.openai_error_chunk(
            500, "internal_error", "Something went wrong on our side; the error was logged."
        )
        yield streaming.DONE
        return
    content = streaming.sources_text(body, prepared.resolved.query.lang, base_url)
    for piece in streaming.pieces(content):
        yield streaming.chunk(completion_id, created, {"content": piece})
    yield streaming.chunk(completion_id, created, {}, "stop",
                          {"planchat": body, "usage": streaming.usage(question, content)})  # fmt: skip
    yield streaming.DONE
