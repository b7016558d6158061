"""The admin and evaluator pages' weight and server time (issue 15, items 5-7).

    .venv/bin/python bench/admin_pages.py [--plans 1000] [--work DIR] [--reps 30] [--out FILE]

For the seed corpus (5 plans) and for ``--plans`` synthetic plans (bench/synth.py, the data bench/scale.py
uses; hash embedder, because only the list's size matters here), an in-process app (TestClient) serves:

- ``/documents`` (page 1: the first 100 rows), ``/documents?q=`` (a search), ``/documents?page=`` (the last
  page), ``/feedback`` and ``/evals``: server time p50 / p95 over ``--reps`` warm requests;
- page weight: the HTML plus every stylesheet and script it links (``/static/...``), in KB.

The synthetic index is built once into ``--work`` (about 3 minutes for 1,000 plans on 2 cores) and reused.
Prints a table and writes JSON (default bench/admin-pages-results.json). Timings are one run on a shared
machine: os.getloadavg() is recorded with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/ (synth, harness)
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))  # the repo

import synth  # noqa: E402
from harness import percentile, timed_calls  # noqa: E402

from planchat.config import REPO_ROOT, Settings  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "bench" / "admin-pages-results.json"
WARMUP = 3


def index_for(corpus: Path, data: Path):
    from ingest.index import PlanIndex

    settings = Settings(data_dir=data, corpus_dir=corpus, embedder="hash", rate_limit_per_minute=0,
                        conversations_per_hour=0)  # fmt: skip
    index = PlanIndex(settings)
    started = time.perf_counter()
    index.sync_corpus(corpus)
    return settings, index, round(time.perf_counter() - started, 1)


def weight_kb(client, html: str) -> dict:
    linked = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    assets = {path: len(client.get(path).content) for path in linked}
    html_bytes = len(html.encode("utf-8"))
    return {"html_kb": round(html_bytes / 1024, 1), "assets_kb": round(sum(assets.values()) / 1024, 1),
            "total_kb": round((html_bytes + sum(assets.values())) / 1024, 1), "assets": sorted(assets)}  # fmt: skip


def measure(settings: Settings, index, reps: int) -> dict:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.pages.documents import PER_PAGE

    client = TestClient(create_app(settings, index=index))
    documents = len(index.documents)
    last = max(1, -(-documents // PER_PAGE))
    paths = {"documents": "/documents", "documents_search": "/documents?q=2024",
             "documents_last_page": f"/documents?page={last}", "feedback": "/feedback", "evals": "/evals"}  # fmt: skip
    out = {"documents": documents, "loadavg": [round(x, 2) for x in os.getloadavg()], "pages": {}}
    for name, path in paths.items():
        timed_calls(client, [("get", path, {})] * WARMUP)
        ms, errors = timed_calls(client, [("get", path, {})] * reps)
        html = client.get(path).text
        out["pages"][name] = {
            "path": path, "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "errors": errors, "rows": html.count("<tr data-doc-id="), **weight_kb(client, html),
        }  # fmt: skip
    return out


def render(results: dict) -> str:
    lines = [f"{'corpus':>8} {'page':22} {'rows':>5} {'p50 ms':>8} {'p95 ms':>8} {'HTML KB':>8} {'JS+CSS KB':>10} "
             f"{'total KB':>9}"]  # fmt: skip
    for label, run in results["runs"].items():
        for name, p in run["pages"].items():
            lines.append(f"{label:>8} {name:22} {p['rows']:>5} {p['p50_ms']:>8} {p['p95_ms']:>8} {p['html_kb']:>8} "
                         f"{p['assets_kb']:>10} {p['total_kb']:>9}")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plans", type=int, default=1000, help="synthetic plans (0: the seed corpus only)")
    parser.add_argument(
        "--work", type=Path, help="where the synthetic corpus and index live (reused); default: a temp dir"
    )
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    results = {"runs": {}, "reps": args.reps}
    with tempfile.TemporaryDirectory(prefix="planchat-admin-bench-") as tmp:
        settings, index, _ = index_for(REPO_ROOT / "corpus", Path(tmp) / "seed")
        results["runs"]["seed"] = measure(settings, index, args.reps)
        index.close()
        if args.plans:
            work = args.work or Path(tmp) / "synth"
            corpus = work / f"corpus-{args.plans}"
            if not (corpus / "manifest.json").is_file():
                synth.generate(corpus, args.plans)
            settings, index, seconds = index_for(corpus, work / f"data-{args.plans}")
            run = measure(settings, index, args.reps)
            results["runs"][str(args.plans)] = {**run, "sync_s": seconds}
            index.close()
    print(render(results))
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
