"""GET /documents/{doc_id}: the source viewer. A plan's stored clean text (the
text every citation's start/end index into), its outline as a table of
contents with anchors, page labels in the margin, and with ``?start=&end=``
the cited span in ``<mark>``, scrolled into view by /static/source.js.

The marked characters are exactly ``text[start:end]``: where the span
crosses a heading, it is one ``<mark>`` per piece, so the marks' text joined
is the quote. A span that is not two whole numbers with
0 ≤ start < end ≤ len(text) marks nothing: the page says why (a 400, the
text still shown). Page labels come from the chunks and headings (a chunk
and a heading know the page they start on; the clean text keeps no page
breaks), so a label marks where the first passage of that page starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastapi.responses import HTMLResponse

from planchat.errors import InvalidRequest
from planchat.records import Chunk, DocumentMeta

from ..schemas import DocumentOutline, OutlineHeadingOut
from .layout import esc, page, source_url

MAX_TOC_LEVEL = 3


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def cited_span(start: str | None, end: str | None, length: int) -> Span | None:
    """The span to mark, or None for none asked; InvalidRequest (in Danish, naming the fault) for a bad one."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise InvalidRequest("Markeringen kræver både start og end (fx ?start=120&end=180).")
    values = []
    for name, raw in (("start", start), ("end", end)):
        if not raw.strip().isdigit() or len(raw.strip()) > 12:
            raise InvalidRequest(f"{name}=«{raw[:40]}» er ikke et tegnnummer (et helt tal fra 0).")
        values.append(int(raw))
    first, last = values
    if not first < last <= length:
        raise InvalidRequest(
            f"start={first} og end={last} ligger ikke i teksten: den har {length} tegn, og start skal være mindre "
            "end end. Linket kan stamme fra en ældre udgave af planen."
        )
    return Span(first, last)


def flat(headings: Iterable[OutlineHeadingOut]) -> list[OutlineHeadingOut]:
    out = []
    for h in headings:
        out.append(h)
        out.extend(flat(h.children))
    return out


def page_marks(chunks: Sequence[Chunk], headings: Sequence[OutlineHeadingOut]) -> dict[int, str]:
    """offset -> 's. 12' where a new page's first chunk or heading starts (moved out of a heading's line)."""
    starts = sorted(
        [(c.start, c.page, c.page_label) for c in chunks] + [(h.start, h.page, h.page_label) for h in headings]
    )
    marks: dict[int, str] = {}
    current = None
    for offset, number, label in starts:
        if number is None or number == current:
            continue
        current = number
        inside = next((h.start for h in headings if h.start < offset < h.end), offset)
        marks.setdefault(inside, f"s. {label or number}")
    return marks


def text_html(text: str, headings: Sequence[OutlineHeadingOut], marks: dict[int, str], span: Span | None) -> str:
    """The text cut at every heading, page mark and span edge; headings wrap their lines, the span is marked."""
    usable, last_end = [], 0
    for h in sorted(headings, key=lambda h: h.start):
        if h.start >= last_end and 0 <= h.start < h.end <= len(text):
            usable.append(h)
            last_end = h.end
    cuts = {0, len(text), *marks, *(h.start for h in usable), *(h.end for h in usable)}
    if span is not None:
        cuts |= {span.start, span.end}
    bounds = sorted(c for c in cuts if 0 <= c <= len(text))
    opens = {h.start: h for h in usable}
    out, first_mark, open_end = [], True, None
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a in marks:
            out.append(f'<span class="page-label">{esc(marks[a])}</span>')
        if a in opens:
            level = min(opens[a].level + 2, 6)
            out.append(f'<span class="doc-heading" id="h-{a}" role="heading" aria-level="{level}">')
            open_end = opens[a].end
        piece = esc(text[a:b])
        if span is not None and span.start <= a and b <= span.end:
            anchor = ' id="cited" tabindex="-1"' if first_mark else ""
            piece, first_mark = f"<mark{anchor}>{piece}</mark>", False
        out.append(piece)
        if b == open_end:
            out.append("</span>")
            open_end = None
    return "".join(out)


def toc(headings: Sequence[OutlineHeadingOut], level: int = 1) -> str:
    items = []
    for h in headings:
        sub = toc(h.children, level + 1) if h.children and level < MAX_TOC_LEVEL else ""
        label = f' <span class="muted small">s. {esc(h.page_label or h.page)}</span>' if h.page else ""
        items.append(f'<li><a href="#h-{h.start}">{esc(h.title)}</a>{label}{sub}</li>')
    return f"<ol>{''.join(items)}</ol>" if items else ""


def header(meta: DocumentMeta, text: str, span: Span | None, notice: InvalidRequest | None) -> str:
    years = ", ".join(map(str, meta.covered_years))
    chars = f"{len(text):,}".replace(",", ".")
    facts = f"{esc(meta.municipality)} · {esc(meta.title)} · dækker {esc(years)} · {chars} tegn"
    parts = [f'<p class="lead">{facts}</p>']
    if notice is not None:
        parts.append(
            f'<div class="error" role="alert"><p><strong>Markeringen er ignoreret.</strong> {esc(notice.message)}'
            "</p></div>"
        )
    if span is not None:
        parts.append(
            f'<p class="cited-note" role="status">Det citerede uddrag (tegn {span.start}–{span.end}) er markeret. '
            '<a href="#cited">Gå til uddraget</a> · '
            f'<a href="{esc(source_url(meta.doc_id))}">Fjern markeringen</a></p>'
        )
    return "".join(parts)


def render(
    meta: DocumentMeta,
    text: str,
    outline: DocumentOutline,
    chunks: Sequence[Chunk],
    span: Span | None,
    notice: InvalidRequest | None = None,
) -> HTMLResponse:
    headings = flat(outline.headings)
    contents = toc(outline.headings)
    nav = (
        f'<nav class="toc" aria-labelledby="toc-title"><h2 id="toc-title">Indhold</h2>{contents}</nav>'
        if contents
        else ""
    )
    body = (
        header(meta, text, span, notice) + f'<div class="viewer">{nav}<section class="doc" aria-labelledby="doc-title">'
        '<h2 id="doc-title">Planens tekst</h2>'
        f'<div class="doc-text">{text_html(text, headings, page_marks(chunks, headings), span)}</div>'
        "</section></div>"
    )
    title = f"{meta.municipality} {meta.year}: {meta.title}"
    return page(title, body, active="/documents", scripts=["source.js"], status_code=400 if notice else 200)


def not_found(doc_id: str) -> HTMLResponse:
    body = (
        f'<div class="error" role="alert"><p>Der er intet dokument med id «{esc(doc_id[:100])}» i samlingen. '
        "Det kan være slettet eller erstattet af en nyere plan.</p></div>"
        '<p><a href="/documents">Se alle dokumenter</a> · <a href="/compare">Sammenlign planerne</a></p>'
    )
    return page("Dokumentet findes ikke", body, active="/documents", status_code=404)
