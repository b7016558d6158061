"""The HTTP API: ``create_app(settings)`` builds it; nothing global.

GET  /healthz        liveness + what is loaded
POST /v1/ask         question -> cited answer
GET  /v1/documents   the documents in the index
GET  /v1/documents/{doc_id}/text   a document's stored clean text (citations index into it)
GET  /               a small Danish demo page that talks to /v1/ask
"""

from __future__ import annotations

from importlib import resources
from typing import Optional

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from ingest.index import PlanIndex
from planchat.config import Settings
from planchat.errors import NotFound
from retrieval.service import AskService

from . import errors
from .deps import IndexDep, ServiceDep, SettingsDep
from .schemas import AskRequest, AskResponse, CitationOut, DocumentList, DocumentOut, DocumentText, ErrorResponse

ERROR_RESPONSES = {400: {"model": ErrorResponse}, 422: {"model": ErrorResponse}, 500: {"model": ErrorResponse}}


def create_app(settings: Optional[Settings] = None, index: Optional[PlanIndex] = None) -> FastAPI:
    settings = settings or Settings()
    if index is None:
        index = PlanIndex(settings)
        index.check_consistency(repair=True)
    app = FastAPI(
        title="planchat",
        version="0.1.0",
        description="Spørgsmål og svar med kildehenvisninger over kommunale beskæftigelsesplaner.",
    )
    app.state.settings = settings
    app.state.index = index
    app.state.service = AskService(index, settings)
    app.state.services = {settings.retrieval_mode: app.state.service}  # per retrieval mode, made on first use
    errors.install(app)

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
    def ask(body: AskRequest, service: ServiceDep, index: IndexDep, settings: SettingsDep) -> AskResponse:
        if body.mode and body.mode != service.mode:
            service = app.state.services.get(body.mode) or app.state.services.setdefault(
                body.mode, AskService(index, settings, mode=body.mode)
            )
        answer = service.ask(body.question, body.municipalities, body.years, body.top_k)
        return AskResponse(
            answer=answer.answer,
            abstained=answer.abstained,
            citations=[CitationOut(**{k: getattr(c, k) for k in CitationOut.model_fields}) for c in answer.citations],
            timings_ms=answer.timings_ms,
            municipalities=answer.municipalities,
            years=answer.years,
        )

    @app.get("/v1/documents", response_model=DocumentList)
    def documents(index: IndexDep) -> DocumentList:
        out = []
        for record in index.document_records():
            meta = record["meta"]
            out.append(
                DocumentOut(
                    doc_id=meta.doc_id,
                    municipality=meta.municipality,
                    publisher=meta.publisher,
                    year=meta.year,
                    years=list(meta.covered_years),
                    title=meta.title,
                    kind=meta.kind,
                    source=meta.source,
                    chunks=record["chunk_count"],
                    chars=record["chars"],
                    pages=record["pages"],
                    content_hash=record["content_hash"],
                    ingested_at=record["ingested_at"],
                )
            )
        return DocumentList(documents=out)

    @app.get("/v1/documents/{doc_id}/text", response_model=DocumentText, responses={404: {"model": ErrorResponse}})
    def document_text(doc_id: str, index: IndexDep) -> DocumentText:
        text = index.docstore.clean_text(doc_id)
        if text is None:
            raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
        return DocumentText(doc_id=doc_id, text=text)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def demo_page() -> str:
        return resources.files("api").joinpath("static/index.html").read_text(encoding="utf-8")

    return app
