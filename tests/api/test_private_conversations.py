"""Issue 17, finding 4: a conversation id was the only credential. Creating
a conversation now returns a ``conversation_token``; reading, continuing or
deleting it needs the token (``X-Conversation-Token``) or the admin key, and
without them the answer is the 404 of a conversation that does not exist.
Only the token's SHA-256 is stored. Through the TestClient;
tests/e2e/test_attacker.py repeats the attack over HTTP."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time

import pytest
from conftest import make_settings
from expected import ANSWER_KEYS, FOLLOWUP_FIRST_Q, FOLLOWUP_Q, FOLLOWUP_RESOLVED
from fastapi.testclient import TestClient

from api.app import create_app
from retrieval.conversation import ConversationStore, Turn

ADMIN = "admin-key-0123456789"
READ = "read-key-widget-0001"
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


def not_found(cid: str) -> tuple[int, str, str]:
    return (404, "not_found",
            f"conversation_id: no conversation '{cid}' for this request: it expired after 168 hours idle, was "
            "deleted, never existed, or the X-Conversation-Token header (given when it was created) is missing or "
            "wrong. Omit it to start a new one.")  # fmt: skip


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def token_header(token: str) -> dict:
    return {"X-Conversation-Token": token}


@pytest.fixture
def app(hash_index, tmp_path):
    return create_app(make_settings(tmp_path, retrieval_mode="bm25", api_key=ADMIN, read_keys=[READ]), index=hash_index)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def start(client) -> tuple[str, str]:
    body = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    return body["conversation_id"], body["conversation_token"]


def test_a_new_conversation_comes_with_its_token_once(client):
    first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert set(first) == ANSWER_KEYS
    assert re.fullmatch(r"[0-9a-f]{32}", first["conversation_id"]) and TOKEN.fullmatch(first["conversation_token"])
    follow = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": first["conversation_id"]},
                         headers=token_header(first["conversation_token"])).json()  # fmt: skip
    assert (follow["conversation_id"], follow["conversation_token"], follow["question"]) == (
        first["conversation_id"], None, FOLLOWUP_RESOLVED)  # fmt: skip
    stored = client.get(
        f"/v1/conversations/{first['conversation_id']}", headers=token_header(first["conversation_token"])
    )
    assert [t["answer"]["conversation_token"] for t in stored.json()["turns"]] == [None, None]  # never stored


def test_the_stream_gives_the_token_in_meta_and_done(client):
    text = client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q}).text
    blocks = [dict(line.split(": ", 1) for line in b.splitlines()) for b in text.strip().split("\n\n")]
    meta, done = json.loads(blocks[0]["data"]), json.loads(blocks[-1]["data"])
    assert TOKEN.fullmatch(meta["conversation_token"])
    assert (done["conversation_id"], done["conversation_token"]) == (
        meta["conversation_id"],
        meta["conversation_token"],
    )
    reply = client.get(f"/v1/conversations/{meta['conversation_id']}", headers=token_header(meta["conversation_token"]))
    assert reply.status_code == 200


def test_without_its_token_a_conversation_does_not_exist(client):
    cid, token = start(client)
    nobody = "0" * 32
    for headers in ({}, token_header("x" * 43), token_header(token[:-1]), {"Authorization": f"Bearer {READ}"}):
        assert error(client.get(f"/v1/conversations/{cid}", headers=headers)) == not_found(cid)
        assert error(client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": cid}, headers=headers)) == (
            not_found(cid))  # fmt: skip
        assert error(client.post("/v1/ask/stream", json={"question": FOLLOWUP_Q, "conversation_id": cid},
                                 headers=headers)) == not_found(cid)  # fmt: skip
        assert error(client.delete(f"/v1/conversations/{cid}", headers=headers)) == not_found(cid)
    # Exactly what an id that never existed gets.
    assert error(client.get(f"/v1/conversations/{nobody}", headers=token_header(token))) == not_found(nobody)
    # Nothing was appended or deleted: the owner still sees one turn.
    owned = client.get(f"/v1/conversations/{cid}", headers=token_header(token)).json()
    assert [t["question"] for t in owned["turns"]] == [FOLLOWUP_FIRST_Q]


def test_the_token_or_the_admin_key_reaches_it(client):
    cid, token = start(client)
    follow = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": cid}, headers=token_header(token))
    assert follow.json()["carried"] == ["municipality", "year"]
    for headers in (token_header(token), {"Authorization": f"Bearer {ADMIN}"}, {"X-API-Key": ADMIN}):
        turns = client.get(f"/v1/conversations/{cid}", headers=headers).json()["turns"]
        assert [t["question"] for t in turns] == [FOLLOWUP_FIRST_Q, FOLLOWUP_Q]
    assert client.delete(f"/v1/conversations/{cid}", headers=token_header(token)).status_code == 204
    assert error(client.get(f"/v1/conversations/{cid}", headers=token_header(token))) == not_found(cid)
    other, _ = start(client)
    assert client.delete(f"/v1/conversations/{other}", headers={"X-API-Key": ADMIN}).status_code == 204


def test_a_conversation_is_not_deleted_from_another_site(client):
    cid, token = start(client)
    response = client.delete(
        f"/v1/conversations/{cid}", headers={**token_header(token), "Sec-Fetch-Site": "cross-site"}
    )
    assert error(response)[:2] == (403, "forbidden")
    assert client.get(f"/v1/conversations/{cid}", headers=token_header(token)).status_code == 200


def test_only_the_tokens_sha256_is_stored(app, client):
    cid, token = start(client)
    path = app.state.settings.conversations_file
    app.state.conversations.close()
    with sqlite3.connect(path) as db:
        (stored,) = db.execute("SELECT token_sha256 FROM conversations WHERE id = ?", (cid,)).fetchone()
        dump = "\n".join(db.iterdump())
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert token not in dump and token not in path.read_bytes().decode("latin-1")


OLD_SCHEMA = """
CREATE TABLE conversations (id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX conversations_updated ON conversations(updated_at);
CREATE TABLE turns (conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    n INTEGER NOT NULL, created_at REAL NOT NULL, turn TEXT NOT NULL, PRIMARY KEY (conversation_id, n));
"""


def test_a_conversation_stored_before_tokens_is_reached_by_the_admin_key_only(hash_index, tmp_path):
    path = tmp_path / "conversations.sqlite3"
    old = "ab" * 16
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO conversations VALUES (?, ?, ?)", (old, time.time(), time.time()))
        turn = Turn(question=FOLLOWUP_FIRST_Q, text=FOLLOWUP_FIRST_Q, municipalities=["Jammerbugt"], years=[2014])
        db.execute("INSERT INTO turns VALUES (?, 1, ?, ?)", (old, time.time(), json.dumps(turn.__dict__)))
    settings = make_settings(tmp_path, retrieval_mode="bm25", api_key=ADMIN, conversations_path=path)
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    assert error(client.get(f"/v1/conversations/{old}")) == not_found(old)
    assert error(client.get(f"/v1/conversations/{old}", headers=token_header("x" * 43))) == not_found(old)
    admin = client.get(f"/v1/conversations/{old}", headers={"X-API-Key": ADMIN})
    assert [t["question"] for t in admin.json()["turns"]] == [FOLLOWUP_FIRST_Q]
    cid, token = start(client)  # new conversations in the migrated store get tokens
    assert client.get(f"/v1/conversations/{cid}", headers=token_header(token)).status_code == 200
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(conversations)")]
    assert columns == ["id", "created_at", "updated_at", "token_sha256"]
    ConversationStore(path, 1, 10, 10).close()  # opening a migrated store again changes nothing


def test_an_allowed_site_may_send_the_token_header(hash_index, tmp_path):
    settings = make_settings(tmp_path, retrieval_mode="bm25", cors_origins=["https://jobcenter.example.dk"])
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    preflight = client.options("/v1/conversations/" + "ab" * 16, headers={
        "Origin": "https://jobcenter.example.dk", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, x-conversation-token"})  # fmt: skip
    assert preflight.status_code == 200
    assert "x-conversation-token" in preflight.headers["access-control-allow-headers"].lower()


def test_the_access_log_filter_masks_conversation_ids():
    import logging

    from api.security import MaskConversationIds

    cid = "ab" * 16
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5000", "GET", f"/v1/conversations/{cid}?x=1", "1.1", 200), None)  # fmt: skip
    assert MaskConversationIds().filter(record) is True
    assert record.getMessage() == '127.0.0.1:5000 - "GET /v1/conversations/***?x=1 HTTP/1.1" 200'
    other = logging.LogRecord("x", logging.INFO, __file__, 1, f"DELETE /v1/conversations/{cid}", None, None)
    MaskConversationIds().filter(other)
    assert other.getMessage() == "DELETE /v1/conversations/***"
