"""Legitimate clients under the rate limit while one client abuses it (issue 17).

    .venv/bin/python bench/abuse.py [--limit 30] [--abusers 16] [--out bench/abuse-results.json]

It ingests corpus/ once into a temporary directory (reusing --embedding-cache
when given), serves a copy with `PLANCHAT_RATE_LIMIT_PER_MINUTE=--limit`, then:

1. idle: three legitimate clients, each from its own loopback address
   (127.0.0.2-4), ask the eval set's questions one after another, within the
   limit (a pause between asks keeps each under --limit a minute);
2. attack: the same three ask the same way while --abusers tasks from
   127.0.0.9 send POST /v1/ask as fast as the server answers.

Reported per phase: the legitimate clients' latency percentiles and errors,
and in the attack phase the abuser's status counts (429s, 200s). The claim
to check: the legitimate p95 under attack stays within 2x idle, and the
abuser is refused with 429 + Retry-After. Numbers, not assertions: compare
them in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
from harness import DEFAULT_SET, PLANCHAT, percentile
from load import ingest_and_serve

REPO_ROOT = Path(__file__).resolve().parent.parent
LEGIT = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
ABUSER = "127.0.0.9"


def client_from(address: str, base_url: str) -> httpx.AsyncClient:
    """An HTTP client whose requests leave from ``address`` (the server limits per client address)."""
    return httpx.AsyncClient(base_url=base_url, timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address))


async def legit(address: str, base_url: str, questions: list[str], pause_s: float) -> list[tuple[int, float]]:
    out = []
    async with client_from(address, base_url) as client:
        for question in questions:
            t0 = time.perf_counter()
            response = await client.post("/v1/ask", json={"question": question})
            out.append((response.status_code, (time.perf_counter() - t0) * 1000))
            await asyncio.sleep(pause_s)
    return out


async def abuse(base_url: str, questions: list[str], tasks: int, stop: asyncio.Event) -> dict[int, int]:
    counts: dict[int, int] = {}
    async with client_from(ABUSER, base_url) as client:

        async def one(i: int) -> None:
            while not stop.is_set():
                response = await client.post("/v1/ask", json={"question": questions[i % len(questions)]})
                counts[response.status_code] = counts.get(response.status_code, 0) + 1
                i += tasks

        await asyncio.gather(*(one(i) for i in range(tasks)))
    return counts


async def phase(base_url: str, questions: list[str], pause_s: float, abusers: int) -> dict:
    stop = asyncio.Event()
    attack = asyncio.create_task(abuse(base_url, questions, abusers, stop)) if abusers else None
    if attack is not None:
        await asyncio.sleep(1.0)  # the abuser has spent its budget: what follows is the limit at work
    results = await asyncio.gather(*(legit(a, base_url, questions, pause_s) for a in LEGIT))
    stop.set()
    counts = await attack if attack is not None else {}
    ms = [m for rows in results for status, m in rows if status == 200]
    return {
        "legit_requests": sum(len(rows) for rows in results),
        "legit_errors": sum(1 for rows in results for status, _ in rows if status != 200),
        "legit_p50_ms": round(percentile(ms, 50), 1),
        "legit_p95_ms": round(percentile(ms, 95), 1),
        "legit_max_ms": round(max(ms), 1),
        "abuser_status_counts": {str(k): v for k, v in sorted(counts.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--limit", type=int, default=30, help="PLANCHAT_RATE_LIMIT_PER_MINUTE of the server (default 30)"
    )
    parser.add_argument("--abusers", type=int, default=16, help="concurrent abusive requests (default 16)")
    parser.add_argument("--questions", type=int, default=12, help="questions per legitimate client per phase")
    parser.add_argument("--embedding-cache", type=Path, help="reuse this embedding cache for the ingest")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "abuse-results.json")
    args = parser.parse_args(argv)
    if not PLANCHAT.exists():
        parser.error(f"{PLANCHAT} is missing: run `make setup` first")
    from evals.runner import load_set

    questions = [q.question for q in load_set(DEFAULT_SET)][: args.questions]
    pause_s = 60.0 / args.limit * 1.2  # each legitimate client stays under the limit
    with tempfile.TemporaryDirectory(prefix="planchat-abuse-") as tmp:
        server, facts = ingest_and_serve(Path(tmp), args.embedding_cache, rate_limit_per_minute=args.limit)
        try:
            idle = asyncio.run(phase(server.base_url, questions, pause_s, 0))
            attacked = asyncio.run(phase(server.base_url, questions, pause_s, args.abusers))
        finally:
            server.stop()
    ratio = attacked["legit_p95_ms"] / idle["legit_p95_ms"] if idle["legit_p95_ms"] else None
    result = {"limit_per_minute": args.limit, "abusers": args.abusers, "idle": idle, "attack": attacked,
              "p95_ratio_attack_over_idle": round(ratio, 2) if ratio else None, "server": facts}  # fmt: skip
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name in ("idle", "attack"):
        r = result[name]
        print(f"{name:7} legit n={r['legit_requests']} errors={r['legit_errors']} p50={r['legit_p50_ms']} ms "
              f"p95={r['legit_p95_ms']} ms max={r['legit_max_ms']} ms abuser={r['abuser_status_counts']}")  # fmt: skip
    print(f"legitimate p95 under attack / idle: {result['p95_ratio_attack_over_idle']}  (wrote {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
