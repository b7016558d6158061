"""Personal data through the chat endpoints (issue 17, finding 7), through
FastAPI's TestClient: a question, a history and OpenAI messages carrying a
CPR number, an e-mail address and a phone number are answered from the
redacted text, and neither the stored conversation, the answer, nor an LLM
server ever sees the data. ``PLANCHAT_STORE_CONVERSATIONS=false`` stores
nothing. The same over real HTTP, with the server's log at DEBUG, is in
tests/e2e/test_privacy_and_limits.py."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import make_settings
from expected import FOLLOWUP_FIRST_Q, FOLLOWUP_Q, FOLLOWUP_RESOLVED
from fastapi.testclient import TestClient

from api.app import create_app

PERSONAL = ("010190-1234", "0101901234", "jens.hansen@example.dk", "jens.hansen", "22 33 44 55", "22334455")
QUESTION = f"Borger 010190-1234 (jens.hansen@example.dk, tlf. +45 22 33 44 55): {FOLLOWUP_FIRST_Q}"
REDACTED = f"Borger [CPR] ([e-mail], tlf. [telefon]): {FOLLOWUP_FIRST_Q}"
ANALYSED = f"Borger (, tlf.): {FOLLOWUP_FIRST_Q}"  # what the query analyser reads: no placeholder words


def client_for(tmp_path, hash_index, **overrides) -> tuple[TestClient, object]:
    app = create_app(make_settings(tmp_path, retrieval_mode="bm25", **overrides), index=hash_index)
    return TestClient(app, raise_server_exceptions=False), app


@pytest.fixture
def client(tmp_path, hash_index) -> TestClient:
    return client_for(tmp_path, hash_index)[0]


def stored_bytes(data_dir) -> bytes:
    """The conversation store's file and its write-ahead log, as bytes on disk."""
    return b"".join(p.read_bytes() for p in sorted(data_dir.glob("conversations.sqlite3*")))


def tok(body: dict) -> dict:
    """The header that reaches the conversation ``body`` started (issue 17: conversations are private)."""
    return {"X-Conversation-Token": body["conversation_token"]}


def assert_no_personal_data(text: str) -> None:
    assert not [p for p in PERSONAL if p in text], text


def test_a_question_is_answered_from_the_redacted_text_and_stored_redacted(client, tmp_path):
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert (body["question"], body["municipalities"], body["years"]) == (ANALYSED, ["Jammerbugt"], [2014])
    assert "228 personer" in body["answer"]
    stored = client.get(f"/v1/conversations/{body['conversation_id']}", headers=tok(body)).json()
    [turn] = stored["turns"]
    stored_body = {**body, "conversation_token": None}  # the token is never stored
    assert (turn["question"], turn["resolved_question"], turn["answer"]) == (REDACTED, ANALYSED, stored_body)
    assert_no_personal_data(json.dumps(stored, ensure_ascii=False))
    client.close()  # SQLite checkpoints on close; both the file and the WAL are read anyway
    on_disk = stored_bytes(tmp_path)
    assert b"[CPR]" in on_disk
    assert not [p for p in PERSONAL if p.encode() in on_disk]


def test_a_follow_up_stores_the_redacted_question_and_carries_the_context(client, tmp_path):
    first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    follow_up = f"{FOLLOWUP_Q} Borgerens mail er jens.hansen@example.dk"
    body = client.post("/v1/ask", json={"question": follow_up, "conversation_id": first["conversation_id"]},
                       headers=tok(first)).json()  # fmt: skip
    assert body["carried"] == ["municipality", "year"]
    turns = client.get(f"/v1/conversations/{first['conversation_id']}", headers=tok(first)).json()["turns"]
    assert turns[1]["question"] == f"{FOLLOWUP_Q} Borgerens mail er [e-mail]"
    assert_no_personal_data(json.dumps(turns, ensure_ascii=False))


def test_history_is_redacted_before_it_is_read(client):
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "Ring til 22 33 44 55."}]
    body = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "history": history}).json()
    assert (body["question"], body["conversation_id"]) == (FOLLOWUP_RESOLVED, None)


def test_openai_messages_are_redacted(client):
    messages = [{"role": "system", "content": "Sagsbehandler: jens.hansen@example.dk"},
                {"role": "user", "content": QUESTION}]  # fmt: skip
    response = client.post("/v1/chat/completions", json={"model": "planchat", "messages": messages})
    assert response.status_code == 200
    assert response.json()["planchat"]["question"] == ANALYSED
    assert_no_personal_data(response.text)


def test_an_llm_server_never_sees_the_personal_data(tmp_path, hash_index):
    from fake_llm import FakeLLM

    with FakeLLM() as llm:
        client, _ = client_for(tmp_path, hash_index, llm_base_url=llm.base_url, llm_model="fake-model", llm_timeout_s=5)
        llm.reply(
            "Hvor mange må tilgangen til førtidspension højst være i Jammerbugt i 2014?"
        )  # the condensed follow-up
        llm.reply("Det ved jeg ikke [9].")  # fails verification: the extractive answer is served
        history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": "…"}]
        body = client.post("/v1/ask", json={"question": f"{FOLLOWUP_Q} (cpr 0101901234)", "history": history}).json()
        assert body["municipalities"] == ["Jammerbugt"]
        sent = json.dumps([r.body for r in llm.requests], ensure_ascii=False)
    assert len(llm.requests) == 2 and "[CPR]" in sent
    assert_no_personal_data(sent)


def test_a_turn_over_the_size_cap_is_stored_without_its_answer(tmp_path, hash_index):
    client, _ = client_for(tmp_path, hash_index, max_stored_turn_chars=1000)
    first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert len(json.dumps(first, ensure_ascii=False)) > 1000
    [turn] = client.get(f"/v1/conversations/{first['conversation_id']}", headers=tok(first)).json()["turns"]
    assert (turn["question"], turn["answer"]) == (FOLLOWUP_FIRST_Q, None)
    # What a follow-up needs is kept.
    second = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": first["conversation_id"]},
                         headers=tok(first)).json()  # fmt: skip
    assert second["question"] == FOLLOWUP_RESOLVED


# -- PLANCHAT_STORE_CONVERSATIONS=false ------------------------------------------------------------

OFF_MESSAGE = (
    "conversation: this server stores no conversations (PLANCHAT_STORE_CONVERSATIONS=false), so there is "
    "nothing to read or delete. Send the earlier messages as history to ask a follow-up."
)


def test_with_storage_off_nothing_is_written_and_asks_still_work(tmp_path, hash_index):
    client, app = client_for(tmp_path, hash_index, store_conversations=False)
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert (body["conversation_id"], body["municipalities"]) == (None, ["Jammerbugt"])
    stream = client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q})
    assert stream.status_code == 200 and '"conversation_id": null' in stream.text
    history = [{"role": "user", "content": FOLLOWUP_FIRST_Q}]
    assert (
        client.post("/v1/ask", json={"question": FOLLOWUP_Q, "history": history}).json()["question"]
        == FOLLOWUP_RESOLVED
    )
    assert app.state.conversations.count() == 0
    client.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("conversations")) == []


def test_with_storage_off_the_conversation_endpoints_say_so(tmp_path, hash_index):
    client, _ = client_for(tmp_path, hash_index, store_conversations=False)
    for response in (client.get(f"/v1/conversations/{'a' * 32}"), client.delete(f"/v1/conversations/{'a' * 32}")):
        assert (response.status_code, response.json()["error"]) == (
            404, {"code": "conversations_disabled", "message": OFF_MESSAGE}
        )  # fmt: skip
    response = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": "a" * 32})
    assert (response.status_code, response.json()["error"]["message"]) == (
        400, "conversation_id: this server keeps no conversations; send history instead."
    )  # fmt: skip


def test_a_deleted_conversation_leaves_no_text_in_the_file(client, tmp_path):
    marker = "Sygedagpengeopfølgning for borgeren"
    started = client.post("/v1/ask", json={"question": f"{marker}: {FOLLOWUP_FIRST_Q}"}).json()
    cid = started["conversation_id"]
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the turn is in the database file now
    assert marker.encode() in stored_bytes(tmp_path)
    assert client.delete(f"/v1/conversations/{cid}", headers=tok(started)).status_code == 204
    with sqlite3.connect(tmp_path / "conversations.sqlite3") as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert marker.encode() not in stored_bytes(tmp_path)
