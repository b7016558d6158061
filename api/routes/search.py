"""POST /v1/search: the ranked passages for a query, without an answer (retrieval/search.py).

For clients that write their own answers from planchat's retrieval, e.g.
planchat.integrations.langchain.PlanchatRetriever. A read: it needs a read key when
reads are protected (api/security.py require_reader, the app-level dependency on /v1),
and it counts against the per-client ask limit (api/ratelimit.py), as it embeds the query."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from retrieval.search import search as search_passages

from ..deps import AskServiceDep, SnapshotDep
from ..search_schemas import PassageOut, SearchRequest, SearchResponse
from . import ERROR_RESPONSES

router = APIRouter()


@router.post("/v1/search", response_model=SearchResponse, responses=ERROR_RESPONSES)
def search(body: SearchRequest, services: AskServiceDep, snapshot: SnapshotDep) -> SearchResponse:
    result = search_passages(services(body.mode), body.query, body.municipalities, body.years, body.top_k, snapshot)
    return SearchResponse(
        query=result.query,
        municipalities=result.municipalities,
        years=result.years,
        passages=[PassageOut(**asdict(hit)) for hit in result.hits],
    )
