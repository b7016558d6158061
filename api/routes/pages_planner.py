"""The planners' pages (issue 15), server-rendered in Danish, none in the OpenAPI schema:

GET /compare?topic=&municipality=&year=&page=       a topic across the plans (POST /v1/compare's rows)
GET /targets?municipality=&year=&q=&sort=&page=     the typed targets, a chart of comparable ones (GET /v1/targets)
GET /ministermaal?year=&municipality=&page=         the year's ministermål × the plans (GET /v1/ministermaal)

Each calls the service its JSON endpoint calls, on the one snapshot the
request reads; the rendering is in api/pages/. Filters are query
parameters, so every view is a shareable URL; a bad filter is the page with
a Danish error box and a 4xx, never a JSON error or a 500. With
``PLANCHAT_PROTECT_READS`` the pages need a key like the /v1 reads
(a header, or the page session of /adgang: ``require_page_reader``), and like them they first catch up with another
worker's writes (``refresh_page_index``).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from planchat.errors import PlanchatError
from retrieval.target_selection import select_targets_for

from ..deps import CompareDep, DeadlineDep, MinistermaalDep, SettingsDep, SnapshotDep
from ..page_access import require_page_reader
from ..pages import compare, ministermaal, targets
from ..pages.parts import page_number, whole_numbers
from .planner import check_values


def refresh_page_index(request: Request) -> None:
    """A page reads what the /v1 reads read: another worker's writes first (api/deps.py ``refresh_index``)."""
    request.app.state.index.refresh_if_stale()


router = APIRouter(include_in_schema=False, dependencies=[Depends(require_page_reader), Depends(refresh_page_index)])
Values = list[str]


@router.get("/compare", response_class=HTMLResponse)
def compare_page(
    service: CompareDep,
    snapshot: SnapshotDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
    topic: str = "",
    municipality: Values = Query(default=[]),
    year: Values = Query(default=[]),
    page: str = "",
) -> HTMLResponse:
    view = compare.CompareView(topic.strip(), tuple(filter(None, municipality)), tuple(filter(None, year)))
    try:
        view = compare.CompareView(view.topic, view.municipalities, view.years, page_number(page))
        check_values(settings, municipality=view.municipalities, year=view.years)
        years = whole_numbers(view.years, "year", "et årstal")
        if view.topic:
            munis = list(view.municipalities) or None
            plans = len(service.plans_in_scope(snapshot, munis, years or None))
            offset = (view.page - 1) * compare.PLANS_PER_PAGE
            result = service.compare(view.topic, munis, years or None, snapshot=snapshot, deadline=deadline,
                                     offset=offset, limit=compare.PLANS_PER_PAGE)  # fmt: skip
            view = compare.CompareView(view.topic, view.municipalities, view.years, view.page, result, plans)
    except PlanchatError as exc:
        view = compare.CompareView(view.topic, view.municipalities, view.years, error=exc)
    return compare.render(view, snapshot)


@router.get("/targets", response_class=HTMLResponse)
def targets_page(
    snapshot: SnapshotDep,
    settings: SettingsDep,
    municipality: Values = Query(default=[]),
    year: Values = Query(default=[]),
    q: str = "",
    sort: str = "",
    page: str = "",
) -> HTMLResponse:
    view = targets.TargetsView(tuple(filter(None, municipality)), tuple(filter(None, year)), q.strip(), sort.strip())
    try:
        check_values(settings, municipality=view.municipalities, year=view.years)
        years = whole_numbers(view.years, "year", "et årstal")
        targets.check_sort(view.sort)
        found = select_targets_for(snapshot, list(view.municipalities) or None, years or None, view.q or None)
        view = replace(view, page=page_number(page), found=found)
    except PlanchatError as exc:
        view = replace(view, error=exc)
    return targets.render(view, snapshot)


@router.get("/ministermaal", response_class=HTMLResponse)
def ministermaal_page(
    service: MinistermaalDep,
    snapshot: SnapshotDep,
    settings: SettingsDep,
    deadline: DeadlineDep,
    year: str = "",
    municipality: Values = Query(default=[]),
    page: str = "",
) -> HTMLResponse:
    view = ministermaal.MinistermaalView(year.strip(), tuple(filter(None, municipality)))
    years = sorted(service.goals(snapshot))
    try:
        check_values(settings, municipality=view.municipalities)
        chosen = whole_numbers([view.year], "year", "et årstal") or years[-1:]
        if chosen:
            # The page's municipalities (each cell is a retrieval): the plans covering the year, a page at a time.
            plans = service.compare.plans_in_scope(snapshot, list(view.municipalities) or None, None)
            names = sorted({m.municipality for m in plans if chosen[0] in m.covered_years})
            per_page = ministermaal.MUNICIPALITIES_PER_PAGE
            pages = max(1, -(-len(names) // per_page))
            number = min(page_number(page), pages)
            shown = names[(number - 1) * per_page : number * per_page]
            # No plan of the filter covers the year: the goals with no columns (an unknown year is a 404 there).
            matrix = service.matrix(chosen[0], shown or list(view.municipalities) or None, snapshot=snapshot,
                                    deadline=deadline)  # fmt: skip
            view = replace(view, page=number, pages=pages, matrix=matrix)
    except PlanchatError as exc:
        view = replace(view, error=exc)
    return ministermaal.render(view, snapshot, years)
