"""The admin and evaluator pages (rendering in api/pages/): none of them in the OpenAPI schema.

GET /documents               the document admin: every document's ingest report, upload (a background job
                             with a progress bar) and delete with the admin key (api/pages/documents.py)
GET /feedback                the feedback on answers, loaded with the admin key (api/pages/feedback.py)
GET /evals                   the published eval reports, newest first (api/pages/evals.py)
GET /evals/diff?report=&baseline=   the questions that flipped between two reports, both answers side by side
GET /evals/{name}            one published report

The pages are protected like the /v1 reads: with ``PLANCHAT_PROTECT_READS``
they need a read key or the admin key, in a header or as the page session
that GET/POST /adgang sets (``require_page_reader``, api/page_access.py). The
writes and the feedback list need the admin key on top, which the pages'
scripts send from the key field.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from ..deps import IndexDep, SettingsDep
from ..page_access import require_page_reader
from ..pages import documents, evals, feedback

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_reader)])


@router.get("/documents", response_class=HTMLResponse)
def documents_page(
    index: IndexDep,
    q: str = Query(default="", max_length=200),
    page: int = Query(default=1, ge=1, le=100_000),
) -> HTMLResponse:
    index.refresh_if_stale()  # another worker may have written (the /v1 reads do this in refresh_index)
    snapshot = index.snapshot
    rows = [documents.DocumentRow(r, len(snapshot.targets(r.meta.doc_id))) for r in index.document_records()]
    return documents.documents_page(rows, q, page)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_page() -> HTMLResponse:
    return feedback.feedback_page()


@router.get("/evals", response_class=HTMLResponse)
def evals_page(settings: SettingsDep) -> HTMLResponse:
    return evals.evals_page(evals.list_reports(settings.eval_reports), settings.eval_reports)


@router.get("/evals/diff", response_class=HTMLResponse)
def evals_diff(
    settings: SettingsDep,
    report: str = Query(default="", max_length=200),
    baseline: str = Query(default="", max_length=200),
) -> HTMLResponse:
    return evals.diff_page(settings.eval_reports, report, baseline)


@router.get("/evals/{name}", response_class=HTMLResponse)
def evals_report(name: str, settings: SettingsDep) -> HTMLResponse:
    return HTMLResponse(evals.report_html(settings.eval_reports, name), headers={"Cache-Control": "no-store"})
