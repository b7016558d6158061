"""Issue 17, finding 6 (operations): a request id on every response and log
record, JSON log lines, no free text in the access log, and Prometheus
metrics at /metrics. Through the TestClient over the hash index; the
end-to-end file reads a real server's log output."""

from __future__ import annotations

import json
import logging
import re

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.logs import JsonFormatter, MaskQueryValues, RequestIdFilter, TextAccessFormatter, log_config, mask_query
from api.observability import VALID_REQUEST_ID
from planchat.config import Settings
from planchat.errors import ConfigurationError

READ = "read-key-metrics-0001"
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def client(hash_index, tmp_path) -> TestClient:
    """Its own app, so its metrics start at zero; bm25 answers over the hash index."""
    settings = make_settings(tmp_path / "settings", retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def samples(client: TestClient, **headers) -> dict[tuple[str, tuple], float]:
    """/metrics parsed: (sample name, sorted labels) -> value."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}  # fmt: skip


def count(found: dict, method: str, route: str, status: int) -> float:
    labels = (("method", method), ("route", route), ("status", str(status)))
    return found.get(("planchat_http_request_duration_seconds_count", labels), 0.0)


# -- the request id ----------------------------------------------------------------------------------


def test_a_plain_request_id_is_echoed_and_any_other_is_replaced(client):
    assert client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.2_b-9"}).headers["X-Request-ID"] == "lb-7f3a.2_b-9"
    for sent in ("x" * 65, "has space", 'quote"d', "ünïcode".encode(), "a;b", ""):
        got = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
        assert GENERATED.fullmatch(got), (sent, got)
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second
    assert VALID_REQUEST_ID.fullmatch("x" * 64)


def test_every_response_carries_it_errors_and_streams_included(client):
    too_large = client.post("/v1/ask", content=b"x" * 300_000, headers={"content-type": "application/json",
                                                                        "X-Request-ID": "big-1"})  # fmt: skip
    assert (too_large.status_code, too_large.headers["X-Request-ID"]) == (413, "big-1")
    missing = client.get("/v1/documents/no-such-doc", headers={"X-Request-ID": "nf-1"})
    assert (missing.status_code, missing.headers["X-Request-ID"]) == (404, "nf-1")
    stream = client.post("/v1/ask/stream", json={"question": JAMMERBUGT_Q}, headers={"X-Request-ID": "sse-1"})
    assert (stream.status_code, stream.headers["X-Request-ID"]) == (200, "sse-1")
    assert "event: done" in stream.text
    assert client.get("/", headers={"X-Request-ID": "page-1"}).headers.get_list("X-Request-ID") == ["page-1"]


def test_every_log_record_of_a_request_carries_its_id(client):
    """The question is logged at DEBUG only, redacted, with the request's id."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("retrieval.chat")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        response = client.post("/v1/ask", json={"question": f"Borger 010190-1234: {JAMMERBUGT_Q}"},
                               headers={"X-Request-ID": "ask-42"})  # fmt: skip
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    assert response.status_code == 200
    assert [(r.levelname, r.getMessage(), r.request_id) for r in records] == [
        ("DEBUG", f"question (redacted): Borger [CPR]: {JAMMERBUGT_Q}", "ask-42")
    ]


# -- log lines -----------------------------------------------------------------------------------------


def record(name: str, msg: str, args: tuple = (), level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, msg, args, None)


def test_a_json_line_has_the_documented_keys():
    access = record(
        "uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", "/v1/targets?q=x", "1.1", 200)
    )
    access.created = 1_700_000_000.25
    MaskQueryValues().filter(access)
    RequestIdFilter().filter(access)
    access.request_id = "r-1"
    assert json.loads(JsonFormatter().format(access)) == {
        "time": "2023-11-14T22:13:20.250Z", "level": "INFO", "logger": "uvicorn.access",
        "message": '127.0.0.1:5000 - "GET /v1/targets?q=*** HTTP/1.1" 200', "request_id": "r-1",
        "client": "127.0.0.1:5000", "method": "GET", "path": "/v1/targets?q=***", "http_version": "1.1", "status": 200,
    }  # fmt: skip
    plain = record("retrieval.chat", "condense fell back: %s", ("timeout",), logging.WARNING)
    RequestIdFilter().filter(plain)
    line = json.loads(JsonFormatter().format(plain))
    assert (set(line), line["message"], line["level"]) == ({"time", "level", "logger", "message"},
                                                           "condense fell back: timeout", "WARNING")  # fmt: skip
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        failed = logging.LogRecord("api", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "RuntimeError: boom" in json.loads(JsonFormatter().format(failed))["exception"]


@pytest.mark.parametrize("target, masked", [
    ("/v1/targets?q=Borger%20010190-1234&municipality=Vejle", "/v1/targets?q=***&municipality=***"),
    ("/v1/targets?municipality=Vejle&municipality=Rebild&year=2022", "/v1/targets?municipality=***&municipality=***&year=***"),
    ("/v1/targets?Borger%20010190-1234", "/v1/targets?***"),
    ("/v1/targets?free%20text=x&q=", "/v1/targets?***&q=***"),
    ("/v1/ministermaal?year=2022&", "/v1/ministermaal?year=***&"),
    ("/v1/documents", "/v1/documents"),
])  # fmt: skip
def test_query_string_values_never_reach_the_access_log(target, masked):
    assert mask_query(target) == masked


def test_the_text_format_adds_the_request_id_and_json_replaces_every_formatter():
    text, as_json = log_config("text", "info"), log_config("json", "debug")
    assert text["formatters"]["access"]["()"] == "api.logs.TextAccessFormatter"
    assert {f["()"] for f in as_json["formatters"].values()} == {"api.logs.JsonFormatter"}
    assert as_json["root"] == {"handlers": ["app"], "level": "DEBUG"}
    assert all(h["filters"] == ["request_id"] for h in as_json["handlers"].values())
    formatter = TextAccessFormatter(fmt=text["formatters"]["access"]["fmt"], use_colors=False)
    line = record("uvicorn.access", '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", "/healthz", "1.1", 200))
    line.request_id = "r-2"
    assert formatter.format(line) == 'INFO:     127.0.0.1:5000 - "GET /healthz HTTP/1.1" 200 OK request_id=r-2'


def test_an_unknown_log_format_fails_at_start_up():
    assert Settings(log_format=" JSON ").log_format == "json"
    with pytest.raises(
        ConfigurationError, match=r"^PLANCHAT_LOG_FORMAT='xml' is not a log format; use one of text, json\.$"
    ):
        Settings(log_format="xml")


# -- /metrics ------------------------------------------------------------------------------------------


def test_a_request_increments_its_route_template_and_an_answer_its_kind(client, hash_index):
    before = samples(client)
    assert count(before, "POST", "/v1/ask", 200) == 0
    answer = client.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()
    assert (answer["abstained"], answer["generator"], answer["kind"]) == (False, "extractive", "number")
    cid, token = answer["conversation_id"], answer["conversation_token"]
    assert client.get(f"/v1/conversations/{cid}", headers={"X-Conversation-Token": token}).status_code == 200
    assert client.get(f"/v1/conversations/{'0' * 32}").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    client.post("/v1/ask", content=b"x" * 300_000, headers={"content-type": "application/json"})

    after = samples(client)
    assert count(after, "POST", "/v1/ask", 200) == 1
    assert count(after, "GET", "/v1/conversations/{conversation_id}", 200) == 1
    assert count(after, "GET", "/v1/conversations/{conversation_id}", 404) == 1
    assert count(after, "GET", "unmatched", 404) == 1
    assert count(after, "POST", "/v1/ask", 413) == 1  # refused before routing, still named by its route
    assert count(after, "GET", "/metrics", 200) == 1  # the first scrape
    labels = (("abstained", "false"), ("generator", "extractive"), ("kind", "number"))
    assert after[("planchat_answers_total", labels)] == 1
    text = client.get("/metrics").text
    assert cid not in text and "0" * 32 not in text and "/no/such" not in text
    snapshot = hash_index.snapshot
    assert after[("planchat_index_documents", ())] == len(snapshot.documents) == 5
    assert after[("planchat_index_chunks", ())] == len(snapshot.bm25)
    assert after[("planchat_index_targets", ())] == len(snapshot.targets())
    ingest = {dict(k[1])["doc_id"]: v for k, v in after.items() if k[0] == "planchat_document_ingest_seconds"}
    assert sorted(ingest) == sorted(snapshot.documents)
    assert ingest == {r.meta.doc_id: r.report["seconds"] for r in hash_index.document_records()}


def test_every_answer_path_counts_an_abstention_too(client):
    client.post("/v1/ask/stream", json={"question": JAMMERBUGT_Q})
    client.post(
        "/v1/chat/completions", json={"model": "planchat", "messages": [{"role": "user", "content": JAMMERBUGT_Q}]}
    )
    client.post("/v1/ask", json={"question": "Hvor mange astronauter bor i Vejle?"})
    found = samples(client)
    answered = (("abstained", "false"), ("generator", "extractive"), ("kind", "number"))
    abstained = (("abstained", "true"), ("generator", "extractive"), ("kind", "abstain"))
    assert (found[("planchat_answers_total", answered)], found[("planchat_answers_total", abstained)]) == (2, 1)


def test_metrics_are_protected_like_the_reads(hash_index, tmp_path):
    settings = make_settings(tmp_path / "p", retrieval_mode="bm25", read_keys=[READ], protect_reads=True)
    client = TestClient(create_app(settings, index=hash_index))
    assert client.get("/metrics").json()["error"]["code"] == "unauthorized"
    assert client.get("/metrics", headers={"X-API-Key": "wrong"}).status_code == 401
    assert ("planchat_index_documents", ()) in samples(client, Authorization=f"Bearer {READ}")
    assert "/metrics" not in client.get("/openapi.json", headers={"X-API-Key": READ}).json()["paths"]
