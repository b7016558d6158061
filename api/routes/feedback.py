"""Feedback on answers (retrieval/feedback.py): the widget's and the pages' 👍/👎.

POST /v1/feedback   {conversation_id?, question, answer, citations, rating: up|down, comment?}  (a read)
GET  /v1/feedback   the stored entries, newest first  (admin key)

Giving feedback is a read-scope action: whoever may ask may say what they
thought of the answer (with ``PLANCHAT_PROTECT_READS`` a read key is
needed, as for asking), and it counts against the same per-client limit as
asking (api/ratelimit.py). It is a write from a browser, though, so its
``Origin``, when sent, must be this server's own or one of
``PLANCHAT_CORS_ORIGINS`` (403 otherwise): the widget on an allowed site
may send feedback; another site's page may not. ``Sec-Fetch-Site:
cross-site`` alone is no refusal here (unlike the admin writes), because
the widget embedded on an allowed site sends exactly that.

Reading feedback needs the admin key: a read key gets a 403 naming the
admin scope.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from planchat.errors import Forbidden
from retrieval.conversation import ConversationStore
from retrieval.feedback import FeedbackStore

from ..admin_schemas import FeedbackIn, FeedbackList, FeedbackOut, FeedbackStored
from ..deps import SnapshotDep
from ..ratelimit import RESPONSES as LIMITED
from ..ratelimit import limit_asks
from ..schemas import ErrorResponse, Responses
from ..security import READ, key_scope, presented_key, refuse_foreign_origin, require_write

FEEDBACK_NEEDS_ADMIN = (
    "Reading feedback needs the admin scope (PLANCHAT_API_KEY). The key sent is a read key (PLANCHAT_READ_KEYS): "
    "it may give feedback (POST /v1/feedback), not read it."
)


def get_feedback(request: Request) -> FeedbackStore:
    return request.app.state.feedback


FeedbackDep = Annotated[FeedbackStore, Depends(get_feedback)]


def require_feedback_reader(request: Request) -> None:
    """The admin key; a read key gets the 403 that says reading feedback is the admin's."""
    if key_scope(request.app.state.settings, presented_key(request)) == READ:
        raise Forbidden(FEEDBACK_NEEDS_ADMIN)
    require_write(request)


router = APIRouter()

ERRORS: Responses = {status: {"model": ErrorResponse} for status in (400, 401, 403, 413)}


@router.post(
    "/v1/feedback", response_model=FeedbackStored, status_code=201,
    dependencies=[Depends(refuse_foreign_origin), Depends(limit_asks)], responses={**ERRORS, **LIMITED},
)  # fmt: skip
def give_feedback(body: FeedbackIn, store: FeedbackDep, snapshot: SnapshotDep) -> FeedbackStored:
    """Store a rating of an answer, redacted; quotes are checked against the documents."""
    if body.conversation_id is not None:
        ConversationStore.check_id(body.conversation_id)
    feedback_id = store.add(
        body.question, body.answer, [c.model_dump() for c in body.citations], body.rating, body.comment,
        body.conversation_id, clean_text=snapshot.clean_text,
    )  # fmt: skip
    return FeedbackStored(feedback_id=feedback_id, rating=body.rating)


@router.get(
    "/v1/feedback", response_model=FeedbackList, dependencies=[Depends(require_feedback_reader)], responses=ERRORS
)
def list_feedback(
    store: FeedbackDep,
    limit: int = Query(default=100, ge=1, le=500, description="Entries per page."),
    offset: int = Query(default=0, ge=0, description="Entries to skip (newest first)."),
    rating: Literal["up", "down"] | None = Query(default=None, description="Only this rating."),
) -> FeedbackList:
    entries = store.entries(limit=limit, offset=offset, rating=rating)
    return FeedbackList(total=store.count(rating), feedback=[FeedbackOut(**e) for e in entries])
