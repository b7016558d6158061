"""GET /metrics: Prometheus text format (the metrics: api/metrics.py).

Protected like the /v1 reads: with ``PLANCHAT_PROTECT_READS=true`` it needs
a read key or the admin key (Prometheus: ``authorization: {credentials:
<key>}`` in the scrape config). Not in the OpenAPI schema.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from planchat.errors import Unauthorized

from ..metrics import CONTENT_TYPE
from ..security import READ_KEY_INVALID, READ_KEY_MISSING, key_scope, presented_key

router = APIRouter()


def require_reader(request: Request) -> None:
    """The /v1 reads' rule (api/security.py: require_read) for a path outside /v1."""
    settings = request.app.state.settings
    if not settings.protect_reads:
        return
    presented = presented_key(request)
    if presented is None:
        raise Unauthorized(READ_KEY_MISSING)
    if key_scope(settings, presented) is None:
        raise Unauthorized(READ_KEY_INVALID)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    require_reader(request)
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE)
