"""The planner: POST /v1/compare (a topic -> one row per plan, cited, or
stated: false; GET /v1/compare?topic=&format=json|csv|markdown is the same
comparison as a link can ask for it: the /compare page's exports, the CSV and
Markdown ``planchat compare --format`` writes), GET /v1/targets (the extracted quantitative targets, JSON or
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
from retrieval.formatting import comparison_csv, comparison_markdown
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


# format -> (render, media type, file name): the CLI's own writers (retrieval/formatting.py).
COMPARE_EXPORTS = {
    "csv": (comparison_csv, "text/csv; charset=utf-8", "compare.csv"),
    "markdown": (comparison_markdown, "text/markdown; charset=utf-8", "compare.md"),
}


@router.get(
    "/v1/compare",
    response_model=CompareResponse,
    responses={**ERROR_RESPONSES, 200: {"content": {"text/csv": {}, "text/markdown": {}}}},
)
def compare_export(
    service: CompareDep,
    snapshot: SnapshotDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
    topic: str = Query(description="What to compare, e.g. 'langtidsledighed'."),
    municipality: list[str] | None = Query(default=None, description="Only these municipalities (repeatable)."),
    year: list[int] | None = Query(default=None, description="Only plans that cover one of these years (repeatable)."),
    format: str = Query(default="json", description="json, csv or markdown (a table, as `planchat compare` writes)."),
):
    """POST /v1/compare as a link: the same rows, as JSON or as a CSV or Markdown download."""
    check_values(settings, municipality=municipality, year=year)
    if format != "json" and format not in COMPARE_EXPORTS:
        raise InvalidRequest(f"format: must be json, csv or markdown; got '{format[:50]}'.")
    result = service.compare(topic, municipality, year, snapshot=snapshot, deadline=deadline)
    if format == "json":
        return comparison_out(result)
    render, media_type, name = COMPARE_EXPORTS[format]
    return Response(render(result), media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


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
