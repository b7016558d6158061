"""What ``create_app``'s lifespan closes on shutdown: the conversations'
SQLite connection, the LLM's HTTP client, and the index it opened itself
(its docstore connection and its Chroma client), but never an index passed
in, which belongs to the caller. A start-up after a shutdown opens them anew."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import make_settings
from expected import FOLLOWUP_FIRST_Q, JAMMERBUGT_228
from fastapi.testclient import TestClient

from api.app import create_app

CLOSED_DB = "Cannot operate on a closed database."


def test_shutdown_closes_the_stores_and_the_llm_client_the_app_opened(tmp_path):
    app = create_app(make_settings(tmp_path, llm_base_url="http://127.0.0.1:9/v1", llm_model="fake-model"))
    with TestClient(app) as client:  # enter: start-up; exit: shutdown
        assert client.get("/healthz").json()["documents"] == 0
        assert app.state.conversations.count() == 0
    with pytest.raises(sqlite3.ProgrammingError, match=CLOSED_DB):
        app.state.conversations.count()
    with pytest.raises(sqlite3.ProgrammingError, match=CLOSED_DB):
        app.state.index.docstore.write_token()
    # What a stopped embedded Chroma system raises: the client released it.
    with pytest.raises(AttributeError, match="'RustBindingsAPI' object has no attribute 'bindings'"):
        app.state.index.vectors.count()
    with pytest.raises(RuntimeError, match="Cannot send a request, as the client has been closed."):
        app.state.chat.generator.complete([{"role": "user", "content": "Hej"}])


def test_shutdown_leaves_an_index_passed_in_open(hash_index, tmp_path):
    app = create_app(make_settings(tmp_path), index=hash_index)
    with TestClient(app):
        pass
    with pytest.raises(sqlite3.ProgrammingError, match=CLOSED_DB):
        app.state.conversations.count()
    assert app.state.chat.generator is None  # no LLM configured: nothing to close
    chunks = len(hash_index.docstore.ordered_chunk_ids())
    assert (len(hash_index.bm25), hash_index.vectors.count()) == (chunks, chunks)


def test_a_start_up_after_a_shutdown_opens_them_anew(hash_index, tmp_path):
    # A test client may run the lifespan of one app more than once (schemathesis does, per test).
    app = create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index)
    with TestClient(app) as client:
        first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    with TestClient(app) as client:
        stored = client.get(
            f"/v1/conversations/{first['conversation_id']}",
            headers={"X-Conversation-Token": first["conversation_token"]},
        ).json()
    assert [(t["question"], t["answer"]["answer"]) for t in stored["turns"]] == [(FOLLOWUP_FIRST_Q, first["answer"])]
    assert JAMMERBUGT_228 in first["answer"]


def test_an_index_the_app_opened_is_opened_anew_too(tmp_path):
    app = create_app(make_settings(tmp_path))
    with TestClient(app):
        opened = app.state.index
    with TestClient(app) as client:
        assert client.get("/healthz").json()["documents"] == 0
        assert app.state.index is not opened and app.state.services.default.index is app.state.index
    with pytest.raises(sqlite3.ProgrammingError, match=CLOSED_DB):
        opened.docstore.write_token()
