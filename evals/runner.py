"""The evaluation runner: a JSON Lines question set -> deterministic scores.

No LLM judge: facts are matched as normalised substrings of the answer
(case, whitespace and thousands separators ignored), so the same build
gives the same score on every run. See evals/README.md for the set format.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from planchat.config import Settings
from planchat.errors import InvalidRequest

_THOUSANDS = re.compile(r"(?<=\d)\.(?=\d{3}(?!\d))")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    text = re.sub(r"<[^>]+>", "", text)
    text = _THOUSANDS.sub("", text.lower())
    return _SPACE.sub(" ", text).strip()


def alnum(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


@dataclass
class Question:
    id: str
    question: str
    expected: list[list[str]] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    expect_abstain: bool = False
    tags: list[str] = field(default_factory=list)
    gold_quote: Optional[str] = None


def load_set(path: Path) -> list[Question]:
    if not path.is_file():
        raise InvalidRequest(f"{path}: no such question set.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"{path}: not UTF-8 text ({exc}). Save the set as UTF-8.") from exc
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            questions.append(Question(**data))
        except (json.JSONDecodeError, TypeError) as exc:
            raise InvalidRequest(f"{path}:{number}: not a valid question ({exc}).") from exc
        expected = questions[-1].expected
        if not isinstance(expected, list) or not all(
            isinstance(fact, list) and fact and all(isinstance(s, str) and s for s in fact) for fact in expected
        ):
            raise InvalidRequest(
                f'{path}:{number}: "expected" must be a list of facts, each a list of spellings, e.g. [["228"]].'
            )
    if not questions:
        raise InvalidRequest(f"{path}: the set holds no questions.")
    return questions


def facts_found(answer: str, expected: list[list[str]]) -> list[bool]:
    text = normalize(answer)
    return [any(normalize(s) in text for s in spellings) for spellings in expected]


def score_question(q: Question, answer: dict, passages: list[dict], latency_ms: float, clean_texts: dict) -> dict:
    citations = answer["citations"]
    found = facts_found(answer["answer"], q.expected)
    quotes = "\n\u2063\n".join(c["quote"] for c in citations)  # a separator no fact spans
    supported = facts_found(quotes, q.expected)
    top5_munis = {c["municipality"] for c in citations[:5]}
    gold_rank = None
    if q.gold_quote:
        gold = alnum(q.gold_quote)
        for rank, p in enumerate(passages, start=1):
            if gold in alnum(p["text"]):
                gold_rank = rank
                break
    verbatim = [
        clean_texts.get(c["doc_id"], "")[c["start"] : c["end"]] == c["quote"] if "start" in c else None for c in citations
    ]
    return {
        "id": q.id,
        "question": q.question,
        "tags": q.tags,
        "answer": answer["answer"],
        "abstained": answer["abstained"],
        "expect_abstain": q.expect_abstain,
        "facts_expected": len(q.expected),
        "facts_found": sum(found),
        "all_facts": bool(q.expected) and all(found),
        "missing": [spellings[0] for spellings, ok in zip(q.expected, found) if not ok],
        "supported": bool(q.expected) and all(supported),
        "municipality_at5": (bool(set(q.municipalities) & top5_munis) if q.municipalities else None),
        "gold_rank": gold_rank,
        "verbatim": [v for v in verbatim if v is not None],
        "citations": [
            {k: c[k] for k in ("n", "municipality", "year", "page", "section", "quote", "role") if k in c}
            for c in citations
        ],
        "latency_ms": latency_ms,
        "has_gold": bool(q.gold_quote),
    }


def _mean(values: list) -> Optional[float]:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 4) if values else None


def summarize(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["facts_expected"]]
    abstained = [r for r in rows if r["abstained"]]
    should = [r for r in rows if r["expect_abstain"]]
    latencies = sorted(r["latency_ms"] for r in rows)
    verbatim = [v for r in rows for v in r["verbatim"]]
    out = {
        "questions": len(rows),
        "fact_accuracy": _mean([1.0 if r["all_facts"] else 0.0 for r in answerable]),
        "fact_share": (
            round(sum(r["facts_found"] for r in answerable) / sum(r["facts_expected"] for r in answerable), 4)
            if answerable
            else None
        ),
        "citation_support": _mean([1.0 if r["supported"] else 0.0 for r in answerable]),
        "municipality_at5": _mean([1.0 if r["municipality_at5"] else 0.0 for r in rows if r["municipality_at5"] is not None]),
        "verbatim_quote_rate": _mean([1.0 if v else 0.0 for v in verbatim]),
        "abstention_precision": round(sum(r["expect_abstain"] for r in abstained) / len(abstained), 4) if abstained else None,
        "abstention_recall": round(sum(r["abstained"] for r in should) / len(should), 4) if should else None,
        "latency_p50_ms": round(statistics.median(latencies), 2) if latencies else None,
        "latency_p95_ms": round(latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)], 2) if latencies else None,
    }
    ranked = [r for r in rows if r.get("has_gold")]
    if ranked:
        out["recall_at_1"] = _mean([1.0 if r["gold_rank"] == 1 else 0.0 for r in ranked])
        out["recall_at_5"] = _mean([1.0 if r["gold_rank"] and r["gold_rank"] <= 5 else 0.0 for r in ranked])
        out["mrr"] = _mean([1.0 / r["gold_rank"] if r["gold_rank"] else 0.0 for r in ranked])
    return out


def run_config(questions: list[Question], settings: Settings, mode: str, index, progress=None) -> dict:
    from dataclasses import asdict

    from retrieval.service import AskService

    service = AskService(index, settings, mode=mode)
    clean_texts = {doc_id: index.docstore.clean_text(doc_id) or "" for doc_id in index.documents}
    rows = []
    for i, q in enumerate(questions):
        started = time.perf_counter()
        answer, passages = service.ask_with_passages(q.question)
        latency = round((time.perf_counter() - started) * 1000, 2)
        # Retrieval is judged on the first 5 passages the answer drew on (so
        # MRR is MRR@5).
        row = score_question(q, asdict(answer), [{"text": p.chunk.text} for p in passages[:5]], latency, clean_texts)
        rows.append(row)
        if progress:
            progress(i + 1, len(questions))
    return {"config": mode, "summary": summarize(rows), "by_tag": by_tag(rows), "rows": rows}


def by_tag(rows: list[dict]) -> dict:
    tags = sorted({t for r in rows for t in r["tags"]})
    return {tag: summarize([r for r in rows if tag in r["tags"]]) for tag in tags}


COLUMNS = [
    ("fact_accuracy", "facts"),
    ("fact_share", "fact share"),
    ("citation_support", "support"),
    ("municipality_at5", "muni@5"),
    ("recall_at_1", "R@1"),
    ("recall_at_5", "R@5"),
    ("mrr", "MRR"),
    ("abstention_precision", "abst P"),
    ("abstention_recall", "abst R"),
    ("verbatim_quote_rate", "verbatim"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
]


def format_table(results: list[dict]) -> str:
    header = f"{'config':8} " + " ".join(f"{label:>10}" for _, label in COLUMNS)
    lines = [header, "-" * len(header)]
    for result in results:
        s = result["summary"]
        cells = []
        for key, _ in COLUMNS:
            value = s.get(key)
            cells.append(f"{'-' if value is None else (f'{value:.3f}' if value <= 1.0 and 'ms' not in key else f'{value:.1f}'):>10}")
        lines.append(f"{result['config']:8} " + " ".join(cells))
    return "\n".join(lines)


def main(args, settings: Settings) -> int:
    from planchat.cli import ensure_corpus

    questions = load_set(args.set)
    configs = args.configs or [settings.retrieval_mode]
    index = ensure_corpus(settings, quiet=True)
    results = []
    for mode in configs:
        def progress(done: int, total: int, mode=mode) -> None:
            if not args.quiet:
                bar = "#" * (30 * done // total)
                print(f"\r{mode:8} [{bar:30}] {done}/{total}", end="", file=sys.stderr, flush=True)

        results.append(run_config(questions, settings, mode, index, progress))
        if not args.quiet:
            print(file=sys.stderr)
    print(format_table(results))
    if args.json_out:
        payload = {"set": str(args.set), "configs": results}
        if len(results) == 1:
            payload.update(results[0]["summary"])
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0
