"""A bounded load test: N requests at concurrency C against `planchat serve`.

    .venv/bin/python bench/load.py --requests 2000 --concurrency 32 [--out bench/load-results.json]
    .venv/bin/python bench/load.py --urls http://127.0.0.1:8000 [--pids 1234]   # servers already running

Without --urls it ingests corpus/ once into a temporary directory (`planchat
ingest`, the real default embedder (--embedder); an empty embedding cache unless
--embedding-cache names one to reuse), copies that data dir, starts
`planchat serve --no-ingest` on the copy on a free 127.0.0.1 port, and stops
it by its PID at the end. The requests are a fixed, seeded schedule: mostly
POST /v1/ask over the eval set's questions, some POST /v1/ask/stream (read to
its `done` event) and POST /v1/chat/completions. C client tasks share one
httpx.AsyncClient per server and take the next request as they finish one.

Reported: errors (non-200, transport errors, a stream without `done` or with
an `error` event; must be 0, the exit code is 1 otherwise), throughput
(successful requests / wall seconds from the first send to the last response),
client-side latency percentiles per kind and overall, a latency histogram,
the server's CPU seconds and peak RSS (VmHWM from /proc/<pid>/status), and
the load average. The load generator runs on the same machine and its own
CPU time is reported too: on 2 cores it takes CPU from the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from harness import DEFAULT_SET, PLANCHAT, BenchSettings, percentile, proc_status_mb, serve_copy, settings_env

from planchat.config import DEFAULT_EMBEDDER, REPO_ROOT

DEFAULT_OUT = REPO_ROOT / "bench" / "load-results.json"
KINDS = ("ask", "stream", "chat")
DEFAULT_MIX = "ask=8,stream=1,chat=1"
WARMUP = 12  # requests before the clock starts (each kind at least once), not counted
BUCKETS_MS = (25, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
INGEST_LIMIT_S = 900  # bounds on waiting, not measurements
REQUEST_TIMEOUT_S = 120


# -- the schedule and one request of each kind --------------------------------------
def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in KINDS or not weight:
            raise argparse.ArgumentTypeError(f"--mix: {part!r} is not KIND=WEIGHT with KIND one of {', '.join(KINDS)}")
        mix[name.strip()] = float(weight)
    return mix


def schedule(questions: list[str], n: int, mix: dict[str, float], seed: int) -> list[tuple[str, str]]:
    """n (kind, question) pairs, the same for the same arguments: kinds drawn by
    weight, questions cycled through a seeded shuffle of the set."""
    rng = random.Random(seed)
    kinds = rng.choices(list(mix), weights=list(mix.values()), k=n)
    order: list[str] = []
    while len(order) < n:
        batch = list(questions)
        rng.shuffle(batch)
        order += batch
    return list(zip(kinds, order[:n]))


async def send(client: httpx.AsyncClient, kind: str, question: str) -> str:
    """'' when the request succeeded, else what went wrong."""
    if kind == "ask":
        response = await client.post("/v1/ask", json={"question": question})
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return "" if "answer" in response.json() else "no answer field"
    if kind == "chat":
        response = await client.post(
            "/v1/chat/completions", json={"model": "planchat", "messages": [{"role": "user", "content": question}]}
        )
        if response.status_code != 200:
            return f"HTTP {response.status_code}"
        return "" if response.json()["choices"][0]["message"]["content"] else "empty completion"
    async with client.stream("POST", "/v1/ask/stream", json={"question": question}) as response:
        if response.status_code != 200:
            await response.aread()
            return f"HTTP {response.status_code}"
        events = [line async for line in response.aiter_lines() if line.startswith("event: ")]
    if "event: error" in events:
        return "stream error event"
    return "" if events and events[-1] == "event: done" else "stream ended without done"


async def fire(
    urls: list[str], plan: list[tuple[str, str]], concurrency: int, limit_s: float
) -> tuple[list[dict], float]:
    """Run ``plan`` with ``concurrency`` tasks; request i goes to urls[i % len(urls)].
    Returns one record per request (unsent ones when limit_s ran out) and the wall seconds."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    clients = [httpx.AsyncClient(base_url=u, timeout=REQUEST_TIMEOUT_S, limits=limits) for u in urls]
    records: list[dict] = []
    todo = iter(range(len(plan)))

    async def worker():
        for i in todo:  # one shared iterator: each task takes the next request when it is free
            kind, question = plan[i]
            started = time.perf_counter()
            try:
                error = await send(clients[i % len(clients)], kind, question)
            except (httpx.HTTPError, json.JSONDecodeError, KeyError, IndexError) as exc:
                error = f"{type(exc).__name__}"
            records.append({"i": i, "kind": kind, "ms": (time.perf_counter() - started) * 1000, "error": error})

    began = time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), timeout=limit_s)
    except TimeoutError:
        pass
    wall = time.perf_counter() - began
    done = {r["i"] for r in records}
    records += [
        {"i": i, "kind": plan[i][0], "ms": None, "error": "not finished (time limit)"}
        for i in range(len(plan))
        if i not in done
    ]
    for client in clients:
        await client.aclose()
    return records, wall


# -- numbers --------------------------------------------------------------------------
def distribution(ms: list[float]) -> dict:
    if not ms:
        return {"requests": 0}
    return {
        "requests": len(ms),
        "mean_ms": round(sum(ms) / len(ms), 1),
        **{f"p{p}_ms": round(percentile(ms, p), 1) for p in (50, 90, 95, 99)},
        "max_ms": round(max(ms), 1),
    }


def histogram(ms: list[float]) -> dict[str, int]:
    out, lower = {}, 0
    for upper in BUCKETS_MS:
        out[f"{lower}-{upper} ms"] = sum(lower <= m < upper for m in ms)
        lower = upper
    out[f">= {lower} ms"] = sum(m >= lower for m in ms)
    return out


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def summarize(records: list[dict], wall: float) -> dict:
    errors = [r for r in records if r["error"]]
    finished = [r["ms"] for r in records if r["ms"] is not None]
    by_error: dict[str, int] = {}
    for r in errors:
        by_error[r["error"]] = by_error.get(r["error"], 0) + 1
    return {
        "requests": len(records),
        "errors": len(errors),
        "errors_by_kind": by_error,
        "wall_s": round(wall, 2),
        "throughput_rps": round((len(records) - len(errors)) / wall, 2) if wall else None,  # successful requests
        "latency": distribution(finished),
        "by_kind": {
            k: distribution([r["ms"] for r in records if r["kind"] == k and r["ms"] is not None]) for k in KINDS
        },
        "histogram": histogram(finished),
    }


# -- the server ----------------------------------------------------------------------
def ingest_and_serve(
    workdir: Path, cache: Path | None, embedder: str = DEFAULT_EMBEDDER, rate_limit_per_minute: int = 0
):
    """`planchat ingest` into workdir/ingest, copy it, serve the copy. Returns (server, facts). The
    per-client rate limit is off unless given (bench/abuse.py measures it)."""
    settings = BenchSettings(
        data_dir=workdir / "ingest", corpus_dir=REPO_ROOT / "corpus", embedder=embedder,
        embedding_cache=cache, chroma_url="", retrieval_mode="hybrid",
        rate_limit_per_minute=rate_limit_per_minute, conversations_per_hour=0,  # one load client: limits would refuse it
    )  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run([str(PLANCHAT), "ingest"], env=settings_env(settings), cwd=workdir,
                          capture_output=True, text=True, timeout=INGEST_LIMIT_S)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"planchat ingest failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    ingest_s = time.perf_counter() - started
    server, ready_s = serve_copy(settings, workdir, embedding_cache=None)
    return server, {
        "ingest_s": round(ingest_s, 1),
        "ingest_output": done.stdout.strip().splitlines()[-8:],
        "embedding_cache": str(cache) if cache else "new, empty (in the temporary data dir)",
        "spawn_to_ready_s": round(ready_s, 2),
        "server_rss_ready_mb": proc_status_mb(server.pid, "VmRSS"),
    }


def run_load(args, urls: list[str], pids: list[int], questions: list[str]) -> dict:
    plan = schedule(questions, args.requests, args.mix, args.seed)
    warm = [(k, questions[i % len(questions)]) for i, k in enumerate(KINDS * (WARMUP // len(KINDS)))]
    warm_records, _ = asyncio.run(fire(urls, warm, min(args.concurrency, 4), args.limit_s))
    cpu_before = {pid: cpu_seconds(pid) for pid in pids}
    own_before = own_cpu_seconds()
    load_start = os.getloadavg()
    records, wall = asyncio.run(fire(urls, plan, args.concurrency, args.limit_s))
    load_end = os.getloadavg()
    servers = []
    for pid in pids:
        before, after = cpu_before[pid], cpu_seconds(pid)
        used = after - before if before is not None and after is not None else None
        servers.append({
            "pid": pid,
            "cpu_s": round(used, 1) if used is not None else None,
            "cpu_ms_per_request": round(used * 1000 / len(plan), 1) if used is not None else None,
            "peak_rss_mb": proc_status_mb(pid, "VmHWM"),
            "rss_end_mb": proc_status_mb(pid, "VmRSS"),
        })  # fmt: skip
    return {
        **summarize(records, wall),
        "warmup_errors": sum(bool(r["error"]) for r in warm_records),
        "servers": servers,
        "client_cpu_s": round(own_cpu_seconds() - own_before, 1),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in load_end],
    }


def render(r: dict) -> str:
    a = r["args"]
    lines = [
        f"planchat load test  {r['when']}  {a['requests']} requests at concurrency {a['concurrency']}, "
        f"mix {a['mix']}, seed {a['seed']}, {r['cpus']} CPUs",
        f"  servers {', '.join(r['urls'])}",
    ]
    if "setup" in r:
        s = r["setup"]
        lines.append(f"  ingest {s['ingest_s']} s (embedding cache: {s['embedding_cache']}); "
                     f"serve spawn->ready {s['spawn_to_ready_s']} s, RSS ready {s['server_rss_ready_mb']} MB")  # fmt: skip
    lines += [
        f"  errors {r['errors']} of {r['requests']} {r['errors_by_kind'] or ''} (warm-up errors {r['warmup_errors']})",
        f"  throughput {r['throughput_rps']} req/s over {r['wall_s']} s",
        "",
        f"  {'latency':10} {'n':>5} {'mean':>8} {'p50':>8} {'p90':>8} {'p95':>8} {'p99':>8} {'max':>8}   (ms, client side)",
    ]
    for name, x in [("all", r["latency"]), *r["by_kind"].items()]:
        if x["requests"]:
            lines.append(f"  {name:10} {x['requests']:>5} " + " ".join(
                f"{x[k]:>8.1f}" for k in ("mean_ms", "p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms")))  # fmt: skip
    lines += ["", "  histogram  " + "  ".join(f"{k}: {v}" for k, v in r["histogram"].items() if v)]
    for s in r["servers"]:
        lines.append(f"  server pid {s['pid']}: peak RSS (VmHWM) {s['peak_rss_mb']} MB, RSS at end {s['rss_end_mb']} MB, "
                     f"CPU {s['cpu_s']} s ({s['cpu_ms_per_request']} ms per request)")  # fmt: skip
    if not r["servers"]:
        lines.append("  server RSS/CPU: n/a (pass --pids with --urls)")
    lines.append(f"  load generator CPU {r['client_cpu_s']} s; 1/5/15-min load average {r['loadavg_start']} at start, "
                 f"{r['loadavg_end']} at end")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests in the timed run (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument(
        "--mix", type=parse_mix, default=parse_mix(DEFAULT_MIX), help=f"kind weights (default {DEFAULT_MIX})"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the request schedule")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="the questions to ask")
    parser.add_argument(
        "--embedder", default=DEFAULT_EMBEDDER, help=f"the server's embedder (default {DEFAULT_EMBEDDER})"
    )
    parser.add_argument(
        "--embedding-cache", type=Path, help="reuse this embedding cache for the ingest (default: a new one)"
    )
    parser.add_argument("--urls", help="comma-separated base URLs of running servers; no ingest, no server started")
    parser.add_argument("--pids", help="with --urls: comma-separated server PIDs to read CPU and peak RSS of")
    parser.add_argument("--limit-s", type=float, default=900, help="stop sending after this many seconds (default 900)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT.relative_to(REPO_ROOT)})"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    if args.pids and not args.urls:
        parser.error("--pids goes with --urls (without --urls the started server is measured)")
    if not args.urls and not PLANCHAT.exists():
        parser.error(f"{PLANCHAT} is missing: run `make setup` first")

    from evals.runner import load_set

    questions = [q.question for q in load_set(args.set)]
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "args": {
            "requests": args.requests,
            "concurrency": args.concurrency,
            "seed": args.seed,
            "mix": ",".join(f"{k}={v:g}" for k, v in args.mix.items()),
            "set": str(args.set),
        },  # fmt: skip
    }
    if args.urls:
        urls = [u.strip().rstrip("/") for u in args.urls.split(",") if u.strip()]
        pids = [int(p) for p in args.pids.split(",")] if args.pids else []
        result |= {"urls": urls, **run_load(args, urls, pids, questions)}
    else:
        with tempfile.TemporaryDirectory(prefix="planchat-load-") as tmp:
            print("ingesting corpus/ and starting planchat serve --no-ingest ...", file=sys.stderr, flush=True)
            server, setup = ingest_and_serve(Path(tmp), args.embedding_cache, args.embedder)
            try:
                print(
                    f"firing {args.requests} requests at concurrency {args.concurrency} ...",
                    file=sys.stderr,
                    flush=True,
                )
                result |= {
                    "urls": [server.base_url],
                    "setup": setup,
                    **run_load(args, [server.base_url], [server.pid], questions),
                }
            finally:
                server.stop()
    print(render(result))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 1 if result["errors"] or result["warmup_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
