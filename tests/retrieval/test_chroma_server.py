"""Server mode: PLANCHAT_CHROMA_URL points the index at a `chroma run`
server (started here on loopback) instead of embedded Chroma."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import make_settings
from processes import ServerDidNotStart, free_port, start_server

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
        "chunks": len(index.docstore.chunk_ids()),
        "extra_vectors": 0,
        "missing_vectors": 0,
        "bm25_ok": True,
    }


def test_bad_chroma_url_is_a_clear_configuration_error(tmp_path):
    from ingest.index import PlanIndex
    from planchat.errors import ConfigurationError

    settings = make_settings(tmp_path / "data", chroma_url="localhost:8000")
    with pytest.raises(
        ConfigurationError, match=r"PLANCHAT_CHROMA_URL='localhost:8000' is not an http\(s\)://host:port URL"
    ):
        PlanIndex(settings)


# -- both modes, and several workers over one server ------------------------------

PLAN = ("# Plan 2024\n\n## Mål\n\n"
        "Antallet af langtidsledige i Aarhus skal begrænses til 111 personer i december 2024.\n")  # fmt: skip
QUESTION = "Hvor mange langtidsledige må der højst være i Aarhus i 2024?"


@pytest.mark.parametrize("mode", ["embedded", "server"])
def test_the_document_lifecycle_in_both_chroma_modes(mode, request, tmp_path):
    """Add, replace, delete: Chroma, BM25 and the store agree in both modes."""
    from ingest.index import PlanIndex
    from ingest.uploads import delete_uploaded, upload_meta
    from retrieval.service import AskService

    url = request.getfixturevalue("chroma_server") if mode == "server" else ""
    settings = make_settings(tmp_path / "data", chroma_url=url, retrieval_mode="bm25")
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    service = AskService(index, settings)
    name, meta = upload_meta(index, "plan.txt", "Aarhus", 2024)
    assert index.ingest_bytes(PLAN.encode(), name, meta).status == "added"
    assert "111 personer" in service.ask(QUESTION).answer
    assert index.ingest_bytes(PLAN.replace("111", "112").encode(), name, meta).status == "updated"
    assert "112 personer" in service.ask(QUESTION).answer
    assert delete_uploaded(index, "aarhus-2024").status == "removed"
    assert service.ask(QUESTION).abstained
    assert index.vectors.ids() == index.docstore.chunk_ids() == set(index.bm25.chunk_ids)
    assert settings.chroma_dir.exists() == (mode == "embedded")


def serve(tmp_path: Path, name: str, data: Path, chroma_url: str, workers: int = 1):
    import os

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data), PLANCHAT_EMBEDDER="hash", PLANCHAT_CHROMA_URL=chroma_url,
               PLANCHAT_RETRIEVAL_MODE="bm25", PLANCHAT_ALLOW_ANONYMOUS_WRITES="true",
               PLANCHAT_CORPUS_DIR=str(Path(__file__).resolve().parents[2] / "corpus"))  # fmt: skip
    planchat = Path(sys.executable).parent / "planchat"
    argv = [str(planchat), "serve", "--no-ingest", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
            "--workers", str(workers)]  # fmt: skip
    return start_server(argv, port=port, ready_path="/healthz", logs=tmp_path / name, env=env, cwd=tmp_path,
                        limit_s=60)  # fmt: skip


def test_two_api_processes_share_one_chroma_server_and_one_bm25_state(chroma_server, tmp_path):
    """A write through one worker is seen by the other before its next
    answer (the document store's write token), in both directions."""
    import httpx

    from ingest.index import PlanIndex

    data = tmp_path / "data"
    settings = make_settings(data, chroma_url=chroma_server)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    index.docstore.close()
    a, b = serve(tmp_path, "a", data, chroma_server), serve(tmp_path, "b", data, chroma_server)
    try:
        with httpx.Client(base_url=a.base_url, timeout=60) as ha, httpx.Client(base_url=b.base_url, timeout=60) as hb:
            before = hb.get("/healthz").json()["chunks"]
            up = ha.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                         data={"municipality": "Aarhus", "year": "2024"})  # fmt: skip
            assert up.status_code == 201, up.text
            seen = hb.post("/v1/ask", json={"question": QUESTION}).json()
            assert "111 personer" in seen["answer"] and seen["citations"][0]["doc_id"] == "aarhus-2024"
            assert hb.get("/healthz").json()["chunks"] == ha.get("/healthz").json()["chunks"] == before + 1
            assert hb.delete("/v1/documents/aarhus-2024").status_code == 200
            gone = ha.post("/v1/ask", json={"question": QUESTION}).json()
            assert gone["abstained"] and gone["citations"] == []
            assert ha.get("/healthz").json()["chunks"] == before
    finally:
        a.stop()
        b.stop()


def test_serve_with_two_uvicorn_workers(chroma_server, tmp_path):
    """`planchat serve --workers 2`: every request, whichever worker takes it,
    sees the upload made through the other; /metrics, whichever worker
    answers it, counts every worker's requests (prometheus-client's
    multiprocess mode). Each request on a new connection, so both workers
    take some."""
    import httpx

    from ingest.index import PlanIndex

    data = tmp_path / "data"
    settings = make_settings(data, chroma_url=chroma_server)
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    index.docstore.close()
    server = serve(tmp_path, "workers", data, chroma_server, workers=2)
    try:
        with httpx.Client(base_url=server.base_url, timeout=60) as http:
            up = http.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                           data={"municipality": "Aarhus", "year": "2024"})  # fmt: skip
            assert up.status_code == 201, up.text
        ask = f"{server.base_url}/v1/ask"
        answers = [httpx.post(ask, json={"question": QUESTION}, timeout=60).json()["answer"] for _ in range(20)]
        assert all("111 personer" in a for a in answers)
        for _ in range(6):
            scrape = httpx.get(f"{server.base_url}/metrics", timeout=60).text
            assert (
                'planchat_http_request_duration_seconds_count{method="POST",route="/v1/ask",status="200"} 20.0'
                in scrape
            )
            assert 'planchat_answers_total{abstained="false",generator="extractive",kind="number"} 20.0' in scrape
    finally:
        server.stop()


def test_several_workers_need_a_chroma_server(tmp_path):
    import subprocess

    planchat = Path(sys.executable).parent / "planchat"
    env = {"PATH": "/usr/bin:/bin", "PLANCHAT_DATA_DIR": str(tmp_path), "PLANCHAT_EMBEDDER": "hash"}
    result = subprocess.run([str(planchat), "serve", "--workers", "2"], env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --workers: several workers need a Chroma server (embedded Chroma is one process only). "
        "Start `chroma run --path DIR --port 8001` and set PLANCHAT_CHROMA_URL=http://127.0.0.1:8001.\n"
    )
