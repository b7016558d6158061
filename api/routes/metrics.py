"""GET /metrics: Prometheus text format (the metrics: api/metrics.py).

Protected like the /v1 reads: with ``PLANCHAT_PROTECT_READS=true`` it needs
a read key or the admin key (Prometheus: ``authorization: {credentials:
<key>}`` in the scrape config). Not in the OpenAPI schema.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..metrics import CONTENT_TYPE
from ..security import require_reader

router = APIRouter()


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    require_reader(request)
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
