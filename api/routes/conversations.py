"""GET/DELETE /v1/conversations/{id}: a server-side conversation, with every
answer's citations. Either needs the conversation's token
(``X-Conversation-Token``) or the admin key; without them the answer is the
404 of a conversation that does not exist. A DELETE is a write: a browser
cannot send one from another site (api/security.py)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ..deps import ConversationAccessDep, ConversationsDep
from ..schemas import Conversation, ErrorResponse
from ..security import refuse_cross_site
from ..shapes import conversation_out
from . import ERROR_RESPONSES

router = APIRouter()


@router.get("/v1/conversations/{conversation_id}", response_model=Conversation,
            responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})  # fmt: skip
def conversation(conversation_id: str, conversations: ConversationsDep, access: ConversationAccessDep) -> Conversation:
    access.check(conversations, conversation_id)
    return conversation_out(conversations.get(conversation_id))


@router.delete("/v1/conversations/{conversation_id}", status_code=204, dependencies=[Depends(refuse_cross_site)],
               responses={**ERROR_RESPONSES, 403: {"model": ErrorResponse}, 404: {"model": ErrorResponse}})  # fmt: skip
def delete_conversation(
    conversation_id: str, conversations: ConversationsDep, access: ConversationAccessDep
) -> Response:
    access.check(conversations, conversation_id)
    conversations.delete(conversation_id)
    return Response(status_code=204)
