"""Side-by-side comparison: a topic -> one row per plan, each row answered
from that plan alone.

A shared pool lets the loudest plan win; here every plan in scope gets its
own retrieval and its own yardstick, and a plan with nothing on the topic
gets ``stated: False`` with no summary of its own invention (the row says
"Ikke nævnt i planen" and cites nothing). A stated row's summary is its
quotes, verbatim, each followed by its citation number: the same truth
rules as /v1/ask (``verify``) hold for every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ingest.snapshot import IndexSnapshot
from planchat.danish import analyze
from planchat.deadline import Deadline
from planchat.errors import InvalidRequest, UnknownFilter
from planchat.records import Citation, DocumentMeta, Target
from planchat.timing import Timer
from prompts import render

from .query import Query, query_analyzer
from .service import AskService, require_text
from .target_selection import TargetTerms, distinct_targets, select_targets, targets_in_citations

MAX_TOPIC_CHARS = 300


@dataclass
class CompareRow:
    municipality: str
    year: int
    title: str
    doc_id: str
    stated: bool
    summary: str
    citations: list[Citation]
    targets: list[Target] = field(default_factory=list)


@dataclass
class Comparison:
    topic: str
    rows: list[CompareRow]
    timings_ms: dict[str, float] = field(default_factory=dict)


def row_summary(answer_text: str, municipality: str) -> str:
    """The answer line without its "Municipality: " lead (the row names it)."""
    lead = f"{municipality}: "
    lines = [line[len(lead) :] if line.startswith(lead) else line for line in answer_text.splitlines()]
    return " ".join(lines)


class CompareService:
    def __init__(self, ask: AskService):
        self.ask = ask
        self.index = ask.index

    def plans_in_scope(
        self, snapshot: IndexSnapshot, municipalities: list[str] | None, years: list[int] | None
    ) -> list[DocumentMeta]:
        analyzer = query_analyzer(snapshot)
        wanted = {analyzer.resolve_municipality(m) for m in municipalities} if municipalities else None
        if years:
            analyzer.check_years(years)  # the same UnknownFilter /v1/ask raises
        plans = [
            meta
            for meta in snapshot.documents.values()
            if (wanted is None or meta.municipality in wanted) and (not years or set(years) & set(meta.covered_years))
        ]
        return sorted(plans, key=lambda m: (m.municipality, m.year, m.doc_id))

    def validate(self, topic: str, municipalities, years) -> None:
        if topic is None or not topic.strip():
            raise InvalidRequest("topic: must not be empty. Name what to compare, e.g. 'langtidsledighed'.")
        require_text("topic", topic)
        if len(topic) > MAX_TOPIC_CHARS:
            raise InvalidRequest(
                f"topic: is {len(topic)} characters; the limit is {MAX_TOPIC_CHARS}. Name a topic, not a text."
            )
        limit = self.ask.settings.max_filter_values
        for name, values in (("municipalities", municipalities), ("years", years)):
            if values is not None and len(values) > limit:
                raise InvalidRequest(f"{name}: at most {limit} values; got {len(values)}.")

    def compare(
        self,
        topic: str,
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
        *,
        exclude: Sequence[tuple[str, int, int]] = (),
        top_k: int | None = None,
        snapshot: IndexSnapshot | None = None,
        deadline: Deadline | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> Comparison:
        """One row per plan in scope; ``offset``/``limit`` answer only that slice of the plans (a page of
        them: each row is a retrieval, so 1,000 plans are shown a page at a time)."""
        timer = Timer()
        deadline = deadline or Deadline.unlimited()
        snapshot = snapshot if snapshot is not None else self.index.snapshot
        self.validate(topic, municipalities, years)
        plans = self.plans_in_scope(snapshot, municipalities, years)
        if not plans:
            names = ", ".join(municipalities or []) or "any municipality"
            raise UnknownFilter(
                f"years: no plan of {names} covers {', '.join(map(str, years or []))}. "
                "Drop the year filter or pick another municipality (GET /v1/documents lists the plans)."
            )
        base = self.ask.embedded(query_analyzer(snapshot).analyze(topic.strip()))  # the topic embedded once
        k = top_k or self.ask.settings.top_k
        shown = plans[offset : None if limit is None else offset + limit]
        rows = []
        for meta in shown:
            deadline.check(f"Comparing {Deadline.count(len(shown), 'plan')}")
            rows.append(self.row(snapshot, base, meta, k, exclude))
        timer.lap("rows")
        return Comparison(topic=topic.strip(), rows=rows, timings_ms={"total": timer.ms()["total"]})

    @staticmethod
    def evidence_coverage(snapshot: IndexSnapshot, query: Query, citations: list[Citation]) -> float:
        """Share of the query's idf mass the cited quotes and their section headings contain."""
        bm25 = snapshot.bm25
        terms = [t for t in dict.fromkeys(query.terms) if bm25.knows(t)]
        if not terms:
            return 0.0
        found = set()
        for c in citations:
            if c.role == "evidence":
                found |= set(analyze(c.quote)) | set(analyze(c.section))
        weights = {t: bm25.idf(t) for t in terms}
        return sum(w for t, w in weights.items() if t in found) / (sum(weights.values()) or 1.0)

    def row(
        self,
        snapshot: IndexSnapshot,
        base: Query,
        meta: DocumentMeta,
        k: int,
        exclude=(),
        min_evidence_coverage: float = 0.0,
    ) -> CompareRow:
        query = base.with_(
            municipalities=[meta.municipality], doc_ids=[meta.doc_id], unknown_municipalities=[], spanning=False
        )
        answer, _ = self.ask.answer_query(snapshot, query, k, exclude=exclude)
        doc_targets = snapshot.targets(meta.doc_id)
        if answer.abstained or (
            min_evidence_coverage and self.evidence_coverage(snapshot, query, answer.citations) < min_evidence_coverage
        ):
            return CompareRow(
                meta.municipality, meta.year, meta.title, meta.doc_id, False, render("not_stated", query.lang), []
            )
        cited = targets_in_citations(doc_targets, answer.citations)
        topical = select_targets(
            doc_targets, terms=query.terms, idf=snapshot.bm25.idf, terms_of=TargetTerms.of(snapshot)
        )
        targets = distinct_targets(cited + [t for t in topical if t not in cited])
        return CompareRow(
            meta.municipality,
            meta.year,
            meta.title,
            meta.doc_id,
            True,
            row_summary(answer.answer, meta.municipality),
            answer.citations,
            targets,
        )
