"""The HTTP API: ``create_app(settings)`` builds it; nothing global.

GET  /healthz        liveness + what is loaded
POST /v1/ask         question (+ history or conversation_id) -> cited answer
POST /v1/ask/stream  the same as Server-Sent Events (meta, delta..., [draft, upgrade], done | error; api/streaming.py)
POST /v1/search      ranked verbatim passages with provenance, no answer (the LangChain retriever's source)
GET/DELETE /v1/conversations/{id}   a server-side conversation, with every answer's citations (needs its token)
POST /v1/chat/completions, GET /v1/models   OpenAI-compatible (plain and stream: true)
POST/GET/DELETE /v1/documents[/{doc_id}]   upload, list, show (with its ingest report), delete
GET  /v1/documents/{doc_id}/text   a document's stored clean text (citations index into it)
POST /v1/compare     a topic -> one row per plan, each with citations, or stated: false (GET: ?format=csv|markdown)
GET  /v1/targets     the extracted quantitative targets (JSON or ?format=csv)
GET  /v1/ministermaal?year=   the year's ministermål (from the plans) × the plans covering that year
GET  /v1/jobs/{id}    a background ingest job (POST /v1/documents?wait=false): stage, pages, chunks, error
POST/GET /v1/feedback   👍/👎 on an answer (a read, rate limited like asks), and the list (admin key)
GET  /compare, /targets, /ministermaal, /documents/{doc_id}   the planner pages and the source viewer
                     (api/routes/pages_planner.py, pages_source.py)
GET  /documents, /feedback, /evals[/diff|/{name}]   the admin and evaluator pages (api/routes/pages_admin.py)
GET/POST /adgang     the key form for the pages when reads are protected (api/routes/pages_access.py)
GET  /               the Danish demo page: the chat widget, open
GET  /widget.js      the embeddable chat widget (one <script> tag)
GET  /metrics        Prometheus metrics (api/metrics.py), protected like the /v1 reads
GET  /docs, /openapi.json   Swagger UI from local assets, and the schema (protected like the reads)

Every response carries an ``X-Request-ID`` (api/observability.py), which
every log record of the request carries too (api/logs.py).

One router per resource in api/routes/ (see api/routes/__init__.py); the services live on ``app.state`` and reach
the handlers through the aliases of api/deps.py; responses are shaped by
api/shapes.py. On shutdown (the lifespan's exit) the app closes what it
opened: the conversations' SQLite connection, the rate-limit counters
(api/ratelimit.py), the LLM's HTTP client, and the index when ``create_app``
opened it (an index passed in belongs to the caller, who may share it).
With ``PLANCHAT_STORE_CONVERSATIONS=false`` no conversation store is opened
(``ConversationsOff`` answers the conversation endpoints).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware

from ingest.index import PlanIndex
from planchat.config import Settings
from retrieval.chat import ChatService, ConversationsOff
from retrieval.compare import CompareService
from retrieval.conversation import ConversationStore
from retrieval.feedback import FeedbackStore
from retrieval.llm_client import generator_from_settings
from retrieval.ministermaal import MinistermaalService

from . import errors, logs, ratelimit
from .deps import AskServices, refresh_index
from .headers import SecurityHeaders
from .hosts import HostAllowlist
from .jobs import IngestJobs
from .metrics import Metrics
from .observability import RequestObserver
from .page_access import PageLoginRequired, to_login
from .routes import (
    ask,
    conversations,
    documents,
    feedback,
    health,
    jobs,
    metrics,
    openai,
    pages_access,
    pages_admin,
    pages_planner,
    pages_source,
    planner,
    search,
    static,
)
from .security import TOKEN_HEADER, BodyLimit, mask_access_log, require_read
from .shapes import ask_body

log = logging.getLogger(__name__)
# The OpenAPI schema keeps this order.
ROUTERS = (
    documents, jobs, feedback, health, ask, conversations, openai, planner, search, static, metrics,
    pages_access, pages_planner, pages_source, pages_admin,
)  # fmt: skip


def open_services(app: FastAPI, settings: Settings, index: PlanIndex | None) -> list[Callable[[], None]]:
    """Open the index (unless one is given), the services and the conversation
    store onto ``app.state``; return what closes them, in closing order."""
    closers: list[Callable[[], None]] = []
    if index is None:
        index = PlanIndex(settings)
        index.check_consistency(repair=True)
        closers.append(index.close)
    services = AskServices(index, settings)
    compare = CompareService(services.default)
    store = ConversationStore(
        settings.conversations_file, settings.conversation_max_age_hours, settings.max_conversations,
        settings.conversation_max_turns,
    ) if settings.store_conversations else None  # fmt: skip
    generator = generator_from_settings(settings)
    if generator is not None and hasattr(generator, "close"):
        closers.insert(0, generator.close)
    if store is not None:
        closers.insert(0, store.close)
    limits = ratelimit.RateLimits(settings)
    closers.insert(0, limits.close)
    app.state.feedback = FeedbackStore(settings.feedback_file, settings.feedback_max_age_days, settings.max_feedback)
    closers.insert(0, app.state.feedback.close)
    app.state.jobs = IngestJobs(settings.max_jobs_kept, settings.max_jobs_queued)
    closers.insert(0, app.state.jobs.close)  # first: a running ingest finishes before the index closes
    app.state.settings = settings
    app.state.index = index
    app.state.services = services
    app.state.service = services.default
    app.state.compare = compare
    app.state.ministermaal = MinistermaalService(compare)
    app.state.conversations = store if store is not None else ConversationsOff()
    app.state.rate_limits = limits
    app.state.chat = ChatService(settings, store, generator, shape=app.state.metrics.counting(ask_body))
    return closers


def lifespan_for(settings: Settings, index: PlanIndex | None):
    """Shutdown closes what ``open_services`` opened. A start-up after a
    shutdown (a test client entering the same app again) opens it anew."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        mask_access_log()  # again, after the server set up its logging
        if app.state.closers is None:
            app.state.closers = open_services(app, settings, index)
        try:
            yield
        finally:
            closers, app.state.closers = app.state.closers, None
            for close in closers:
                try:
                    close()
                except Exception:
                    log.exception("shutdown: %s failed", getattr(close, "__qualname__", close))

    return lifespan


def create_app(settings: Settings | None = None, index: PlanIndex | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(
        title="planchat",
        version="0.1.0",
        description="Spørgsmål og svar med kildehenvisninger over kommunale beskæftigelsesplaner.",
        dependencies=[Depends(require_read), Depends(refresh_index)],
        lifespan=lifespan_for(settings, index),
        openapi_url=None,
        docs_url=None,
        redoc_url=None,  # api/routes/static.py: local assets, protected like reads
    )
    app.state.metrics = Metrics(lambda: app.state.index)  # before the services: the chat service counts answers
    app.state.closers = open_services(app, settings, index)  # open now: a client need not run the lifespan
    mask_access_log()
    logs.mask_access_queries()
    errors.install(app)
    app.add_exception_handler(ratelimit.RateLimited, ratelimit.too_many_requests)
    app.add_exception_handler(PageLoginRequired, to_login)
    for module in ROUTERS:
        # /v1/ask, /v1/ask/stream and /v1/search count against the rate limits (/v1/chat/completions does so
        # in its route).
        limited = module in (ask, search)
        app.include_router(module.router, dependencies=[Depends(ratelimit.limit_asks)] if limited else None,
                           responses=ratelimit.RESPONSES if limited else None)  # fmt: skip
    app.add_middleware(BodyLimit, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key", TOKEN_HEADER],
            # Retry-After: the widget tells a rate-limited user when to try again; X-Request-ID: what a user
            # quotes to support, and what the logs are searched by.
            expose_headers=["Retry-After", "X-Request-ID"],
            max_age=600,
        )
    # Outermost of ours: every response (413s and CORS answers too) gets its X-Request-ID and is timed.
    routes = [route for module in ROUTERS for route in module.router.routes]
    app.add_middleware(RequestObserver, metrics=app.state.metrics, routes=routes)
    if settings.allowed_hosts:  # DNS rebinding (api/hosts.py): refused before anything else runs
        app.add_middleware(HostAllowlist, allowed=settings.allowed_hosts)
    app.add_middleware(SecurityHeaders, settings=settings)  # outermost: every response (api/headers.py)
    return app
