"""GET /targets: the typed targets (GET /v1/targets' selection), filterable,
sortable, a page of rows at a time, with charts of comparable targets.

Filters (municipality, year, the indicator words ``q``) select exactly what
/v1/targets selects, so the CSV link is /v1/targets?format=csv with the same
filters. ``sort`` (a column, ``-`` first for descending) is a query
parameter too: a sorted view is a shareable URL, and the column headers are
the links that sort (``aria-sort`` on the sorted one). Every value links to
its sentence in the source viewer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import HTMLResponse

from ingest.snapshot import IndexSnapshot
from planchat.errors import InvalidRequest, PlanchatError
from planchat.records import Target
from retrieval.formatting import target_short

from .chart import unit_charts
from .layout import esc, page, query_url, source_url
from .parts import count, error_box, first, pager, select, table_region

PATH = "/targets"
ROWS_PER_PAGE = 100
# sort key -> (column heading, the value sorted by); targets without a target year sort last.
COLUMNS: dict[str, tuple[str, Callable[[Target], Any]]] = {
    "municipality": ("Kommune", lambda t: (t.municipality.casefold(), t.plan_year)),
    "plan_year": ("Planår", lambda t: t.plan_year),
    "indicator": ("Indikator", lambda t: t.indicator.casefold()),
    "value": ("Mål", lambda t: t.value),
    "unit": ("Enhed", lambda t: t.unit.casefold()),
    "target_year": ("Målår", lambda t: (t.target_year is None, t.target_year or 0)),
}


@dataclass(frozen=True)
class TargetsView:
    municipalities: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    q: str = ""
    sort: str = ""
    page: int = 1
    found: list[Target] = field(default_factory=list)
    error: PlanchatError | None = None

    def params(self, **changes: object) -> dict[str, object]:
        params = {"municipality": list(self.municipalities), "year": list(self.years), "q": self.q, "sort": self.sort}
        return {**params, **changes}


def check_sort(sort: str) -> str:
    if sort and sort.removeprefix("-") not in COLUMNS:
        raise InvalidRequest(
            f"sort: «{sort[:40]}» er ingen kolonne. Brug {', '.join(COLUMNS)}, med «-» foran for faldende orden."
        )
    return sort


def sorted_targets(found: list[Target], sort: str) -> list[Target]:
    """``found`` in the order of ``sort`` (stable: ties keep /v1/targets' order); unsorted as selected."""
    if not sort:
        return found
    key = COLUMNS[sort.removeprefix("-")][1]
    return sorted(found, key=key, reverse=sort.startswith("-"))


def header(view: TargetsView, column: str) -> str:
    """A sortable column heading: a link that sorts by it (ascending, or descending when it already is)."""
    label = COLUMNS[column][0]
    current = view.sort.removeprefix("-") == column
    descending = current and view.sort.startswith("-")
    next_sort = column if not current or descending else f"-{column}"
    aria = f' aria-sort="{"descending" if descending else "ascending"}"' if current else ""
    arrow = ("▼" if descending else "▲") if current else "↕"
    then = "faldende" if next_sort.startswith("-") else "stigende"
    href = esc(query_url(PATH, view.params(sort=next_sort)))
    return (
        f'<th scope="col"{aria}><a class="sort" href="{href}">{label}<span aria-hidden="true"> {arrow}</span>'
        f'<span class="sr-only">, sortér {then}</span></a></th>'
    )


def row_html(t: Target) -> str:
    href = esc(source_url(t.doc_id, t.start, t.end))
    when = t.target_period or (str(t.target_year) if t.target_year else "–")
    return (
        f'<tr><td><a href="{esc(source_url(t.doc_id))}">{esc(t.municipality)}</a></td><td>{t.plan_year}</td>'
        f'<td>{esc(t.indicator)}</td><td class="value"><a href="{href}">{esc(target_short(t))}</a></td>'
        f"<td>{esc(t.unit)}</td><td>{esc(when)}</td>"
        f'<td class="quote"><q class="quote">{esc(t.quote)}</q> <a class="small" href="{href}">Vis i planen</a></td></tr>'
    )


def form(view: TargetsView, snapshot: IndexSnapshot) -> str:
    municipalities = sorted({m.municipality for m in snapshot.documents.values()})
    years = sorted({y for m in snapshot.documents.values() for y in m.covered_years})
    sort_options = [("", "Planernes rækkefølge")] + [
        (f"{sign}{key}", f"{label} ({word})")
        for key, (label, _) in COLUMNS.items()
        for sign, word in (("", "stigende"), ("-", "faldende"))
    ]
    sorting = "".join(
        f'<option value="{esc(v)}"{" selected" if v == view.sort else ""}>{esc(text)}</option>'
        for v, text in sort_options
    )
    return (
        f'<form class="filters" method="get" action="{PATH}" role="search" aria-label="Filtrér målene">'
        + select("municipality", "Kommune", ((m, m) for m in municipalities), first(view.municipalities), "Alle kommuner")
        + select("year", "Plan- eller målår", ((str(y), str(y)) for y in years), first(view.years), "Alle år")
        + f'<label>Indikator indeholder<input name="q" type="search" value="{esc(view.q)}" maxlength="300" '
        'placeholder="fx langtidsledige"></label>'
        + f'<label>Sortering<select name="sort">{sorting}</select></label>'
        + '<button type="submit">Vis mål</button></form>'
    )  # fmt: skip


def results(view: TargetsView) -> str:
    rows = sorted_targets(view.found, view.sort)
    pages = max(1, -(-len(rows) // ROWS_PER_PAGE))
    shown = rows[(view.page - 1) * ROWS_PER_PAGE : view.page * ROWS_PER_PAGE]
    csv = query_url("/v1/targets", {**view.params(sort=""), "format": "csv"})
    plans = len({t.doc_id for t in view.found})
    heads = "".join(header(view, c) for c in COLUMNS) + '<th scope="col">Planens ordlyd</th>'
    span = f", række {(view.page - 1) * ROWS_PER_PAGE + 1}–{(view.page - 1) * ROWS_PER_PAGE + len(shown)}"
    caption = f"{len(rows)} mål fra {count(plans, 'plan', 'planer')}" + (span if pages > 1 else "")
    table = (
        f'<table class="targets-table"><caption>{caption}</caption><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(row_html(t) for t in shown)}</tbody></table>"
    )
    return (
        f'<p class="exports"><a class="button secondary" href="{esc(csv)}" download>Hent CSV</a></p>'
        + ('<h2>Sammenlignelige mål</h2>' + unit_charts(view.found) if view.found else "")
        + "<h2>Alle mål</h2>"
        + table_region("Mål", table)
        + pager(PATH, view.params(), view.page, pages, "Sider med mål")
    )  # fmt: skip


def render(view: TargetsView, snapshot: IndexSnapshot) -> HTMLResponse:
    intro = (
        '<p class="lead">De kvantitative mål, planerne selv skriver (fx «højst 228 langtidsledige»), læst ud af '
        "planernes tekst. Hver værdi linker til sætningen i planen.</p>"
    )
    if view.error is not None:
        body = intro + error_box(view.error) + form(view, snapshot)
    elif not view.found:
        body = intro + form(view, snapshot) + '<p class="note" role="status">Ingen mål passer til filtrene.</p>'
    else:
        body = intro + form(view, snapshot) + results(view)
    return page("Mål i planerne", body, active=PATH, status_code=view.error.status if view.error else 200)
