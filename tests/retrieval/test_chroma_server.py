"""Server mode: PLANCHAT_CHROMA_URL points the index at a `chroma run`
server (started here on loopback) instead of embedded Chroma."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import make_settings

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
                pytest.fail(f"chroma server did not start:\n{out[-2000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_index_and_answers_through_a_chroma_server(chroma_server, tmp_path):
    from ingest.index import PlanIndex
    from retrieval.service import AskService

    settings = make_settings(tmp_path / "data", chroma_url=chroma_server)
    index = PlanIndex(settings)
    reports = index.sync_corpus(settings.corpus_dir)
    assert [r.status for r in reports] == ["added"] * 5
    assert index.vectors.count() == len(index.docstore.chunk_ids())
    # Nothing went to an embedded Chroma on local disk.
    assert not settings.chroma_dir.exists()

    answer = AskService(index, settings, mode="dense").ask("langtidsledige 228 personer december 2014 Jammerbugt")
    assert answer.citations[0].municipality == "Jammerbugt"

    # A second process-like index over the same server sees the same vectors.
    again = PlanIndex(settings)
    assert again.check_consistency(repair=False) == {
        "chunks": len(index.docstore.chunk_ids()), "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True,
    }


def test_bad_chroma_url_is_a_clear_configuration_error(tmp_path):
    from ingest.index import PlanIndex
    from planchat.errors import ConfigurationError

    settings = make_settings(tmp_path / "data", chroma_url="localhost:8000")
    with pytest.raises(ConfigurationError, match=r"PLANCHAT_CHROMA_URL='localhost:8000' is not an http\(s\)://host:port URL"):
        PlanIndex(settings)
