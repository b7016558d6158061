"""Finding extracted targets: by municipality, plan/target year and topic.

The targets themselves are extracted at ingest (ingest/target_extraction.py); this
module selects them for GET /v1/targets, for the rows of /v1/compare and
for /v1/ask answers to target questions. Topic matching uses the same
Danish analysis as BM25: a target matches when its indicator, quote and
section cover at least half of the topic's idf mass.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import asdict

from planchat.danish import analyze
from planchat.errors import InvalidRequest
from planchat.records import Citation, Target

MIN_TOPIC_COVERAGE = 0.5
_TARGET_QUESTION = re.compile(
    r"(?i)\b(mål|målet|målene|måltal\w*|målsætning\w*|resultatkrav\w*|resultatmål\w*|ambition\w*|besparelse\w*|"
    r"højst|mindst|maksimalt|minimum|targets?|goals?|aims?)\b"
)


def asks_for_target(question: str) -> bool:
    """Does the question ask what a plan aims for (so its typed targets belong in the answer)?"""
    return bool(_TARGET_QUESTION.search(question))


CSV_FIELDS = [
    "target_id",
    "municipality",
    "plan_year",
    "target_year",
    "target_period",
    "indicator",
    "value",
    "value_text",
    "unit",
    "direction",
    "change",
    "baseline",
    "baseline_period",
    "doc_id",
    "title",
    "page",
    "section",
    "quote",
    "start",
    "end",
    "chunk_id",
]


def target_terms(target: Target) -> set[str]:
    return set(analyze(f"{target.indicator} {target.quote} {target.section}"))


class TargetTerms:
    """``target_terms`` of one snapshot's targets, analysed once: re-analysing
    all ~8,600 targets of 1,000 plans on every /v1/targets?q= and every
    compare row cost 0.59 s a call. One instance per snapshot
    (``TargetTerms.of``), shared by every service reading it; it starts from
    the previous generation's terms of the targets still present, so a write
    re-analyses only the targets it changed. A hit must be the very target
    the terms were made from, or an equal one, so a reader holding another
    version's target never gets the wrong terms."""

    def __init__(self, snapshot=None, previous: TargetTerms | None = None):
        self._terms: dict[str, tuple[Target, frozenset[str]]] = {}
        if previous is not None and snapshot is not None:
            current = {t.target_id for t in snapshot.targets()}
            self._terms = {k: v for k, v in previous._terms.items() if k in current}

    @staticmethod
    def of(snapshot) -> TargetTerms:
        return snapshot.derived(TargetTerms)

    def __call__(self, target: Target) -> frozenset[str]:
        hit = self._terms.get(target.target_id)
        if hit is not None and hit[0] is target:
            return hit[1]
        terms = hit[1] if hit is not None and hit[0] == target else frozenset(target_terms(target))
        self._terms[target.target_id] = (target, terms)  # the current object: the next hit is by identity
        return terms


def topic_coverage(
    terms: Sequence[str],
    target: Target,
    idf: Callable[[str], float],
    terms_of: Callable[[Target], AbstractSet[str]] = target_terms,
) -> float:
    weights = _topic_weights(terms, idf)
    return _coverage(weights, sum(weights.values()), terms_of(target)) if weights else 1.0


def _topic_weights(terms: Sequence[str], idf: Callable[[str], float]) -> dict[str, float]:
    return {t: max(idf(t), 0.01) for t in dict.fromkeys(terms)}


def _coverage(weights: dict[str, float], total: float, found: AbstractSet[str]) -> float:
    return sum(w for t, w in weights.items() if t in found) / total


def select_targets(
    targets: Iterable[Target],
    *,
    municipalities: set[str] | None = None,
    years: set[int] | None = None,
    terms: Sequence[str] = (),
    idf: Callable[[str], float] = lambda t: 1.0,
    min_coverage: float = MIN_TOPIC_COVERAGE,
    terms_of: Callable[[Target], AbstractSet[str]] = target_terms,
) -> list[Target]:
    """Targets of these municipalities, whose plan year or target year is
    one of ``years``, that cover the topic terms; best topic match first,
    then reading order. ``terms_of`` gives a target's analysed words (pass the
    index's ``TargetTerms`` to reuse them across calls)."""
    weights = _topic_weights(terms, idf)  # the same for every target: computed once
    total = sum(weights.values())
    scored = []
    for n, target in enumerate(targets):
        if municipalities and target.municipality not in municipalities:
            continue
        if years and target.plan_year not in years and target.target_year not in years:
            continue
        coverage = _coverage(weights, total, terms_of(target)) if weights else 1.0
        if coverage < min_coverage:
            continue
        scored.append((-coverage if terms else 0.0, n, target))
    return [t for _, _, t in sorted(scored, key=lambda x: (x[0], x[1]))]


def targets_in_citations(targets: Iterable[Target], citations: Iterable[Citation]) -> list[Target]:
    """The targets whose quote overlaps an evidence quote (the answer already cites them)."""
    spans = [(c.doc_id, c.start, c.end) for c in citations if c.role == "evidence"]
    return [t for t in targets if any(d == t.doc_id and t.start < e and s < t.end for d, s, e in spans)]


def distinct_targets(targets: Iterable[Target]) -> list[Target]:
    """One of each target a plan states twice (Jammerbugt restates its goals in an annex)."""
    seen, out = set(), []
    for t in targets:
        key = (t.doc_id, t.value, t.unit, t.direction, t.change, t.target_year)
        if key not in seen:
            seen.add(key)
            out.append(t)
    return out


def targets_csv(targets: Iterable[Target]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for target in targets:
        row = asdict(target)
        row["value"] = format_value(target.value)
        writer.writerow(row)
    return out.getvalue()


def format_value(value: float) -> str:
    """3.7 -> '3.7', 228.0 -> '228' (machine-readable, no thousands separator)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def select_targets_for(
    snapshot,
    municipalities: Sequence[str] | None = None,
    years: Iterable[int] | None = None,
    q: str | None = None,
    distinct: bool = False,
) -> list[Target]:
    """A target selection as a user asks for it (GET /v1/targets, ``planchat
    targets``): municipality names as typed, plan or target years, topic words.
    Validates them (an unknown municipality or a ``q`` of only stopwords is
    refused, naming the field), then ``select_targets`` on the snapshot's
    targets; ``distinct`` keeps one of each target a plan states more than once."""
    from .query import query_analyzer

    analyzer = query_analyzer(snapshot)
    munis = {analyzer.resolve_municipality(m, field="municipality") for m in municipalities} if municipalities else None
    terms = analyzer.analyze(q).terms if q and q.strip() else []
    if q and q.strip() and not terms:
        raise InvalidRequest("q: has no searchable words (only stopwords or punctuation). Name what is measured.")
    found = select_targets(snapshot.targets(), municipalities=munis, years=set(years) if years else None,
                           terms=terms, idf=snapshot.bm25.idf, terms_of=TargetTerms.of(snapshot))  # fmt: skip
    return distinct_targets(found) if distinct else found
