"""What the planner pages share: cited quotes whose [n] markers link to the
source viewer, source lists, typed targets, the filter form's fields, page
navigation and the error box. Everything returned is HTML with the plan's
text escaped (``esc``); a marker is placed only where api/markers.py finds
one, never where plan text merely reads "[1]"."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from planchat.errors import InvalidRequest, PlanchatError
from planchat.records import Citation, Target
from retrieval.formatting import target_short

from ..markers import quote_markers
from .layout import esc, query_url, source_url

NOT_STATED = "Ikke nævnt i planen"


def count(n: int, one: str, many: str) -> str:
    """'1 plan', '5 planer'."""
    return f"{n} {one if n == 1 else many}"


def where(c: Citation | Target) -> str:
    """'Vejle 2022, s. 12' (a target's plan year, a citation's year; the printed page label where there is one)."""
    year = c.plan_year if isinstance(c, Target) else c.year
    page = getattr(c, "page_label", None) or c.page
    return f"{c.municipality} {year}" + (f", s. {page}" if page else "")


def cite_link(c: Citation) -> str:
    """[n] linking to the quote in the source viewer; screen readers hear where it points."""
    href = esc(source_url(c.doc_id, c.start, c.end))
    return f'<a class="cite" href="{href}">[{c.n}]<span class="sr-only"> kilde {c.n}: {esc(where(c))}</span></a>'


def quoted(summary: str, citations: Sequence[Citation]) -> str:
    """A compare row's or cell's text (its quotes, each followed by [n]) with each [n] a link to its quote.
    The row joined the answer's lines with spaces, so its quotes are looked up the same way."""
    evidence = sorted((c.n, c.quote.replace("\n", " ")) for c in citations if c.role == "evidence")
    by_n = {c.n: c for c in citations}
    out, last = [], 0
    for marker in quote_markers(summary, evidence):
        out.append(esc(summary[last : marker.start]))
        out.append(f'<sup class="cite">{cite_link(by_n[marker.n])}</sup>')
        last = marker.end
    out.append(esc(summary[last:]))
    return "".join(out)


def sources(citations: Iterable[Citation]) -> str:
    """The numbered sources of a row or cell (its plan is named by the row): page, section, a link to the quote."""
    items = []
    for c in citations:
        page = c.page_label or c.page
        place = " – ".join(part for part in (f"s. {page}" if page else "", c.section) if part) or c.title
        href = esc(source_url(c.doc_id, c.start, c.end))
        items.append(f'<li value="{c.n}">{esc(place)} · <a href="{href}">Vis i planen</a></li>')
    return f'<ol class="sources">{"".join(items)}</ol>' if items else ""


def target_item(t: Target, *, with_where: bool = False) -> str:
    """'indicator: ≤ 228 personer (2014)', linked to the target's sentence in the source viewer."""
    href = esc(source_url(t.doc_id, t.start, t.end))
    lead = f"{esc(where(t))}: " if with_where else ""
    return f'{lead}{esc(t.indicator)}: <a href="{href}">{esc(target_short(t))}</a>'


def targets_list(targets: Sequence[Target]) -> str:
    if not targets:
        return '<span class="muted">–</span>'
    return '<ul class="targets">' + "".join(f"<li>{target_item(t)}</li>" for t in targets) + "</ul>"


def select(name: str, label: str, options: Iterable[tuple[str, str]], chosen: str, everything: str) -> str:
    """A labelled <select>: the first option (value '') means no filter."""
    rows = [f'<option value="">{esc(everything)}</option>']
    for value, text in options:
        mark = " selected" if value == chosen else ""
        rows.append(f'<option value="{esc(value)}"{mark}>{esc(text)}</option>')
    return f'<label>{esc(label)}<select name="{esc(name)}">{"".join(rows)}</select></label>'


def first(values: Sequence[str]) -> str:
    return next((v for v in values if v), "")


def whole_numbers(values: Sequence[str], field: str, what: str) -> list[int]:
    """The non-empty values as ints, or an InvalidRequest naming the field (a page shows it, never a 422)."""
    out = []
    for value in values:
        if not value:
            continue
        if not value.strip().isdigit() or len(value.strip()) > 9:
            raise InvalidRequest(f"{field}: «{value[:40]}» er ikke {what}. Ret feltet, eller fjern det fra adressen.")
        out.append(int(value))
    return out


def page_number(value: str) -> int:
    number = whole_numbers([value], "page", "et sidetal")
    return max(number[0], 1) if number else 1


def pager(path: str, params: dict[str, object], page: int, pages: int, label: str) -> str:
    """Previous / 'Side x af y' / next, each a shareable link with the same filters."""
    if pages <= 1:
        return ""
    prev = (
        f'<a rel="prev" href="{esc(query_url(path, {**params, "page": page - 1}))}">← Forrige</a>' if page > 1 else ""
    )
    nxt = (
        f'<a rel="next" href="{esc(query_url(path, {**params, "page": page + 1}))}">Næste →</a>' if page < pages else ""
    )
    return f'<nav class="pager" aria-label="{esc(label)}">{prev}<span>Side {page} af {pages}</span>{nxt}</nav>'


def error_box(exc: PlanchatError) -> str:
    return (
        '<div class="error" role="alert"><p><strong>Det kan ikke vises.</strong> '
        f"{esc(exc.message)}</p><p>Ret filtrene herunder, og prøv igen.</p></div>"
    )


def table_region(label: str, table: str) -> str:
    """A wide table scrolls sideways on a phone: a focusable, named region, so keyboard users can scroll it too."""
    return f'<div class="table-wrap" role="region" aria-label="{esc(label)}" tabindex="0">{table}</div>'
