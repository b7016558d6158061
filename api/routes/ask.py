"""POST /v1/ask (a question, with history or conversation_id -> a cited
answer) and POST /v1/ask/stream (the same as Server-Sent Events: meta,
delta..., [draft, upgrade], done | error; see api/streaming.py).

An answer that starts a server-side conversation carries its
``conversation_token`` (in the stream: in meta and done); a follow-up with
``conversation_id`` needs it in ``X-Conversation-Token`` (or the admin
key), else it is the 404 of a conversation that does not exist. The token
is added to the body after the turn is stored, so no stored turn holds it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from planchat.errors import PlanchatError
from retrieval.chat import ChatService, Prepared

from .. import streaming
from ..deps import AskServiceDep, AskServices, ChatDep, ConversationAccess, ConversationAccessDep
from ..schemas import AskRequest, AskResponse, ErrorResponse
from . import ERROR_RESPONSES

log = logging.getLogger(__name__)
router = APIRouter()


def prepare(chat: ChatService, services: AskServices, body: AskRequest, access: ConversationAccess) -> Prepared:
    if not body.history:  # with history too, chat.prepare's 400 says to send one of them
        access.check(chat.store, body.conversation_id)
    return chat.prepare(
        services(body.mode), body.question, body.municipalities, body.years, body.top_k,
        history=[m.model_dump() for m in body.history] if body.history else None,
        conversation_id=body.conversation_id,
    )  # fmt: skip


@router.post("/v1/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def ask(body: AskRequest, chat: ChatDep, services: AskServiceDep, access: ConversationAccessDep) -> dict:
    prepared = prepare(chat, services, body, access)
    return {**chat.turn(prepared).body, "conversation_token": prepared.conversation_token}


@router.post(
    "/v1/ask/stream",
    responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}, 200: {"content": {"text/event-stream": {}}}},
)
def ask_stream(body: AskRequest, chat: ChatDep, services: AskServiceDep, access: ConversationAccessDep):
    """The answer as Server-Sent Events: meta, delta (several), with an LLM draft and perhaps upgrade,
    then done (the /v1/ask body) or error."""
    prepared = prepare(chat, services, body, access)  # bad input: a plain 4xx, before any event
    return StreamingResponse(
        events(chat, prepared), media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )  # fmt: skip


def events(chat: ChatService, prepared: Prepared) -> Iterator[bytes]:
    yield streaming.sse("meta", {
        "conversation_id": prepared.conversation_id,
        "conversation_token": prepared.conversation_token,
        "question": prepared.resolved.question,
        "carried": prepared.resolved.carried,
        "municipalities": prepared.resolved.query.municipalities,
        "years": prepared.resolved.query.years,
    })  # fmt: skip
    shown = False  # the deltas are the first answer's text: the draft's, or the final one's without an LLM
    try:
        for step, reply in chat.steps(prepared):
            body = {**reply.body, "conversation_token": prepared.conversation_token}
            if not shown:
                yield from (streaming.sse("delta", {"text": piece}) for piece in streaming.pieces(body["answer"]))
                shown = True
            if step == "draft":
                yield streaming.sse("draft", {**body, "upgrading": True})
            elif reply.answer.generator != "extractive":
                yield streaming.sse("upgrade", body)
    except PlanchatError as exc:
        yield streaming.sse("error", streaming.error_payload(exc.status, exc.code, exc.message))
        return
    except Exception:
        log.exception("unhandled error in /v1/ask/stream")
        yield streaming.sse(
            "error",
            streaming.error_payload(500, "internal_error", "Something went wrong on our side; the error was logged."),
        )
        return
    yield streaming.sse("done", body)
