"""GET /documents/{doc_id}?start=&end=: the source viewer (api/pages/source.py), where every citation links.

It reads the request's one snapshot: the clean text citations index into,
the outline GET /v1/documents/{id}/outline shapes (``outline_out``; a
document stored before outlines were built gets the one its text alone
shows), and the chunks' pages for the margin. An unknown document is a
Danish 404 page; a bad span is the page without a mark and a 400 notice.
Protected like the reads (``require_page_reader``: a key header or the /adgang session); the list page GET /documents
is the document admin's, not this module's.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from ingest.outline import build_outline
from planchat.errors import InvalidRequest
from planchat.records import CleanText

from ..deps import SnapshotDep
from ..page_access import require_page_reader
from ..pages import source
from ..shapes import outline_out
from .pages_planner import refresh_page_index

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_reader), Depends(refresh_page_index)])


@router.get("/documents/{doc_id}", response_class=HTMLResponse)
def source_page(doc_id: str, snapshot: SnapshotDep, start: str | None = None, end: str | None = None) -> HTMLResponse:
    text = snapshot.clean_text(doc_id)
    if text is None:
        return source.not_found(doc_id)
    stored = snapshot.outlines.get(doc_id) or build_outline(CleanText(text=text, headings=(), pages=()))
    try:
        span, notice = source.cited_span(start, end, len(text)), None
    except InvalidRequest as exc:
        span, notice = None, exc
    meta = snapshot.documents[doc_id]
    return source.render(meta, text, outline_out(doc_id, text, stored), snapshot.document_chunks(doc_id), span, notice)
