"""Finding extracted targets: by municipality, plan/target year and topic.

The targets themselves are extracted at ingest (ingest/targets.py); this
module selects them for GET /v1/targets, for the rows of /v1/compare and
for /v1/ask answers to target questions. Topic matching uses the same
Danish analysis as BM25: a target matches when its indicator, quote and
section cover at least half of the topic's idf mass.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict
from typing import Callable, Iterable, Optional, Sequence

from planchat.danish import analyze
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
    "target_id", "municipality", "plan_year", "target_year", "target_period", "indicator", "value", "value_text",
    "unit", "direction", "change", "baseline", "baseline_period", "doc_id", "title", "page", "section", "quote",
    "start", "end", "chunk_id",
]


def target_terms(target: Target) -> set[str]:
    return set(analyze(f"{target.indicator} {target.quote} {target.section}"))


def topic_coverage(terms: Sequence[str], target: Target, idf: Callable[[str], float]) -> float:
    terms = list(dict.fromkeys(terms))
    if not terms:
        return 1.0
    weights = {t: max(idf(t), 0.01) for t in terms}
    found = target_terms(target)
    return sum(w for t, w in weights.items() if t in found) / sum(weights.values())


def select_targets(
    targets: Iterable[Target],
    *,
    municipalities: Optional[set[str]] = None,
    years: Optional[set[int]] = None,
    terms: Sequence[str] = (),
    idf: Callable[[str], float] = lambda t: 1.0,
    min_coverage: float = MIN_TOPIC_COVERAGE,
) -> list[Target]:
    """Targets of these municipalities, whose plan year or target year is
    one of ``years``, that cover the topic terms; best topic match first,
    then reading order."""
    scored = []
    for n, target in enumerate(targets):
        if municipalities and target.municipality not in municipalities:
            continue
        if years and target.plan_year not in years and target.target_year not in years:
            continue
        coverage = topic_coverage(terms, target, idf)
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
