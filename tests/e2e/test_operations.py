"""End to end, issue 17 finding 6 (operations): a real ``planchat serve``
with ``PLANCHAT_LOG_FORMAT=json`` at DEBUG, over a private copy of the
real-model index, read from its own output; /metrics over HTTP; uvicorn's
own limits (keep-alive, concurrency) on a small hash-embedder server.

Servers are stopped by PID in the fixtures' teardown; every wait is a
bounded poll, never an assertion about speed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from pathlib import Path

import httpx
import pytest
from expected import JAMMERBUGT_Q
from processes import ServerDidNotStart, free_port, start_server
from prometheus_client.parser import text_string_to_metric_families

from planchat.config import REPO_ROOT

pytestmark = pytest.mark.e2e

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
CPR = "010190-1234"
QUESTION = f"Borger {CPR} er langtidsledig. {JAMMERBUGT_Q}"
GENERATED = re.compile(r"[0-9a-f]{32}")


def serve(work: Path, data: Path, *extra: str, **env_extra: str):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data), PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"), PYTHONUNBUFFERED="1",
               **env_extra)  # fmt: skip
    argv = [str(PLANCHAT), "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
    try:
        return start_server(argv, port=port, ready_path="/healthz", logs=work / "logs", env=env, cwd=work, limit_s=90)
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def json_server(real_index, real_settings, tmp_path_factory):
    work = tmp_path_factory.mktemp("json-logs")
    data = work / "data"
    shutil.copytree(real_settings.data_dir, data)
    shutil.copy(real_settings.embedding_cache_path, data / "embedding-cache.sqlite3")
    server = serve(work, data, "--log-level", "debug", PLANCHAT_EMBEDDER="e5-torch", PLANCHAT_LOG_FORMAT="json")
    try:
        yield server
    finally:
        server.stop()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def wait_for_access_line(server, request_id: str) -> list[dict]:
    """Every JSON line so far, once the access line of ``request_id`` is among them (bounded poll)."""
    deadline = time.monotonic() + 30
    while True:
        lines = json_lines(server.stdout()) + json_lines(server.stderr())
        if any(r.get("request_id") == request_id and r["logger"] == "uvicorn.access" for r in lines):
            return lines
        assert time.monotonic() < deadline, f"no access line for {request_id}"
        time.sleep(0.05)


def test_json_logs_name_each_request_and_hold_no_personal_data_or_free_text(json_server):
    with httpx.Client(base_url=json_server.base_url, timeout=120) as http:
        asked = http.post("/v1/ask", json={"question": QUESTION}, headers={"X-Request-ID": "e2e-ask-1"})
        assert (asked.status_code, asked.headers["X-Request-ID"]) == (200, "e2e-ask-1")
        cid, token = asked.json()["conversation_id"], asked.json()["conversation_token"]
        conversation = http.get(f"/v1/conversations/{cid}", headers={"X-Conversation-Token": token,
                                                                     "X-Request-ID": "e2e-conv-1"})  # fmt: skip
        assert conversation.status_code == 200
        targets = http.get("/v1/targets", params={"q": f"Borger {CPR}", "municipality": "Vejle"},
                           headers={"X-Request-ID": "e2e-targets-1"})  # fmt: skip
        assert targets.status_code == 200
        stream = http.post("/v1/ask/stream", json={"question": JAMMERBUGT_Q}, headers={"X-Request-ID": "x" * 100})
        generated = stream.headers["X-Request-ID"]
        assert stream.status_code == 200 and GENERATED.fullmatch(generated)

    lines = wait_for_access_line(json_server, generated)
    access = {r["request_id"]: (r["method"], r["path"], r["status"]) for r in lines if r["logger"] == "uvicorn.access"}
    assert access["e2e-ask-1"] == ("POST", "/v1/ask", 200)
    assert access["e2e-conv-1"] == ("GET", "/v1/conversations/***", 200)
    assert access["e2e-targets-1"] == ("GET", "/v1/targets?q=***&municipality=***", 200)
    assert access[generated] == ("POST", "/v1/ask/stream", 200)
    questions = [(r["level"], r["message"], r.get("request_id")) for r in lines if r["logger"] == "retrieval.chat"]
    assert questions[:2] == [("DEBUG", f"question (redacted): Borger [CPR] er langtidsledig. {JAMMERBUGT_Q}", "e2e-ask-1"),
                             ("DEBUG", f"question (redacted): {JAMMERBUGT_Q}", generated)]  # fmt: skip
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any(r["logger"] == "uvicorn.error" and r["message"].startswith("Uvicorn running on") for r in lines)
    everything = json_server.stdout() + json_server.stderr()
    for secret in (CPR, "0101901234", cid, token, "Borger%20", "Borger+"):
        assert secret not in everything
    assert all(line.startswith("{") for line in json_server.stderr().splitlines() if line)


def metric_samples(http: httpx.Client) -> dict[tuple[str, tuple], float]:
    response = http.get("/metrics")
    assert response.status_code == 200
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}  # fmt: skip


def test_metrics_over_http_count_a_request_and_its_answer(json_server, real_index):
    ask = (
        "planchat_http_request_duration_seconds_count",
        (("method", "POST"), ("route", "/v1/ask"), ("status", "200")),
    )
    answered = ("planchat_answers_total", (("abstained", "false"), ("generator", "extractive"), ("kind", "number")))
    with httpx.Client(base_url=json_server.base_url, timeout=120) as http:
        before = metric_samples(http)
        body = http.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()
        assert (body["abstained"], body["generator"], body["kind"]) == (False, "extractive", "number")
        after = metric_samples(http)
    assert after[ask] == before.get(ask, 0) + 1
    assert after[answered] == before.get(answered, 0) + 1
    assert after[("planchat_index_documents", ())] == 5
    assert after[("planchat_index_chunks", ())] == len(real_index.docstore.chunk_ids())


# -- uvicorn's own limits -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory):
    """An empty index and the hash embedder: quick to start; at most 2 connections, 1 s keep-alive, text logs."""
    work = tmp_path_factory.mktemp("uvicorn-limits")
    server = serve(work, work / "data", "--no-ingest", PLANCHAT_EMBEDDER="hash", PLANCHAT_MAX_CONCURRENCY="2",
                   PLANCHAT_KEEPALIVE_S="1")  # fmt: skip
    try:
        yield server
    finally:
        server.stop()


def status_of_a_new_connection(server) -> int:
    with httpx.Client(base_url=server.base_url, timeout=30) as http:
        return http.get("/healthz").status_code


def poll_status(server, wanted: int) -> int:
    deadline, status = time.monotonic() + 30, None
    while status != wanted and time.monotonic() < deadline:
        status = status_of_a_new_connection(server)
        if status != wanted:
            time.sleep(0.05)
    return status


def test_over_the_concurrency_limit_a_client_gets_503_until_a_connection_closes(limited_server):
    assert "serve: keep-alive 1 s, at most 2 connections per process, text logs" in limited_server.stdout()
    assert status_of_a_new_connection(limited_server) == 200
    port = int(limited_server.base_url.rsplit(":", 1)[1])
    idle = socket.create_connection(("127.0.0.1", port))  # open, silent: it counts against the limit
    try:
        assert poll_status(limited_server, 503) == 503
    finally:
        idle.close()
    assert poll_status(limited_server, 200) == 200


def test_an_idle_keep_alive_connection_is_closed_by_the_server(limited_server):
    port = int(limited_server.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-ID: keep-1\r\n\r\n")
        received = b""
        while b'"retrieval_mode"' not in received:  # the whole response (keep-alive: the server does not close)
            chunk = sock.recv(65536)
            assert chunk, received
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 OK")
        assert sock.recv(65536) == b""  # then idle: closed by the server (bounded by the socket's 60 s timeout)
    # The text format: uvicorn's access line, then the request id.
    assert any(line.endswith('"GET /healthz HTTP/1.1" 200 OK request_id=keep-1')
               for line in limited_server.stdout().splitlines())  # fmt: skip
