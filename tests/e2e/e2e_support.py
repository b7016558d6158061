"""What the end-to-end tests share: a real ``planchat serve`` on a free
loopback port (over the hash index built from corpus/, or over a private
copy of the session's real-model index), Debian's headless Chromium, and a
static web site on a loopback address of its own (another origin).

A plain module, imported by name (tests/e2e is on sys.path), so a test
module pulls in the ``browser`` fixture with ``from e2e_support import browser``.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from processes import ServerDidNotStart, ServerProcess, free_port, start_server

from planchat.config import REPO_ROOT

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def serve_planchat(work: Path, *args: str, data: Path | None = None, **variables: str) -> ServerProcess:
    """``planchat serve [args]`` with its data in ``data`` (default work/data), corpus/ as its corpus and
    ``variables`` (PLANCHAT_*) on top of an environment without the caller's PLANCHAT_ settings."""
    if not PLANCHAT.exists():
        pytest.fail(f"{PLANCHAT} is missing: run `make setup` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data or work / "data"), PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"),
               PYTHONUNBUFFERED="1", **variables)  # fmt: skip
    argv = [str(PLANCHAT), "serve", *args, "--host", "127.0.0.1", "--port", str(port)]
    try:
        server = start_server(argv, port=port, ready_path="/healthz", logs=work / "logs", env=env, cwd=work, limit_s=90)
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))
    server.env, server.data = env, data or work / "data"  # for a CLI run against the same data
    return server


def serve_hash(work: Path, **variables: str) -> ServerProcess:
    """A server that ingests corpus/ itself with the hash embedder and answers by BM25: quick, no model."""
    return serve_planchat(work, PLANCHAT_EMBEDDER="hash", PLANCHAT_RETRIEVAL_MODE="bm25", **variables)


def serve_real_copy(real_settings, work: Path, *args: str, **variables: str) -> ServerProcess:
    """A server over a private copy of the session's real-model index (and its embedding cache)."""
    data = work / "data"
    shutil.copytree(real_settings.data_dir, data)
    shutil.copy(real_settings.embedding_cache_path, data / "embedding-cache.sqlite3")
    return serve_planchat(work, *args, data=data, **{"PLANCHAT_EMBEDDER": "e5-torch", **variables})


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y --no-install-recommends chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: run `make setup` (it is in the dev dependencies)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class StaticSite:
    """A tiny web site (``http.server`` in a thread) on a loopback address of its own: another origin."""

    def __init__(self, host: str, root: Path):
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.root = root
        self.httpd = ThreadingHTTPServer((host, 0), handler)
        self.origin = f"http://{host}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
