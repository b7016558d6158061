"""Two checkouts of planchat, one run: warm ``POST /v1/ask`` latency of each,
requests interleaved so both see the same machine load.

    .venv/bin/python bench/ab_ask.py --a /path/to/old-checkout --b . [--rounds 3]

Each checkout ingests corpus/ into its own fresh data dir with its own code
(PYTHONPATH=<checkout>; embeddings shared through one cache file, so only
the first run embeds), then serves it with ``planchat serve --no-ingest`` on
a free 127.0.0.1 port. After warm-up, every question of the set is asked of
A then B (B then A on odd rounds), ``--rounds`` times. It prints p50/p95 per
checkout, the ratio B/A, and how many answers differ (text or citations),
which after a refactor should be 0. Numbers, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from harness import DEFAULT_SET, PLANCHAT, latency_summary
from processes import free_port, start_server

WARMUP = 5


def checkout_env(checkout: Path, data: Path, cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PYTHONPATH=str(checkout), PLANCHAT_DATA_DIR=str(data), PLANCHAT_EMBEDDING_CACHE=str(cache),
               PLANCHAT_CORPUS_DIR=str(checkout / "corpus"))  # fmt: skip
    return env


def serve(checkout: Path, workdir: Path, cache: Path):
    env = checkout_env(checkout, workdir / "data", cache)
    subprocess.run([str(PLANCHAT), "ingest"], env=env, cwd=checkout, check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    return start_server(
        [str(PLANCHAT), "serve", "--no-ingest", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        port=port, ready_path="/healthz", logs=workdir, env=env, cwd=checkout, limit_s=180,
    )  # fmt: skip


def answer_key(body: dict) -> tuple:
    return (body["answer"], body["abstained"], tuple((c["chunk_id"], c["quote"]) for c in body["citations"]))


def ask(client: httpx.Client, question: str) -> tuple[float, tuple]:
    started = time.perf_counter()
    response = client.post("/v1/ask", json={"question": question})
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, answer_key(response.json())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--a", type=Path, required=True, help="checkout A (e.g. the code before a change)")
    parser.add_argument("--b", type=Path, required=True, help="checkout B")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    questions = [
        json.loads(line)["question"] for line in args.set.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    with tempfile.TemporaryDirectory(prefix="planchat-ab-") as tmp:
        root, cache = Path(tmp), Path(tmp) / "embeddings.sqlite3"
        servers = {name: serve(path.resolve(), root / name, cache) for name, path in (("a", args.a), ("b", args.b))}
        try:
            clients = {name: httpx.Client(base_url=s.base_url, timeout=60) for name, s in servers.items()}
            for name in clients:
                for q in questions[:WARMUP]:
                    ask(clients[name], q)
            ms: dict[str, list[float]] = {"a": [], "b": []}
            differ = 0
            for r in range(args.rounds):
                order = ("a", "b") if r % 2 == 0 else ("b", "a")
                for q in questions:
                    keys = {}
                    for name in order:
                        elapsed, keys[name] = ask(clients[name], q)
                        ms[name].append(elapsed)
                    differ += keys["a"] != keys["b"]
        finally:
            for s in servers.values():
                s.stop()
    a, b = latency_summary(ms["a"]), latency_summary(ms["b"])
    print(f"A {args.a}: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms ({a['requests']} requests)")
    print(f"B {args.b}: p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms ({b['requests']} requests)")
    print(
        f"B/A p50 {b['p50_ms'] / a['p50_ms']:.2f}x, p95 {b['p95_ms'] / a['p95_ms']:.2f}x; answers that differ: {differ}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
