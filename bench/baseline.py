"""The naive baseline planchat is measured against, in the same run.

What a first RAG tutorial would build over the same corpus: LangChain's
``RecursiveCharacterTextSplitter(chunk_size=800, chunk_overlap=200)`` over
each manifest document's raw text (no cleaning, no headings, no titles),
planchat's own embedder (the default, e5-torch, through ``build_embedder``, with a new,
empty embedding cache, passages embedded as the bare chunk text; the
embedder adds e5's "passage: "/"query: " prefixes), an embedded Chroma
collection holding those vectors (never Chroma's own embedding function:
it downloads a model), and the question answered by the 5 nearest chunks.
There is no answer text, no abstention and no citation: the baseline's
output is its context.

Quality is scored on the first 5 retrieved texts of each side with one
function (``score_context``), so the two get the same rules; planchat is
also scored on what it shows a user (answer text, cited quotes). See
bench/README.md for what each number gives each side.

    .venv/bin/python bench/baseline.py [--set evals/sets/core.jsonl]   # the baseline alone

bench/run.py calls ``NaiveBaseline``, ``paired_latency`` and
``compare_quality`` to measure it next to planchat.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from harness import DEFAULT_SET, WARMUP_REQUESTS, BenchSettings, latency_summary, percentile

from planchat.config import DEFAULT_EMBEDDER, REPO_ROOT, Settings

LABEL = "naive baseline (LangChain 800/200 + same embedder + Chroma top-5)"
CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 800, 200, 5
LATENCY_ROUNDS = 3  # each question this many times per side: 336 samples on the core set
SEPARATOR = "\n\u2063\n"  # joins texts before fact matching; no fact spans it (as in evals.runner)


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    municipality: str
    text: str


def squash(text: str) -> str:
    return " ".join(text.split())


class NaiveBaseline:
    """Split, embed, store, search. Owns ``workdir`` (Chroma + embedding cache)."""

    def __init__(self, settings: Settings, workdir: Path):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        from ingest.embedders import build_embedder

        started = time.perf_counter()
        workdir.mkdir(parents=True, exist_ok=True)
        # Same embedder settings as planchat, but its own cache file: a fresh, empty one.
        self.embedder = build_embedder(settings.model_copy(update={"data_dir": workdir, "embedding_cache": None}))
        client = chromadb.PersistentClient(
            path=str(workdir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
        )
        self.collection = client.get_or_create_collection(
            name="naive-baseline", metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self.open_s = time.perf_counter() - started
        self.ids: list[str] = []
        self.vectors = np.zeros((0, self.embedder.dim), dtype=np.float32)

    def ingest(self, corpus_dir: Path) -> dict:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from ingest.manifest import read_manifest

        t0 = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
        ids, texts, metas, source_chars = [], [], [], 0
        for meta, path in read_manifest(corpus_dir):
            if path.suffix.lower() not in (".txt", ".md"):
                raise ValueError(f"{path}: the naive baseline reads plain text only (.txt, .md)")
            text = path.read_text(encoding="utf-8")
            source_chars += len(text)
            for n, chunk in enumerate(splitter.split_text(text)):
                ids.append(f"{meta.doc_id}#{n:04d}")
                texts.append(chunk)
                metas.append({"doc_id": meta.doc_id, "municipality": meta.municipality, "year": meta.year})
        t1 = time.perf_counter()
        misses_before = self.embedder.misses
        vectors = self.embedder.embed_passages(texts)
        t2 = time.perf_counter()
        for i in range(0, len(ids), 500):
            self.collection.add(
                ids=ids[i : i + 500],
                embeddings=vectors[i : i + 500],
                documents=texts[i : i + 500],
                metadatas=metas[i : i + 500],
            )
        t3 = time.perf_counter()
        self.ids, self.vectors = ids, vectors
        return {
            "documents": len({m["doc_id"] for m in metas}),
            "chunks": len(ids),
            "source_chars": source_chars,
            "chunk_chars": sum(len(t) for t in texts),  # > source_chars: the 200-character overlaps are embedded twice
            "embedded": self.embedder.misses - misses_before,
            "open_s": round(self.open_s, 2),
            "split_s": round(t1 - t0, 3),
            "embed_s": round(t2 - t1, 2),
            "chroma_write_s": round(t3 - t2, 3),
            "total_s": round(t3 - t0, 2),
            "chunks_per_s": round(len(ids) / (t3 - t0), 2),
        }

    def search(self, question: str, timings: dict | None = None) -> list[Hit]:
        t0 = time.perf_counter()
        vector = self.embedder.embed_query(question)
        t1 = time.perf_counter()
        result = self.collection.query(query_embeddings=[vector], n_results=TOP_K, include=["documents", "metadatas"])
        hits = [
            Hit(chunk_id, meta["municipality"], text)
            for chunk_id, meta, text in zip(result["ids"][0], result["metadatas"][0], result["documents"][0])
        ]
        if timings is not None:
            timings.setdefault("embed", []).append((t1 - t0) * 1000)
            timings.setdefault("chroma", []).append((time.perf_counter() - t1) * 1000)
        return hits

    def exact_top(self, question: str) -> list[str]:
        """The true 5 nearest chunks (brute force), to check Chroma's approximate (HNSW) search."""
        scores = self.vectors @ self.embedder.embed_query(question)
        return [self.ids[i] for i in np.argsort(-scores, kind="stable")[:TOP_K]]


# -- quality: one scoring function for both sides ---------------------------------
def score_context(q, texts: list[str], municipalities: list[str]) -> dict:
    """Judge the first TOP_K retrieved texts the way evals.runner judges passages,
    plus a whitespace-only gold match and "are the expected facts in there"."""
    from evals.runner import alnum, facts_found

    texts, municipalities = texts[:TOP_K], municipalities[:TOP_K]
    row = {"chars": sum(len(t) for t in texts)}
    if q.gold_quote:
        gold_ws, gold_an = squash(q.gold_quote), alnum(q.gold_quote)
        row["gold_rank_ws"] = next((r for r, t in enumerate(texts, 1) if gold_ws in squash(t)), None)
        row["gold_rank_alnum"] = next((r for r, t in enumerate(texts, 1) if gold_an in alnum(t)), None)
    if q.expected:
        row["facts"] = all(facts_found(SEPARATOR.join(texts), q.expected))
    if q.municipalities:
        row["muni"] = bool(set(q.municipalities) & set(municipalities))
    return row


def _share(rows: list[dict], key: str, test=bool) -> float | None:
    values = [test(r[key]) for r in rows if key in r]
    return round(sum(values) / len(values), 4) if values else None


def summarize_context(rows: list[dict]) -> dict:
    return {
        "r1_alnum": _share(rows, "gold_rank_alnum", lambda r: r == 1),
        "r5_alnum": _share(rows, "gold_rank_alnum"),
        "r5_ws": _share(rows, "gold_rank_ws"),
        "facts_in_top5": _share(rows, "facts"),
        "muni_at5": _share(rows, "muni"),
        "top5_chars_mean": round(sum(r["chars"] for r in rows) / len(rows)) if rows else None,
    }


def baseline_quality(baseline: NaiveBaseline, questions) -> dict:
    rows, exact = [], 0
    for q in questions:
        hits = baseline.search(q.question)
        rows.append(score_context(q, [h.text for h in hits], [h.municipality for h in hits]))
        exact += {h.chunk_id for h in hits} == set(baseline.exact_top(q.question))
    return {**summarize_context(rows), "chroma_equals_exact_top5": round(exact / len(questions), 4)}


def planchat_quality(questions, settings: Settings, index, mode: str = "hybrid") -> dict:
    """planchat's first 5 passages under score_context, and what it shows a user:
    facts in the answer text (evals.runner's fact accuracy) and in the cited quotes."""
    from evals.runner import facts_found
    from retrieval.service import AskService

    service = AskService(index, settings, mode=mode)
    rows, in_answer, in_quotes = [], [], []
    for q in questions:
        answer, passages = service.ask_with_passages(q.question)
        rows.append(score_context(q, [p.chunk.text for p in passages], [p.chunk.municipality for p in passages]))
        if q.expected:
            in_answer.append(all(facts_found(answer.answer, q.expected)))
            in_quotes.append(all(facts_found(SEPARATOR.join(c.quote for c in answer.citations), q.expected)))
    return {
        **summarize_context(rows),
        "facts_in_answer": round(sum(in_answer) / len(in_answer), 4) if in_answer else None,
        "facts_in_cited_quotes": round(sum(in_quotes) / len(in_quotes), 4) if in_quotes else None,
    }


def compare_quality(baseline: NaiveBaseline, questions, settings: Settings, index) -> dict:
    return {
        "answerable": sum(bool(q.expected) for q in questions),
        "with_gold": sum(bool(q.gold_quote) for q in questions),
        "with_municipality": sum(bool(q.municipalities) for q in questions),
        "expect_abstain": sum(q.expect_abstain for q in questions),
        "baseline": baseline_quality(baseline, questions),
        "planchat": planchat_quality(questions, settings, index),
    }


# -- latency: both sides interleaved, so background load hits them alike -----------
def paired_latency(app, baseline: NaiveBaseline, questions, rounds: int = LATENCY_ROUNDS) -> dict:
    """Warm-up, then ``rounds`` passes over the questions; per question the
    baseline search and planchat's in-process POST /v1/ask, alternating which
    goes first. Baseline: a function call (embed query + Chroma top-5).
    planchat: TestClient, as bench/run.py's in_process latency."""
    from fastapi.testclient import TestClient

    client = TestClient(app, raise_server_exceptions=False)
    load_start = os.getloadavg()
    for q in questions[:WARMUP_REQUESTS]:
        baseline.search(q.question)
        client.post("/v1/ask", json={"question": q.question})
    base_ms, plan_ms, service_ms, parts, errors = [], [], [], {}, 0

    def run_baseline(question):
        started = time.perf_counter()
        baseline.search(question, parts)
        base_ms.append((time.perf_counter() - started) * 1000)

    def run_planchat(question):
        nonlocal errors
        started = time.perf_counter()
        response = client.post("/v1/ask", json={"question": question})
        plan_ms.append((time.perf_counter() - started) * 1000)
        if response.status_code == 200:
            service_ms.append(response.json()["timings_ms"]["total"])
        else:
            errors += 1

    for r in range(rounds):
        for i, q in enumerate(questions):
            first, second = (run_baseline, run_planchat) if (i + r) % 2 == 0 else (run_planchat, run_baseline)
            first(q.question)
            second(q.question)
    base, plan = latency_summary(base_ms), latency_summary(plan_ms)
    return {
        "rounds": rounds,
        "baseline": {
            **base,
            "embed_query_p50_ms": round(percentile(parts["embed"], 50), 1),
            "chroma_query_p50_ms": round(percentile(parts["chroma"], 50), 1),
        },
        "planchat": {
            **plan,
            "service_p50_ms": round(percentile(service_ms, 50), 1),
            "service_p95_ms": round(percentile(service_ms, 95), 1),
            "errors": errors,
        },
        "ratio": {p: round(plan[f"{p}_ms"] / base[f"{p}_ms"], 2) for p in ("p50", "p95", "p99")},
        "ratio_service_p50": round(percentile(service_ms, 50) / base["p50_ms"], 2),
        "loadavg_start": [round(x, 2) for x in load_start],
        "loadavg_end": [round(x, 2) for x in os.getloadavg()],
    }


def baseline_latency(baseline: NaiveBaseline, questions, rounds: int = LATENCY_ROUNDS) -> dict:
    """The baseline alone (for running this file by itself)."""
    for q in questions[:WARMUP_REQUESTS]:
        baseline.search(q.question)
    ms, parts = [], {}
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            baseline.search(q.question, parts)
            ms.append((time.perf_counter() - started) * 1000)
    return {**latency_summary(ms), "embed_query_p50_ms": round(percentile(parts["embed"], 50), 1),
            "chroma_query_p50_ms": round(percentile(parts["chroma"], 50), 1)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The naive baseline alone (bench/run.py measures it next to planchat)."
    )
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="question set")
    args = parser.parse_args(argv)

    from evals.runner import load_set

    questions = load_set(args.set)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="planchat-baseline-") as tmp:
        settings = BenchSettings(
            data_dir=Path(tmp) / "unused", corpus_dir=REPO_ROOT / "corpus", embedder=DEFAULT_EMBEDDER
        )
        baseline = NaiveBaseline(settings, Path(tmp) / "baseline")
        ingest = baseline.ingest(settings.corpus_dir)
        out = {
            "label": LABEL,
            "ingest": ingest,
            "latency": baseline_latency(baseline, questions),
            "quality": baseline_quality(baseline, questions),
            "loadavg_start": [round(x, 2) for x in load_start],
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        }
        baseline.embedder.close()
    print(json.dumps(out, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
