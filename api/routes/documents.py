"""The documents API: upload, list, show, delete (rules in ingest/uploads.py).

POST   /v1/documents            multipart: file (.pdf/.docx/.html/.txt/.md) + municipality, year, title?, kind?,
                                publisher_kind?  (write)
                                ?wait=false: 202 at once with a background job (api/jobs.py, GET /v1/jobs/{id})
GET    /v1/documents            every document in the index
GET    /v1/documents/{id}       one document's record and its last ingest report
GET    /v1/documents/{id}/text  its stored clean text (citations index into it)
DELETE /v1/documents/{id}       remove it from Chroma, BM25, targets and answers at once  (write)

The ingest report is kept with the document, so GET shows it again.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import JSONResponse

from ingest.index import IngestReport, PlanIndex
from ingest.outline import build_outline
from ingest.stores.docstore import DocumentRecord
from ingest.uploads import delete_uploaded, upload_meta
from planchat.errors import NotFound, PayloadTooLarge
from planchat.records import CleanText

from ..admin_schemas import JobOut
from ..deps import IndexDep, JobsDep, SettingsDep
from ..jobs import JobProgress
from ..schemas import (
    DocumentDeleted,
    DocumentDetail,
    DocumentList,
    DocumentOut,
    DocumentOutline,
    DocumentText,
    ErrorResponse,
    IngestReportOut,
)
from ..security import require_write
from ..shapes import outline_out
from . import Responses


def document_out(record: DocumentRecord) -> DocumentOut:
    meta = record.meta
    return DocumentOut(
        doc_id=meta.doc_id,
        municipality=meta.municipality,
        publisher=meta.publisher,
        publisher_kind=meta.publisher_kind,
        year=meta.year,
        years=list(meta.covered_years),
        title=meta.title,
        kind=meta.kind,
        source=meta.source,
        chunks=record.chunk_count,
        chars=record.chars,
        pages=record.pages,
        content_hash=record.content_hash,
        ingested_at=record.ingested_at,
        managed_by=record.managed_by,
    )


def report_out(report: dict) -> IngestReportOut:
    return IngestReportOut(**{k: report[k] for k in IngestReportOut.model_fields if k in report})


def detail(index: PlanIndex, doc_id: str, report: IngestReport | None = None) -> DocumentDetail:
    record = index.docstore.document(doc_id)
    if record is None:
        raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
    stored = report.as_dict() if report is not None else record.report
    return DocumentDetail(**document_out(record).model_dump(), report=report_out(stored) if stored else None)


def background_ingest(index: PlanIndex, data: bytes, name: str, meta):
    """The work of an upload's background job: the same ingest, reporting its progress."""

    def work(progress: JobProgress) -> dict:
        report = index.ingest_bytes(data, name, meta, progress=progress.chunks, stage=progress.stage)
        return detail(index, meta.doc_id, report).model_dump()

    return work


router = APIRouter()

ERRORS: Responses = {status: {"model": ErrorResponse} for status in (400, 401, 403, 404, 409, 413, 415, 422)}


@router.get("/v1/documents", response_model=DocumentList, responses=ERRORS)
def list_documents(index: IndexDep) -> DocumentList:
    return DocumentList(documents=[document_out(r) for r in index.document_records()])


@router.post(
    "/v1/documents", response_model=DocumentDetail, status_code=201, dependencies=[Depends(require_write)],
    responses={**ERRORS, 200: {"model": DocumentDetail, "description": "unchanged or replaced"},
               202: {"model": JobOut, "description": "wait=false: queued as a background job (Location: its URL)"},
               503: {"model": ErrorResponse}},
)  # fmt: skip
def upload_document(
    index: IndexDep,
    settings: SettingsDep,
    jobs: JobsDep,
    file: UploadFile = File(description="The plan: .pdf, .docx, .html/.htm, .txt or .md."),
    municipality: str = Form(
        description="The municipality the plan belongs to, e.g. 'Aarhus'; or its publisher, with publisher_kind."
    ),
    year: int = Form(description="The plan year, e.g. 2024."),
    title: str | None = Form(default=None, description="Default: 'Beskæftigelsesplan <year>'."),
    kind: str | None = Form(default=None, description="What the document is. Default: 'municipal plan'."),
    publisher_kind: str | None = Form(
        default=None,
        description="Who published it: municipality (a current one, checked against the 98), region "
        "(e.g. a beskæftigelsesregion), national (a ministry, STAR, an agency), historical (a municipality "
        "before 2007) or other. Default: municipality, or the kind of a publisher already in the index.",
    ),
    wait: bool = Query(default=True, description="false: answer 202 at once and ingest in the background."),
):
    """Ingest a plan. 201 when added; 200 when it replaced the municipality's
    plan for that year or was identical to it (status in the report). With
    ``wait=false``: 202 with the job (``Location: /v1/jobs/{job_id}``); the
    fields are checked first, so a bad field is still a 400 at once."""
    name, meta = upload_meta(index, file.filename, municipality, year, title, kind, publisher_kind=publisher_kind)
    limit = int(settings.max_upload_mb * 1024 * 1024)
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"file: {name} is larger than the limit of {settings.max_upload_mb:g} MB (PLANCHAT_MAX_UPLOAD_MB). "
            "Split it or compress its images."
        )
    if not wait:
        job = jobs.submit(meta.doc_id, background_ingest(index, data, name, meta))
        return JSONResponse(job, status_code=202, headers={"Location": f"/v1/jobs/{job['job_id']}"})
    report = index.ingest_bytes(data, name, meta)
    body = detail(index, meta.doc_id, report)
    return JSONResponse(body.model_dump(), status_code=201 if report.status == "added" else 200)


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetail, responses=ERRORS)
def show_document(doc_id: str, index: IndexDep) -> DocumentDetail:
    return detail(index, doc_id)


@router.get("/v1/documents/{doc_id}/text", response_model=DocumentText, responses=ERRORS)
def document_text(doc_id: str, index: IndexDep) -> DocumentText:
    text = index.docstore.clean_text(doc_id)
    if text is None:
        raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
    return DocumentText(doc_id=doc_id, text=text)


@router.get("/v1/documents/{doc_id}/outline", response_model=DocumentOutline, responses=ERRORS)
def document_outline(doc_id: str, index: IndexDep) -> DocumentOutline:
    """The document's structure: its heading tree and its lists, each with
    page labels and spans into GET /v1/documents/{doc_id}/text."""
    text = index.docstore.clean_text(doc_id)
    if text is None:
        raise NotFound(f"doc_id: no document '{doc_id}' in the index. GET /v1/documents lists them.")
    outline = index.docstore.outline(doc_id)
    if outline is None:  # stored before outlines were built: what the clean text alone shows
        outline = build_outline(CleanText(text=text, headings=(), pages=()))
    return outline_out(doc_id, text, outline)


@router.delete("/v1/documents/{doc_id}", response_model=DocumentDeleted, dependencies=[Depends(require_write)],
               responses=ERRORS)  # fmt: skip
def delete_document(doc_id: str, index: IndexDep) -> DocumentDeleted:
    report = delete_uploaded(index, doc_id)
    return DocumentDeleted(
        doc_id=doc_id, status="removed", chunks=report.chunks
    )  # delete_uploaded removed it or raised
