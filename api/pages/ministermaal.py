"""GET /ministermaal?year=: the year's ministermål (read from the plans) ×
the plans covering that year, GET /v1/ministermaal's matrix.

A row per goal (its title as the plans list it, and where they list it), a
column per plan. A cell says «Nævnt» with the plan's own quotes, each [n]
linking to the quote in the source viewer, or «Ikke nævnt i planen». Each
cell is a retrieval, so the columns come a page of municipalities at a time.
Without ``year`` the latest year whose goals the plans list is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.responses import HTMLResponse

from ingest.snapshot import IndexSnapshot
from planchat.errors import PlanchatError
from retrieval.compare import CompareRow
from retrieval.ministermaal import Goal, Matrix, MinistermaalService

from .layout import esc, page, source_url
from .parts import NOT_STATED, count, error_box, first, pager, quoted, select, sources, table_region

PATH = "/ministermaal"
MUNICIPALITIES_PER_PAGE = 8


@dataclass(frozen=True)
class MinistermaalView:
    year: str = ""
    municipalities: tuple[str, ...] = ()
    page: int = 1
    matrix: Matrix | None = None
    pages: int = 1
    error: PlanchatError | None = None

    def params(self) -> dict[str, object]:
        return {"year": self.year, "municipality": list(self.municipalities)}


def goal_cell(snapshot: IndexSnapshot, goal: Goal) -> str:
    listed = []
    for n, listing in enumerate(goal.sources, 1):
        c = MinistermaalService.source_citation(snapshot, n, listing)
        listed.append(f'<a href="{esc(source_url(c.doc_id, c.start, c.end))}">{esc(c.municipality)} {c.year}</a>')
    where = f'<span class="muted small">Opregnet i {", ".join(listed)}</span>' if listed else ""
    return f'<th scope="row"><span class="goal-n">Mål {goal.number}.</span> {esc(goal.title)} {where}</th>'


def cell(row: CompareRow) -> str:
    if not row.stated:
        return f'<td class="not-stated"><span class="badge off">Ikke nævnt</span> {NOT_STATED}</td>'
    said = f'<p class="quotes">{quoted(row.summary, row.citations)}</p>{sources(row.citations)}'
    return f'<td class="stated"><span class="badge">Nævnt</span> {said}</td>'


def matrix_table(snapshot: IndexSnapshot, view: MinistermaalView) -> str:
    matrix = view.matrix
    assert matrix is not None
    heads = "".join(
        f'<th scope="col"><a href="{esc(source_url(m.doc_id))}">{esc(m.municipality)} {m.year}</a></th>'
        for m in matrix.plans
    )
    body = "".join(
        f"<tr>{goal_cell(snapshot, goal)}{''.join(cell(r) for r in matrix.cells[goal.number])}</tr>"
        for goal in matrix.goals
    )
    side = f" (side {view.page} af {view.pages})" if view.pages > 1 else ""
    caption = f"Ministermålene for {matrix.year} × {count(len(matrix.plans), 'plan', 'planer')}{side}"
    table = (
        f'<table class="matrix"><caption>{caption}</caption><thead><tr><th scope="col">Ministermål</th>{heads}</tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )
    return table_region("Ministermål", table) + pager(PATH, view.params(), view.page, view.pages, "Sider med planer")


def form(view: MinistermaalView, snapshot: IndexSnapshot, years: list[int]) -> str:
    municipalities = sorted({m.municipality for m in snapshot.documents.values()})
    return (
        f'<form class="filters" method="get" action="{PATH}" aria-label="Vælg år">'
        + select("year", "År", ((str(y), str(y)) for y in years), view.year, "Seneste år")
        + select("municipality", "Kommune", ((m, m) for m in municipalities), first(view.municipalities),
                 "Alle kommuner")
        + '<button type="submit">Vis</button></form>'
    )  # fmt: skip


def render(view: MinistermaalView, snapshot: IndexSnapshot, years: list[int]) -> HTMLResponse:
    intro = (
        '<p class="lead">Beskæftigelsesministerens mål for året, som planerne selv opregner dem, og hvad hver plan '
        "siger om hvert mål: ordrette citater med kilde, eller «Ikke nævnt i planen».</p>"
    )
    body = intro + (error_box(view.error) if view.error is not None else "") + form(view, snapshot, years)
    if view.matrix is not None and not view.matrix.plans:
        body += f'<p class="note" role="status">Ingen plan dækker {view.matrix.year}.</p>'
    elif view.matrix is not None:
        body += matrix_table(snapshot, view)
    elif view.error is None:
        body += '<p class="note" role="status">Ingen plan opregner ministermål.</p>'
    title = f"Ministermål {view.matrix.year}" if view.matrix is not None else "Ministermål"
    return page(title, body, active=PATH, status_code=view.error.status if view.error else 200)
