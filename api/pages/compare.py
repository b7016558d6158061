"""GET /compare: a topic compared across the plans, one row per plan (the rows of /v1/compare).

Each stated row shows the plan's own quotes with numbered citations that
open the quote in the source viewer, its typed targets, and its sources; a
silent plan reads «Ikke nævnt i planen». The topic box suggests the topics
of the plans' own headings (their outlines). Filters live in the query
string; rows come a page of plans at a time (each row is a retrieval), and
the CSV and Markdown exports (GET /v1/compare?format=) hold every row.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from fastapi.responses import HTMLResponse

from ingest.snapshot import IndexSnapshot
from planchat.errors import PlanchatError
from retrieval.compare import CompareRow, Comparison

from .feedback import feedback_attrs
from .layout import esc, page, query_url, source_url
from .parts import NOT_STATED, count, error_box, first, pager, quoted, select, sources, table_region, targets_list

PATH = "/compare"
PLANS_PER_PAGE = 25
MAX_SUGGESTIONS = 150
_NUMBERING = re.compile(r"^\s*(?:(?:bilag|kapitel|afsnit)\s+)?(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[a-z]\))\s+", re.I)


@dataclass(frozen=True)
class CompareView:
    """What the page shows: the request's filters, and the result or the error."""

    topic: str
    municipalities: tuple[str, ...] = ()
    years: tuple[str, ...] = ()
    page: int = 1
    comparison: Comparison | None = None
    plans: int = 0  # plans in scope (the rows of every page)
    error: PlanchatError | None = None

    def params(self) -> dict[str, object]:
        return {"topic": self.topic, "municipality": list(self.municipalities), "year": list(self.years)}


def heading_topic(title: str) -> str | None:
    """A heading as a topic: numbering dropped, all-caps lowered; None for what is no topic."""
    topic = " ".join(_NUMBERING.sub("", title).split()).strip(" :.-–")
    if not 4 <= len(topic) <= 60 or sum(ch.isalpha() for ch in topic) < 4:
        return None
    return topic.capitalize() if topic.isupper() else topic


def suggestions(snapshot: IndexSnapshot, previous=None) -> tuple[str, ...]:
    """The topics of the plans' headings, those most plans share first (once per index generation)."""
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for outline in snapshot.outlines.values():
        seen = set()
        for heading in outline.headings:
            topic = heading_topic(heading.title)
            if topic and topic.casefold() not in seen:
                seen.add(topic.casefold())
                spelling.setdefault(topic.casefold(), topic)
                counts[topic.casefold()] += 1
    ranked = sorted(counts, key=lambda key: (-counts[key], key))[:MAX_SUGGESTIONS]
    return tuple(spelling[key] for key in ranked)


def form(view: CompareView, snapshot: IndexSnapshot, topics: tuple[str, ...]) -> str:
    municipalities = sorted({m.municipality for m in snapshot.documents.values()})
    years = sorted({y for m in snapshot.documents.values() for y in m.covered_years})
    options = "".join(f'<option value="{esc(t)}"></option>' for t in topics)
    return (
        f'<form class="filters" method="get" action="{PATH}" role="search" aria-label="Sammenlign planerne">'
        f'<label>Emne<input name="topic" type="search" list="topics" value="{esc(view.topic)}" '
        'placeholder="fx langtidsledighed" maxlength="300" required></label>'
        f'<datalist id="topics">{options}</datalist>'
        + select(
            "municipality", "Kommune", ((m, m) for m in municipalities), first(view.municipalities), "Alle kommuner"
        )
        + select("year", "År", ((str(y), str(y)) for y in years), first(view.years), "Alle år")
        + '<button type="submit">Sammenlign</button></form>'
    )


def examples(topics: tuple[str, ...]) -> str:
    if not topics:
        return ""
    links = "".join(f'<li><a href="{esc(query_url(PATH, {"topic": t}))}">{esc(t)}</a></li>' for t in topics[:8])
    return f'<h2>Emner fra planernes overskrifter</h2><ul class="chips">{links}</ul>'


def row_html(row: CompareRow, topic: str = "") -> str:
    plan = (
        f'<th scope="row"><a href="{esc(source_url(row.doc_id))}">{esc(row.municipality)} {row.year}</a>'
        f'<span class="muted small">{esc(row.title)}</span></th>'
    )
    # /static/feedback.js puts 👍/👎 in this cell: the row is the plan's answer to the topic (or its silence).
    question = f"Sammenlign: hvad siger {row.municipality} {row.year} om «{topic}»?"
    rating = feedback_attrs(question, row.summary if row.stated else NOT_STATED, row.citations)
    feedback = f'<td class="feedback no-print"{rating}></td>'
    if not row.stated:
        return f'<tr>{plan}<td class="not-stated">{NOT_STATED}</td><td>{targets_list([])}</td>{feedback}</tr>'
    said = f'<p class="quotes">{quoted(row.summary, row.citations)}</p>{sources(row.citations)}'
    return f"<tr>{plan}<td>{said}</td><td>{targets_list(row.targets)}</td>{feedback}</tr>"


def exports(view: CompareView) -> str:
    links = [
        (query_url("/v1/compare", {**view.params(), "format": "csv"}), "Hent CSV"),
        (query_url("/v1/compare", {**view.params(), "format": "markdown"}), "Hent Markdown"),
    ]
    return '<p class="exports">' + "".join(
        f'<a class="button secondary" href="{esc(href)}" download>{text}</a>' for href, text in links
    ) + "</p>"  # fmt: skip


def results(view: CompareView) -> str:
    comparison = view.comparison
    assert comparison is not None
    pages = max(1, -(-view.plans // PLANS_PER_PAGE))
    stated = sum(r.stated for r in comparison.rows)
    shown = f"{len(comparison.rows)} af " if pages > 1 else ""
    shown += count(view.plans, "plan", "planer")
    caption = f"«{esc(comparison.topic)}» i {shown}: {stated} nævner emnet" + (
        f" (side {view.page} af {pages})" if pages > 1 else ""
    )
    table = (
        f'<table class="compare"><caption>{caption}</caption><thead><tr><th scope="col">Plan</th>'
        '<th scope="col">Hvad planen siger (ordret)</th><th scope="col">Mål i planen</th>'
        '<th scope="col" class="no-print">Din vurdering</th></tr></thead>'
        f"<tbody>{''.join(row_html(r, comparison.topic) for r in comparison.rows)}</tbody></table>"
    )
    nav = pager(PATH, view.params(), view.page, pages, "Sider med planer")
    return exports(view) + table_region("Sammenligning", table) + nav


def render(view: CompareView, snapshot: IndexSnapshot) -> HTMLResponse:
    topics = snapshot.derived(suggestions)
    intro = (
        '<p class="lead">Hvad siger hver plan om et emne? Hver række er svaret fra én plan alene: ordrette citater '
        "med kildehenvisning, planens mål, eller «Ikke nævnt i planen».</p>"
    )
    body = intro + form(view, snapshot, topics)
    if view.error is not None:
        body = intro + error_box(view.error) + form(view, snapshot, topics)
    elif view.comparison is not None:
        body += results(view)
    else:
        body += examples(topics)
    title = f"Sammenlign: {view.topic}" if view.comparison is not None else "Sammenlign planerne"
    status = view.error.status if view.error is not None else 200
    rated = view.comparison is not None and view.error is None  # the rows' 👍/👎 (/static/feedback.js)
    return page(title, body, active=PATH, status_code=status, scripts=("feedback.js",) if rated else (),
                styles=("feedback.css",) if rated else ())  # fmt: skip
