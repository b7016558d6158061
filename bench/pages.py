"""The planner pages (issue 15) at the seed corpus and at N synthetic plans: server time and page weight.

    .venv/bin/python bench/pages.py [--plans 1000] [--work /tmp/planchat-pages] [--reps 5] [--out bench/pages-results.json]

For each size (the 5 seed plans, and ``--plans`` synthetic plans written by
bench/synth.py) an index is built with the deterministic ``hash`` embedder
in ``WORK/<size>/data`` (kept and reused: 1,000 plans take ~3 minutes to
ingest), then ``api.app.create_app`` serves it in-process (TestClient, bm25
mode: with ``hash`` dense similarity means nothing) and each page is
requested once cold (``first_ms``: the index generation's derived state, e.g.
the topic suggestions, is built then) and ``--reps`` times warm: the server
time is the median wall time of the request (the whole page is rendered
before it is sent; TestClient, so no network), the
weight is the HTML plus every stylesheet and script the page loads, in KB
(1,024 bytes), uncompressed. Every response must be a 200 (or the size is
reported as failing). Prints a table and writes JSON, with the load average
before and after (the machine is shared: other work shows up in the times).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ (synth, harness)
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repo

import synth  # noqa: E402
from harness import BenchSettings, git_commit  # noqa: E402

from planchat.config import REPO_ROOT  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "pages-results.json"
TOPIC = "langtidsledighed"
_ASSET = re.compile(r'(?:href|src)="(/static/[a-z0-9_-]+\.(?:css|js))"')


def settings_for(data: Path, corpus: Path) -> BenchSettings:
    return BenchSettings(data_dir=data, corpus_dir=corpus, embedder="hash", embedding_cache=None, chroma_url="",
                         retrieval_mode="bm25", rate_limit_per_minute=0, conversations_per_hour=0)  # fmt: skip


def build(work: Path, plans: int | None) -> Path:
    """The data dir of one size, ingested once (an existing one is reused)."""
    from ingest.index import PlanIndex

    size = work / (f"synth-{plans}" if plans else "seed")
    corpus = size / "corpus" if plans else REPO_ROOT / "corpus"
    data = size / "data"
    if (size / "built").exists():
        return size
    if plans:
        synth.generate(corpus, plans)
    index = PlanIndex(settings_for(data, corpus))
    started = time.perf_counter()
    index.sync_corpus(corpus)
    index.close()
    (size / "built").write_text(f"{time.perf_counter() - started:.1f} s\n", encoding="utf-8")
    return size


def page_urls(app) -> dict[str, str]:
    """One URL per page: the filters a planner would use at this size."""
    from api.pages.layout import query_url, source_url

    snapshot = app.state.index.snapshot
    docs = sorted(snapshot.documents.values(), key=lambda m: (m.municipality, m.year, m.doc_id))
    muni = Counter(d.municipality for d in docs).most_common(1)[0][0]
    year = Counter(y for d in docs for y in d.covered_years).most_common(1)[0][0]
    goals = sorted(app.state.ministermaal.goals(snapshot))
    mm_year = max(goals, key=lambda y: sum(y in d.covered_years for d in docs))
    biggest = max(docs, key=lambda d: len(snapshot.document_chunks(d.doc_id)))
    cited = snapshot.document_chunks(biggest.doc_id)[len(snapshot.document_chunks(biggest.doc_id)) // 2]
    return {
        "compare (topic, all plans, page 1)": query_url("/compare", {"topic": TOPIC}),
        "compare (topic, one municipality)": query_url("/compare", {"topic": TOPIC, "municipality": muni}),
        "compare (topic, one year)": query_url("/compare", {"topic": TOPIC, "year": year}),
        "targets (all, page 1)": "/targets",
        "targets (q, sorted by value)": query_url("/targets", {"q": TOPIC, "sort": "-value"}),
        "ministermaal (busiest year, page 1)": query_url("/ministermaal", {"year": mm_year}),
        "source viewer (largest plan, span)": source_url(biggest.doc_id, cited.start, cited.end),
    }


def measure(size: Path, reps: int) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app

    corpus = size / "corpus" if (size / "corpus").exists() else REPO_ROOT / "corpus"
    app = create_app(settings_for(size / "data", corpus))
    client = TestClient(app, raise_server_exceptions=False)
    out: dict = {"plans": len(app.state.index.snapshot.documents), "pages": {}}
    assets: dict[str, int] = {}
    for name, url in page_urls(app).items():
        t = time.perf_counter()
        first = client.get(url)
        first_ms = (time.perf_counter() - t) * 1000
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
        for asset in _ASSET.findall(first.text):
            assets.setdefault(asset, len(client.get(asset).content))
        loaded = set(_ASSET.findall(first.text))
        out["pages"][name] = {
            "url": url,
            "status": response.status_code,
            "first_ms": round(first_ms, 1),  # cold: the index generation's derived state is built here
            "p50_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1),
            "html_kb": round(len(first.content) / 1024, 1),
            "total_kb": round((len(first.content) + sum(assets[a] for a in loaded)) / 1024, 1),
            "assets": sorted(loaded),
        }
    app.state.index.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000, help="synthetic plans besides the seed corpus (0: none)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/planchat-pages"), help="data dirs, kept and reused")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--build-only", action="store_true", help="build the indexes, measure nothing")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    sizes = [build(args.work, None)] + ([build(args.work, args.plans)] if args.plans else [])
    if args.build_only:
        return 0
    load_start = os.getloadavg()
    runs = [measure(size, args.reps) for size in sizes]
    for run in runs:
        print(f"\n{run['plans']} plans")
        print(f"{'page':38} {'status':>6} {'first ms':>9} {'p50 ms':>7} {'max ms':>7} {'HTML KB':>8} {'total KB':>9}")
        for name, p in run["pages"].items():
            print(f"{name:38} {p['status']:>6} {p['first_ms']:>9} {p['p50_ms']:>7} {p['max_ms']:>7} {p['html_kb']:>8} "
                  f"{p['total_kb']:>9}")  # fmt: skip
    meta = {
        "commit": git_commit(),
        "reps": args.reps,
        "embedder": "hash",
        "mode": "bm25",
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }
    result = {"meta": meta, "runs": runs}  # fmt: skip
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
