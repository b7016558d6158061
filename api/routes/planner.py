"""The planner: POST /v1/compare (a topic -> one row per plan, cited, or
stated: false), GET /v1/targets (the extracted quantitative targets, JSON or
?format=csv) and GET /v1/ministermaal?year= (the year's ministermål × the
plans covering that year).

Repeated query parameters (``municipality``, ``year``) are capped like
/v1/ask's and /v1/compare's lists: at most ``PLANCHAT_MAX_FILTER_VALUES``
(50) values each, checked before any is resolved."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Query
from fastapi.responses import Response

from planchat.errors import InvalidRequest
from retrieval.target_selection import select_targets_for, targets_csv

from ..deps import CompareDep, DeadlineDep, MinistermaalDep, SettingsDep, SnapshotDep
from ..schemas import CompareRequest, CompareResponse, ErrorResponse, MinistermaalResponse, TargetList
from ..shapes import comparison_out, ministermaal_out, target_out
from . import ERROR_RESPONSES

router = APIRouter()


def check_values(settings, **lists: Sequence | None) -> None:
    limit = settings.max_filter_values
    for name, values in lists.items():
        if values is not None and len(values) > limit:
            raise InvalidRequest(f"{name}: at most {limit} values; got {len(values)}.")


@router.post("/v1/compare", response_model=CompareResponse, responses=ERROR_RESPONSES)
def compare(body: CompareRequest, service: CompareDep, snapshot: SnapshotDep, deadline: DeadlineDep) -> CompareResponse:
    return comparison_out(
        service.compare(body.topic, body.municipalities, body.years, snapshot=snapshot, deadline=deadline)
    )


@router.get(
    "/v1/targets",
    response_model=TargetList,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {}}}},
)
def targets(
    snapshot: SnapshotDep,
    settings: SettingsDep,
    municipality: list[str] | None = Query(default=None, description="Only these municipalities (repeatable)."),
    year: list[int] | None = Query(default=None, description="Plan year or target year (repeatable)."),
    q: str | None = Query(default=None, max_length=300, description="Words the indicator or quote must match."),
    format: str = Query(default="json", description="json or csv."),
    distinct: bool = Query(default=False, description="One of each target a plan states more than once."),
):
    check_values(settings, municipality=municipality, year=year)
    if format not in ("json", "csv"):
        raise InvalidRequest(f"format: must be json or csv; got '{format}'.")
    found = select_targets_for(snapshot, municipality, year, q, distinct)
    if format == "csv":
        return Response(
            targets_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="targets.csv"'},
        )
    return TargetList(targets=[target_out(t) for t in found])


@router.get(
    "/v1/ministermaal",
    response_model=MinistermaalResponse,
    responses={**ERROR_RESPONSES, 404: {"model": ErrorResponse}},
)
def ministermaal(
    service: MinistermaalDep,
    snapshot: SnapshotDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
    year: int = Query(description="The year whose ministermål to show, e.g. 2022."),
    municipality: list[str] | None = Query(default=None, description="Only these municipalities (repeatable)."),
) -> MinistermaalResponse:
    check_values(settings, municipality=municipality)
    return ministermaal_out(service.matrix(year, municipality, snapshot=snapshot, deadline=deadline), snapshot)
