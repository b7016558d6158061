"""Server mode: PLANCHAT_CHROMA_URL points the index at a `chroma run`
server (started here on loopback) instead of embedded Chroma."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import make_settings
from planchat.processes import ServerDidNotStart, free_port, start_server

CHROMA = Path(sys.executable).parent / "chroma"


@pytest.fixture
def chroma_server(tmp_path):
    port = free_port()
    argv = [str(CHROMA), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1", "--port", str(port)]
    try:
        server = start_server(argv, port=port, ready_path="/api/v2/heartbeat", logs=tmp_path / "logs", limit_s=30)
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))
    try:
        yield server.base_url
    finally:
        server.stop()


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
