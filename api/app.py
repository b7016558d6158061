"""The HTTP API: ``create_app(settings)`` builds it; nothing global.

GET  /healthz        liveness + what is loaded
POST /v1/ask         question -> cited answer
GET  /v1/documents   the documents in the index
GET  /v1/documents/{doc_id}/text   a document's stored clean text (citations index into it)
POST /v1/compare     a topic -> one row per plan, each with citations, or stated: false
GET  /v1/targets     the extracted quantitative targets (JSON or ?format=csv)
GET  /v1/ministermaal?year=   the year's ministermål (from the plans) × the plans covering that year
GET  /               a small Danish demo page that talks to /v1/ask
"""

from __future__ import annotations

from importlib import resources
from typing import Optional

from fastapi import FastAPI, Query
from fastapi.responses import HTMLResponse, Response

from ingest.index import PlanIndex
from planchat.config import Settings
from planchat.errors import InvalidRequest, NotFound, UnknownFilter
from retrieval.compare import CompareRow, CompareService
from retrieval.ministermaal import MinistermaalService
from retrieval.service import AskService
from retrieval.targets import distinct_targets, select_targets, targets_csv

from . import errors
from .deps import IndexDep, ServiceDep, SettingsDep
from .schemas import (
    AskRequest,
    AskResponse,
    CitationOut,
    CompareRequest,
    CompareResponse,
    CompareRowOut,
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
    app.state.compare = CompareService(app.state.service)
    app.state.ministermaal = MinistermaalService(app.state.compare)
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
            citations=[citation_out(c) for c in answer.citations],
            targets=[target_out(t) for t in answer.targets],
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
                               terms=terms, idf=index.bm25.idf)
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

    return app
