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
    gold_quote: str | None = None
    note: str | None = None  # for the evaluator (a feedback export's comment); not scored


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
        clean_texts.get(c["doc_id"], "")[c["start"] : c["end"]] == c["quote"] if "start" in c else None
        for c in citations
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


def _mean(values: list) -> float | None:
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
        "municipality_at5": _mean(
            [1.0 if r["municipality_at5"] else 0.0 for r in rows if r["municipality_at5"] is not None]
        ),
        "verbatim_quote_rate": _mean([1.0 if v else 0.0 for v in verbatim]),
        "abstention_precision": round(sum(r["expect_abstain"] for r in abstained) / len(abstained), 4)
        if abstained
        else None,
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


def _run(questions: list[Question], config: str, ask, clean_text, progress=None) -> dict:
    """Score every question. ``ask(question) -> (answer dict, passage texts)``;
    ``clean_text(doc_id)`` is the stored text citations index into."""
    rows = []
    if questions:
        ask(questions[0].question)  # warm-up, unscored: latency is about answering, not loading
    for i, q in enumerate(questions):
        started = time.perf_counter()
        answer, passages = ask(q.question)
        latency = round((time.perf_counter() - started) * 1000, 2)
        texts = {c["doc_id"]: clean_text(c["doc_id"]) for c in answer["citations"] if "doc_id" in c}
        # Retrieval is judged on the first 5 passages the answer drew on (MRR@5).
        rows.append(score_question(q, answer, [{"text": t} for t in passages[:5]], latency, texts))
        if progress:
            progress(i + 1, len(questions))
    return {"config": config, "summary": summarize(rows), "by_tag": by_tag(rows), "rows": rows}


def run_config(questions: list[Question], settings: Settings, mode: str, index, progress=None) -> dict:
    """In-process: the same AskService the API uses, on ``index``."""
    from dataclasses import asdict

    from retrieval.service import AskService

    service = AskService(index, settings, mode=mode)

    def ask(question: str):
        answer, passages = service.ask_with_passages(question)
        return asdict(answer), [p.chunk.text for p in passages]

    return _run(questions, mode, ask, lambda doc_id: index.docstore.clean_text(doc_id) or "", progress)


def run_against(
    questions: list[Question], base_url: str, mode: str, progress=None, timeout: float = 60, api_key: str = ""
) -> dict:
    """Over HTTP against a running server, the way a client would: POST
    /v1/ask per question (with ``mode``), GET each cited document's text once
    for the verbatim check. Retrieval ranks are read from the citations in
    order (a server does not expose its passage list). ``api_key``, when
    given, is sent as a bearer key (the admin key is not rate limited)."""
    import httpx

    texts: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    with httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=headers) as client:

        def ask(question: str):
            response = client.post("/v1/ask", json={"question": question, "mode": mode})
            if response.status_code != 200:
                raise InvalidRequest(f"{base_url}/v1/ask answered {response.status_code}: {response.text[:300]}")
            answer = response.json()
            return answer, [c["quote"] for c in answer["citations"]]

        def clean_text(doc_id: str) -> str:
            if doc_id not in texts:
                response = client.get(f"/v1/documents/{doc_id}/text")
                texts[doc_id] = response.json().get("text", "") if response.status_code == 200 else ""
            return texts[doc_id]

        try:
            return _run(questions, mode, ask, clean_text, progress)
        except httpx.HTTPError as exc:
            raise InvalidRequest(f"{base_url}: the server did not answer ({exc}). Is it running?") from exc


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
            text = "-" if value is None else (f"{value:.1f}" if key.endswith("_ms") else f"{value:.3f}")
            cells.append(f"{text:>10}")
        lines.append(f"{result['config']:8} " + " ".join(cells))
    return "\n".join(lines)


# Scores where higher is better and a drop is a regression. Latency is
# measured, never gated (it depends on the machine and its load).
GATED = (
    "fact_accuracy", "fact_share", "citation_support", "municipality_at5", "verbatim_quote_rate",
    "abstention_precision", "abstention_recall", "recall_at_1", "recall_at_5", "mrr",
)  # fmt: skip
DEFAULT_TOLERANCE = 0.02


def baseline_payload(results: list[dict], set_name: str, tolerance: float) -> dict:
    return {
        "set": set_name,
        "tolerance": tolerance,
        "configs": {r["config"]: {k: r["summary"].get(k) for k in GATED} for r in results},
    }


def compare_with_baseline(results: list[dict], baseline: dict, tolerance: float | None = None) -> list[str]:
    """Regressions as sentences: every gated score of every configuration in
    the baseline that dropped by more than the tolerance. Empty: the gate passes."""
    tolerance = baseline.get("tolerance", DEFAULT_TOLERANCE) if tolerance is None else tolerance
    current = {r["config"]: r["summary"] for r in results}
    problems = []
    for config, scores in sorted(baseline.get("configs", {}).items()):
        if config not in current:
            continue
        for key in GATED:
            before, now = scores.get(key), current[config].get(key)
            if before is None:
                continue
            if now is None or now < before - tolerance - 1e-9:
                shown = "missing" if now is None else f"{now:.3f}"
                problems.append(f"{config}: {key} {shown} < baseline {before:.3f} - tolerance {tolerance:.3f}")
    return problems


def _commit() -> str | None:
    import subprocess

    from planchat.config import REPO_ROOT

    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def main(args, settings: Settings) -> int:
    questions = load_set(args.set)
    configs = args.configs or [settings.retrieval_mode]
    index = None
    if not args.against:
        from ingest.corpus import ensure_corpus

        index = ensure_corpus(settings, quiet=True)
    results = []
    for mode in configs:

        def progress(done: int, total: int, mode=mode) -> None:
            if not args.quiet:
                bar = "#" * (30 * done // total)
                print(f"\r{mode:8} [{bar:30}] {done}/{total}", end="", file=sys.stderr, flush=True)

        if args.against:
            api_key = getattr(args, "api_key", None) or settings.api_key
            results.append(run_against(questions, args.against, mode, progress, api_key=api_key))
        else:
            results.append(run_config(questions, settings, mode, index, progress))
        if not args.quiet:
            print(file=sys.stderr)
    print(format_table(results))
    payload = {
        "set": str(args.set),
        "against": args.against or "in-process",
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "commit": _commit(),
        "configs": results,
    }
    payload.update(results[0]["summary"])  # the first configuration's scores are also top-level keys
    if args.json_out:
        args.json_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    if args.report:
        from evals.report import render_report

        args.report.write_text(render_report(payload), encoding="utf-8")
        from evals.publish import publish_report  # and for the evaluator view, /evals

        name = publish_report(payload, settings.eval_reports, settings.eval_reports_kept)
        print(f"report published: /evals/{name} ({settings.eval_reports})")
    if args.update_baseline:
        if not args.baseline:
            raise InvalidRequest("--update-baseline needs --baseline FILE to write.")
        tolerance = DEFAULT_TOLERANCE if args.tolerance is None else args.tolerance
        args.baseline.write_text(
            json.dumps(baseline_payload(results, str(args.set), tolerance), indent=2) + "\n", encoding="utf-8"
        )
        print(f"baseline written: {args.baseline}")
        return 0
    if args.baseline:
        if not args.baseline.is_file():
            raise InvalidRequest(f"{args.baseline}: no such baseline. Create it with --update-baseline.")
        problems = compare_with_baseline(results, json.loads(args.baseline.read_text(encoding="utf-8")), args.tolerance)
        if problems:
            print("regression gate: FAILED", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print("regression gate: passed")
    return 0
