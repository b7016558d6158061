"""The HTTP API: ``create_app(settings)`` builds it; nothing global.

GET  /healthz        liveness + what is loaded
POST /v1/ask         question (+ history or conversation_id) -> cited answer
POST /v1/ask/stream  the same as Server-Sent Events (meta, delta..., done | error; see api/streaming.py)
GET/DELETE /v1/conversations/{id}   a server-side conversation, with every answer's citations
POST /v1/chat/completions, GET /v1/models   OpenAI-compatible (plain and stream: true)
POST/GET/DELETE /v1/documents[/{doc_id}]   upload, list, show (with its ingest report), delete (api/documents.py)
GET  /v1/documents/{doc_id}/text   a document's stored clean text (citations index into it)
POST /v1/compare     a topic -> one row per plan, each with citations, or stated: false
GET  /v1/targets     the extracted quantitative targets (JSON or ?format=csv)
GET  /v1/ministermaal?year=   the year's ministermål (from the plans) × the plans covering that year
GET  /               the Danish demo page: the chat widget, open
GET  /widget.js      the embeddable chat widget (one <script> tag)
"""

from __future__ import annotations

import logging
import time
import uuid
from importlib import resources
from typing import Iterator, Optional

from fastapi import Depends, FastAPI, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from ingest.index import PlanIndex
from planchat.config import Settings
from planchat.errors import InvalidRequest, NotFound, PlanchatError, UnknownFilter
from planchat.records import Answer
from retrieval.chat import ChatService, Prepared
from retrieval.compare import CompareRow, CompareService
from retrieval.conversation import ConversationStore
from retrieval.ministermaal import MinistermaalService
from retrieval.service import AskService
from retrieval.target_selection import TargetTerms, distinct_targets, select_targets, targets_csv

from . import documents, errors, streaming
from .security import BodyLimit, require_read
from .deps import IndexDep, SettingsDep
from .schemas import (
    AskRequest,
    AskResponse,
    ChatCompletionRequest,
    CitationOut,
    CompareRequest,
    CompareResponse,
    CompareRowOut,
    Conversation,
    ConversationTurn,
    DocumentList,
    DocumentOut,
    DocumentText,
    ErrorResponse,
    GoalOut,
    MinistermaalCell,
    MinistermaalColumn,
    MinistermaalResponse,
    MinistermaalRow,
    TargetList,
    TargetOut,
)


log = logging.getLogger(__name__)


def citation_out(c) -> CitationOut:
    return CitationOut(**{k: getattr(c, k) for k in CitationOut.model_fields})


def target_out(t) -> TargetOut:
    return TargetOut(**{k: getattr(t, k) for k in TargetOut.model_fields})


def row_out(row: CompareRow) -> CompareRowOut:
    return CompareRowOut(
        municipality=row.municipality,
        year=row.year,
        title=row.title,
        doc_id=row.doc_id,
        stated=row.stated,
        summary=row.summary,
        citations=[citation_out(c) for c in row.citations],
        targets=[target_out(t) for t in row.targets],
    )

ERROR_RESPONSES = {400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 500: {"model": ErrorResponse}}


def refresh_index(request: Request) -> None:
    """Several API workers share one document store (and Chroma server): a
    worker notices another's writes by the store's write token and reloads
    before answering (one small SQLite read when nothing changed)."""
    if request.url.path.startswith("/v1/"):
        request.app.state.index.refresh_if_stale()


def ask_response(prepared: Prepared, answer: Answer, notice: Optional[str]) -> AskResponse:
    return AskResponse(
        answer=answer.answer,
        abstained=answer.abstained,
        citations=[citation_out(c) for c in answer.citations],
        targets=[target_out(t) for t in answer.targets],
        timings_ms=answer.timings_ms,
        municipalities=answer.municipalities,
        years=answer.years,
        question=prepared.resolved.question,
        carried=prepared.resolved.carried,
        conversation_id=prepared.conversation_id,
        generator=answer.generator,
        fallback_reason=answer.fallback_reason,
        notice=notice,
    )


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


def create_app(settings: Optional[Settings] = None, index: Optional[PlanIndex] = None) -> FastAPI:
    settings = settings or Settings()
    if index is None:
        index = PlanIndex(settings)
        index.check_consistency(repair=True)
    app = FastAPI(
        title="planchat",
        version="0.1.0",
        description="Spørgsmål og svar med kildehenvisninger over kommunale beskæftigelsesplaner.",
        dependencies=[Depends(require_read), Depends(refresh_index)],
    )
    app.state.settings = settings
    app.state.index = index
    app.state.service = AskService(index, settings)
    app.state.services = {settings.retrieval_mode: app.state.service}  # per retrieval mode, made on first use
    app.state.compare = CompareService(app.state.service)
    app.state.ministermaal = MinistermaalService(app.state.compare)
    app.state.conversations = ConversationStore(
        settings.conversations_file, settings.conversation_max_age_hours, settings.max_conversations,
        settings.conversation_max_turns,
    )
    from retrieval.llm_client import generator_from_settings

    app.state.chat = ChatService(settings, app.state.conversations, generator_from_settings(settings))
    errors.install(app)
    app.include_router(documents.router)
    app.add_middleware(BodyLimit, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Content-Type", "Authorization", "X-API-Key"],
            max_age=600,
        )

    def service_for(mode: Optional[str]) -> AskService:
        service: AskService = app.state.service
        if mode and mode != service.mode:
            service = app.state.services.get(mode) or app.state.services.setdefault(
                mode, AskService(app.state.index, settings, mode=mode)
            )
        return service

    def prepare(body: AskRequest) -> Prepared:
        return app.state.chat.prepare(
            service_for(body.mode), body.question, body.municipalities, body.years, body.top_k,
            history=[m.model_dump() for m in body.history] if body.history else None,
            conversation_id=body.conversation_id,
        )  # fmt: skip

    def respond(prepared: Prepared) -> AskResponse:
        chat: ChatService = app.state.chat
        answer, _ = chat.answer(prepared)
        response = ask_response(prepared, answer, chat.notice(answer, prepared.resolved.query.lang))
        chat.remember(prepared, response.model_dump())
        return response

    @app.get("/healthz")
    def healthz(index: IndexDep, settings: SettingsDep) -> dict:
        return {
            "status": "ok",
            "documents": len(index.documents),
            "chunks": len(index.bm25),
            "embedder": index.embedder.name,
            "chroma": "server" if settings.chroma_url else "embedded",
            "retrieval_mode": settings.retrieval_mode,
        }

    @app.post("/v1/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
    def ask(body: AskRequest) -> AskResponse:
        return respond(prepare(body))

    @app.post(
        "/v1/ask/stream",
        responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}, 200: {"content": {"text/event-stream": {}}}},
    )
    def ask_stream(body: AskRequest):
        """The answer as Server-Sent Events: meta, delta (several), done (the /v1/ask body) or error."""
        prepared = prepare(body)  # bad input: a plain 4xx, before any event

        def events() -> Iterator[bytes]:
            yield streaming.sse("meta", {
                "conversation_id": prepared.conversation_id,
                "question": prepared.resolved.question,
                "carried": prepared.resolved.carried,
                "municipalities": prepared.resolved.query.municipalities,
                "years": prepared.resolved.query.years,
            })  # fmt: skip
            try:
                response = respond(prepared)
            except PlanchatError as exc:
                yield streaming.sse("error", streaming.error_payload(exc.status, exc.code, exc.message))
                return
            except Exception:
                log.exception("unhandled error in /v1/ask/stream")
                yield streaming.sse("error", streaming.error_payload(
                    500, "internal_error", "Something went wrong on our side; the error was logged."))
                return
            for piece in streaming.pieces(response.answer):
                yield streaming.sse("delta", {"text": piece})
            yield streaming.sse("done", response.model_dump())

        return StreamingResponse(
            events(), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )  # fmt: skip

    @app.get("/v1/conversations/{conversation_id}", response_model=Conversation,
             responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})  # fmt: skip
    def conversation(conversation_id: str) -> Conversation:
        stored = app.state.conversations.get(conversation_id)
        turns = [
            ConversationTurn(
                question=t.question,
                resolved_question=(t.answer or {}).get("question") or t.text,
                answer=AskResponse(**t.answer) if t.answer else None,
            )
            for t in stored["turns"]
        ]
        return Conversation(conversation_id=conversation_id, created_at=stored["created_at"],
                            updated_at=stored["updated_at"], turns=turns)  # fmt: skip

    @app.delete("/v1/conversations/{conversation_id}", status_code=204,
                responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})  # fmt: skip
    def delete_conversation(conversation_id: str) -> Response:
        app.state.conversations.delete(conversation_id)
        return Response(status_code=204)

    @app.get("/v1/models")
    def models() -> dict:
        """OpenAI-compatible model list: the one model, planchat."""
        return {"object": "list", "data": [
            {"id": streaming.MODEL_ID, "object": "model", "created": 1700000000, "owned_by": "planchat"}]}  # fmt: skip

    @app.post(
        "/v1/chat/completions",
        responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}, 200: {"content": {"text/event-stream": {}}}},
    )
    def chat_completions(body: ChatCompletionRequest):
        """OpenAI-compatible: the last user message is the question, the
        messages before it the history. The answer text carries [n] markers
        and a sources list; the structured answer is in the extra field
        ``planchat``."""
        if body.model != streaming.MODEL_ID:
            raise NotFound(f"model: '{body.model}' does not exist; use '{streaming.MODEL_ID}' (GET /v1/models).")
        if not body.messages:
            raise InvalidRequest("messages: must hold at least one user message.")
        messages = []
        for i, m in enumerate(body.messages):
            if not isinstance(m, dict) or not isinstance(m.get("role"), str):
                raise InvalidRequest(f"messages[{i}]: must be an object with a role.")
            role = {"developer": "system"}.get(m["role"], m["role"])
            if role in ("user", "assistant", "system"):
                # Checked here, so an error names the message's own position.
                messages.append(ChatService.validate_message({"role": role, "content": message_text(m, i)},
                                                             f"messages[{i}]"))  # fmt: skip
        users = [i for i, m in enumerate(messages) if m["role"] == "user"]
        if not users:
            raise InvalidRequest("messages: must hold at least one user message (the question).")
        question = messages[users[-1]]["content"]
        history = [m for m in messages[: users[-1]] if m["role"] != "system"]
        options = body.planchat
        chat: ChatService = app.state.chat
        prepared = chat.prepare(
            service_for(options.mode if options else None), question,
            options.municipalities if options else None, options.years if options else None,
            options.top_k if options else None,
            history=history, remember=False, history_field="messages",
        )  # fmt: skip
        lang = prepared.resolved.query.lang
        if not body.stream:
            return JSONResponse(streaming.completion(respond(prepared).model_dump(), question, lang))

        def chunks() -> Iterator[bytes]:
            completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            yield streaming.chunk(completion_id, created, {"role": "assistant", "content": ""})
            try:
                response = respond(prepared).model_dump()
            except PlanchatError as exc:
                yield streaming.openai_error_chunk(exc.status, exc.code, exc.message)
                yield streaming.DONE
                return
            except Exception:
                log.exception("unhandled error in /v1/chat/completions")
                yield streaming.openai_error_chunk(500, "internal_error", "Something went wrong on our side; the error was logged.")
                yield streaming.DONE
                return
            content = streaming.sources_text(response, lang)
            for piece in streaming.pieces(content):
                yield streaming.chunk(completion_id, created, {"content": piece})
            yield streaming.chunk(completion_id, created, {}, "stop",
                                  {"planchat": response, "usage": streaming.usage(question, content)})  # fmt: skip
            yield streaming.DONE

        return StreamingResponse(chunks(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @app.post("/v1/compare", response_model=CompareResponse, responses=ERROR_RESPONSES)
    def compare(body: CompareRequest) -> CompareResponse:
        result = app.state.compare.compare(body.topic, body.municipalities, body.years)
        return CompareResponse(topic=result.topic, rows=[row_out(r) for r in result.rows], timings_ms=result.timings_ms)

    @app.get(
        "/v1/targets",
        response_model=TargetList,
        responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {}}}},
    )
    def targets(
        index: IndexDep,
        municipality: Optional[list[str]] = Query(default=None, description="Only these municipalities (repeatable)."),
        year: Optional[list[int]] = Query(default=None, description="Plan year or target year (repeatable)."),
        q: Optional[str] = Query(default=None, max_length=300, description="Words the indicator or quote must match."),
        format: str = Query(default="json", description="json or csv."),
        distinct: bool = Query(default=False, description="One of each target a plan states more than once."),
    ):
        if format not in ("json", "csv"):
            raise InvalidRequest(f"format: must be json or csv; got '{format}'.")
        service: AskService = app.state.service
        try:
            munis = {service.analyzer.resolve_municipality(m) for m in municipality} if municipality else None
        except UnknownFilter as exc:
            raise UnknownFilter(exc.message.replace("municipalities:", "municipality:", 1)) from None
        terms = service.analyzer.analyze(q).terms if q and q.strip() else []
        if q and q.strip() and not terms:
            raise InvalidRequest("q: has no searchable words (only stopwords or punctuation). Name what is measured.")
        found = select_targets(index.targets(), municipalities=munis, years=set(year) if year else None,
                               terms=terms, idf=index.bm25.idf, terms_of=TargetTerms.of(index))
        if distinct:
            found = distinct_targets(found)
        if format == "csv":
            return Response(
                targets_csv(found),
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": 'attachment; filename="targets.csv"'},
            )
        return TargetList(targets=[target_out(t) for t in found])

    @app.get("/v1/ministermaal", response_model=MinistermaalResponse, responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}})
    def ministermaal(
        year: int = Query(description="The year whose ministermål to show, e.g. 2022."),
        municipality: Optional[list[str]] = Query(default=None, description="Only these municipalities (repeatable)."),
    ) -> MinistermaalResponse:
        matrix = app.state.ministermaal.matrix(year, municipality)
        service: MinistermaalService = app.state.ministermaal
        rows = []
        for goal in matrix.goals:
            sources = [citation_out(service.source_citation(n, s)) for n, s in enumerate(goal.sources, 1)]
            cells = [
                MinistermaalCell(
                    municipality=r.municipality,
                    doc_id=r.doc_id,
                    stated=r.stated,
                    summary=r.summary,
                    citations=[citation_out(c) for c in r.citations],
                    targets=[target_out(t) for t in r.targets],
                )
                for r in matrix.cells[goal.number]
            ]
            rows.append(MinistermaalRow(goal=GoalOut(number=goal.number, title=goal.title, sources=sources), cells=cells))
        columns = [
            MinistermaalColumn(municipality=m.municipality, doc_id=m.doc_id, year=m.year, title=m.title)
            for m in matrix.plans
        ]
        return MinistermaalResponse(year=matrix.year, columns=columns, rows=rows)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def demo_page() -> str:
        return resources.files("api").joinpath("static/index.html").read_text(encoding="utf-8")

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        return Response(
            resources.files("api").joinpath("static/widget.js").read_text(encoding="utf-8"),
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "no-cache"},
        )

    return app
