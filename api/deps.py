"""FastAPI dependencies, as Annotated aliases, all in one module.

``create_app`` puts the settings, the index and the services on
``app.state``; a handler names what it needs by one of these aliases and
never reads ``app.state`` itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from ingest.index import PlanIndex
from ingest.snapshot import IndexSnapshot
from planchat.config import Settings
from planchat.deadline import Deadline
from retrieval.chat import ChatService
from retrieval.compare import CompareService
from retrieval.conversation import ConversationStore
from retrieval.ministermaal import MinistermaalService
from retrieval.service import AskService

from .jobs import IngestJobs
from .security import TOKEN_HEADER, is_admin


class AskServices:
    """One AskService per retrieval mode: the server's default, and the
    others made on first use (a request may ask for bm25, dense or hybrid)."""

    def __init__(self, index: PlanIndex, settings: Settings):
        self.index = index
        self.settings = settings
        self.default = AskService(index, settings)
        self._by_mode: dict[str, AskService] = {settings.retrieval_mode: self.default}

    def __call__(self, mode: str | None = None) -> AskService:
        if not mode or mode == self.default.mode:
            return self.default
        return self._by_mode.get(mode) or self._by_mode.setdefault(
            mode, AskService(self.index, self.settings, mode=mode)
        )


def refresh_index(request: Request) -> None:
    """Several API workers share one document store (and Chroma server): a
    worker notices another's writes by the store's write token and reloads
    before answering (one small SQLite read when nothing changed)."""
    if request.url.path.startswith("/v1/"):
        request.app.state.index.refresh_if_stale()


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_deadline(request: Request) -> Deadline:
    """This request's time budget, started now (PLANCHAT_REQUEST_BUDGET_S; 0: none)."""
    return Deadline(request.app.state.settings.request_budget_s or None)


def get_index(request: Request) -> PlanIndex:
    return request.app.state.index


def get_snapshot(request: Request) -> IndexSnapshot:
    """The index generation this request reads, from start to end (taken
    once, after ``refresh_index``)."""
    return request.app.state.index.snapshot


def get_ask_services(request: Request) -> AskServices:
    return request.app.state.services


def get_chat(request: Request) -> ChatService:
    return request.app.state.chat


def get_compare(request: Request) -> CompareService:
    return request.app.state.compare


def get_ministermaal(request: Request) -> MinistermaalService:
    return request.app.state.ministermaal


def get_jobs(request: Request) -> IngestJobs:
    return request.app.state.jobs


def get_conversations(request: Request) -> ConversationStore:
    return request.app.state.conversations


@dataclass(frozen=True)
class ConversationAccess:
    """What a request brings to reach a server-side conversation: its token, or the admin key."""

    token: str | None
    admin: bool

    def check(self, store: ConversationStore | None, conversation_id: str | None) -> None:
        """NotFound unless this request may reach the conversation (nothing to check without an id or a store)."""
        if conversation_id is not None and store is not None:
            store.authorize(conversation_id, self.token, admin=self.admin)


def get_conversation_access(
    request: Request,
    token: Annotated[str | None, Header(
        alias=TOKEN_HEADER, description="The conversation_token given when the conversation was created.")] = None,
) -> ConversationAccess:  # fmt: skip
    return ConversationAccess(token or None, is_admin(request))


SettingsDep = Annotated[Settings, Depends(get_settings)]
DeadlineDep = Annotated[Deadline, Depends(get_deadline)]  # heavy routes pass it to their service
IndexDep = Annotated[PlanIndex, Depends(get_index)]  # the writer: uploads, deletes, the document store
SnapshotDep = Annotated[IndexSnapshot, Depends(get_snapshot)]  # what a read request reads
AskServiceDep = Annotated[AskServices, Depends(get_ask_services)]  # call it with a mode: the AskService for it
ChatDep = Annotated[ChatService, Depends(get_chat)]
CompareDep = Annotated[CompareService, Depends(get_compare)]
MinistermaalDep = Annotated[MinistermaalService, Depends(get_ministermaal)]
ConversationsDep = Annotated[ConversationStore, Depends(get_conversations)]
JobsDep = Annotated[IngestJobs, Depends(get_jobs)]  # background ingest jobs (api/jobs.py)
ConversationAccessDep = Annotated[ConversationAccess, Depends(get_conversation_access)]  # token or admin key
