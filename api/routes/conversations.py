"""GET/DELETE /v1/conversations/{id}: a server-side conversation, with every answer's citations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from ..deps import ConversationsDep
from ..schemas import Conversation, ErrorResponse
from ..shapes import conversation_out
from . import ERROR_RESPONSES

router = APIRouter()


@router.get("/v1/conversations/{conversation_id}", response_model=Conversation,
            responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})  # fmt: skip
def conversation(conversation_id: str, conversations: ConversationsDep) -> Conversation:
    return conversation_out(conversations.get(conversation_id))


@router.delete("/v1/conversations/{conversation_id}", status_code=204,
               responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})  # fmt: skip
def delete_conversation(conversation_id: str, conversations: ConversationsDep) -> Response:
    conversations.delete(conversation_id)
    return Response(status_code=204)
