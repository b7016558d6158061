"""Issue 17, finding 1: one key did everything. PLANCHAT_API_KEY is the admin
key; PLANCHAT_READ_KEYS are read keys (the widget's ``data-api-key``) that
ask, stream, chat, compare and read documents but never upload or delete.
Through the TestClient (the end-to-end file repeats the attack over HTTP)."""

from __future__ import annotations

import pytest
from conftest import make_settings
from expected import JAMMERBUGT_Q
from fastapi.testclient import TestClient

from api.app import create_app
from ingest.index import PlanIndex

ADMIN = "admin-key-0123456789"
READ = "read-key-widget-0001"
OTHER_READ = "read-key-intranet-02"
PLAN = "# Beskæftigelsesplan 2024\n\nAntallet af langtidsledige i Aarhus skal begrænses til 111 personer.\n"

ADMIN_NEEDED = (
    "This endpoint needs the admin scope (PLANCHAT_API_KEY). The key sent is a read key (PLANCHAT_READ_KEYS): "
    "it may ask, chat, compare and read documents, never upload, delete or read another client's conversations."
)
READ_KEY_MISSING = (
    "This endpoint needs a key: a read key (PLANCHAT_READ_KEYS) or the admin key (PLANCHAT_API_KEY), sent as "
    "'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
)
READ_KEY_INVALID = "The API key is not valid. Check PLANCHAT_READ_KEYS or PLANCHAT_API_KEY and send it again."


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def upload(client, headers, municipality="Aarhus"):
    return client.post("/v1/documents", files={"file": ("plan.txt", PLAN.encode())},
                       data={"municipality": municipality, "year": "2024"}, headers=headers)  # fmt: skip


@pytest.fixture
def protected(tmp_path) -> tuple[TestClient, PlanIndex]:
    """Reads protected, one admin key, two read keys; its own writable index."""
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=ADMIN, read_keys=[READ, OTHER_READ],
                             protect_reads=True)  # fmt: skip
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False), index


READS = [
    ("GET", "/v1/documents", None),
    ("GET", "/v1/documents/jammerbugt-2014", None),
    ("GET", "/v1/documents/jammerbugt-2014/text", None),
    ("GET", "/v1/documents/jammerbugt-2014/outline", None),
    ("POST", "/v1/ask", {"question": JAMMERBUGT_Q}),
    ("POST", "/v1/ask/stream", {"question": JAMMERBUGT_Q}),
    ("POST", "/v1/chat/completions", {"model": "planchat", "messages": [{"role": "user", "content": JAMMERBUGT_Q}]}),
    ("GET", "/v1/models", None),
    ("POST", "/v1/compare", {"topic": "langtidsledighed"}),
    ("GET", "/v1/targets?municipality=Jammerbugt", None),
    ("GET", "/v1/ministermaal?year=2014", None),
]


def test_a_read_key_reads_everything_a_reader_needs(protected):
    client, _ = protected
    for key in (READ, OTHER_READ, ADMIN):
        for method, path, body in READS:
            response = client.request(method, path, json=body, headers=bearer(key))
            assert response.status_code == 200, (key, path, response.text)
    by_header = client.get("/v1/documents", headers={"X-API-Key": READ})
    assert by_header.status_code == 200


def test_a_read_key_can_never_upload_or_delete(protected):
    client, index = protected
    before = index.docstore.chunk_ids()
    assert error(upload(client, bearer(READ))) == (403, "forbidden", ADMIN_NEEDED)
    assert error(upload(client, {"X-API-Key": OTHER_READ})) == (403, "forbidden", ADMIN_NEEDED)
    assert error(client.delete("/v1/documents/jammerbugt-2014", headers=bearer(READ))) == (
        403,
        "forbidden",
        ADMIN_NEEDED,
    )
    assert index.docstore.chunk_ids() == before and index.docstore.document("aarhus-2024") is None
    # The admin key still writes.
    assert upload(client, bearer(ADMIN)).status_code == 201
    assert client.delete("/v1/documents/aarhus-2024", headers=bearer(ADMIN)).json()["status"] == "removed"


def test_protected_reads_without_a_key_or_with_a_wrong_one_are_a_401(protected):
    client, _ = protected
    assert error(client.get("/v1/documents")) == (401, "unauthorized", READ_KEY_MISSING)
    assert error(client.post("/v1/ask", json={"question": JAMMERBUGT_Q}, headers=bearer("read-key-widget-0002"))) == (
        401, "unauthorized", READ_KEY_INVALID)  # fmt: skip
    assert [client.get(p).status_code for p in ("/healthz", "/", "/widget.js")] == [200, 200, 200]


def test_a_read_key_cannot_write_when_reads_are_open_either(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=ADMIN, read_keys=[READ])
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    assert error(upload(client, bearer(READ))) == (403, "forbidden", ADMIN_NEEDED)
    assert error(client.delete("/v1/documents/jammerbugt-2014", headers=bearer(READ))) == (
        403,
        "forbidden",
        ADMIN_NEEDED,
    )
    assert client.post("/v1/ask", json={"question": JAMMERBUGT_Q}).status_code == 200  # reads stay open


def test_read_keys_alone_protect_reads_and_leave_writes_disabled(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", read_keys=[READ], protect_reads=True)
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    assert client.get("/v1/documents", headers=bearer(READ)).status_code == 200
    assert error(client.get("/v1/documents"))[:2] == (401, "unauthorized")
    assert error(upload(client, bearer(READ)))[:2] == (403, "forbidden")
