"""Rate limits and quotas per client (api/ratelimit.py, issue 17 finding 3),
with exact values: the N+1st request inside a window is a 429 with
Retry-After and a Danish message, per client (API key or address), shared by
every worker on the data dir."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from conftest import make_settings
from expected import FOLLOWUP_FIRST_Q, FOLLOWUP_Q
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimited, RateLimits, SQLiteStorage, asks_message, conversations_message
from planchat.config import REPO_ROOT

KEY = "k" * 32
CHAT = {"model": "planchat", "messages": [{"role": "user", "content": FOLLOWUP_FIRST_Q}]}


def app_for(tmp_path, hash_index, **limits):
    return create_app(make_settings(tmp_path, retrieval_mode="bm25", api_key=KEY, **limits), index=hash_index)


def client_of(app, address: str = "10.0.0.1") -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 40000))


def ask(client, **extra):
    return client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q, **extra})


def refusal(response) -> tuple[int, str, str, int]:
    """(status, code, message, Retry-After) of a response."""
    wait = int(response.headers["retry-after"])
    return response.status_code, response.json()["error"]["code"], response.json()["error"]["message"], wait


def test_the_n_plus_first_ask_in_a_minute_is_a_429_with_retry_after(tmp_path, hash_index):
    client = client_of(app_for(tmp_path, hash_index, rate_limit_per_minute=3))
    assert [ask(client).status_code for _ in range(3)] == [200, 200, 200]
    status, code, message, wait = refusal(ask(client))
    assert (status, code) == (429, "rate_limited")
    assert 1 <= wait <= 60
    assert message == asks_message(3, wait)
    assert message.startswith(
        "For mange spørgsmål: højst 3 i minuttet fra samme klient (PLANCHAT_RATE_LIMIT_PER_MINUTE). Prøv igen om "
    )


def test_ask_stream_and_chat_completions_share_one_budget_and_models_is_free(tmp_path, hash_index):
    client = client_of(app_for(tmp_path, hash_index, rate_limit_per_minute=3))
    assert ask(client).status_code == 200
    assert client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q}).status_code == 200
    assert client.post("/v1/chat/completions", json=CHAT).status_code == 200
    assert [client.get("/v1/models").status_code for _ in range(5)] == [200] * 5
    for refused in (client.post("/v1/chat/completions", json={**CHAT, "stream": True}),
                    client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q})):  # fmt: skip
        # A plain JSON 429 before any event, on the streams too.
        assert (refused.status_code, refused.headers["content-type"]) == (429, "application/json")
        assert refused.json()["error"]["code"] == "rate_limited"


def test_each_address_has_its_own_budget_and_the_admin_key_none(tmp_path, hash_index):
    app = app_for(tmp_path, hash_index, rate_limit_per_minute=1)
    first, second = client_of(app, "10.0.0.1"), client_of(app, "10.0.0.2")
    assert [ask(first).status_code, ask(first).status_code] == [200, 429]
    assert ask(second).status_code == 200
    # The operator's admin key is not limited (an evaluator runs a whole question set against the deployment).
    keyed = {"Authorization": f"Bearer {KEY}"}
    assert [ask(first).status_code] + [
        client.post("/v1/ask", json={"question": FOLLOWUP_Q}, headers=keyed).status_code
        for client in (first, first, second, second)
    ] == [429, 200, 200, 200, 200]
    # A made-up key buys no fresh budget: it counts as the address.
    made_up = {"X-API-Key": "made-up"}
    assert first.post("/v1/ask", json={"question": FOLLOWUP_Q}, headers=made_up).status_code == 429


def test_new_conversations_per_hour_are_a_quota_of_their_own(tmp_path, hash_index):
    client = client_of(app_for(tmp_path, hash_index, conversations_per_hour=2))
    started = [ask(client).json() for _ in range(2)]
    status, code, message, wait = refusal(ask(client))
    assert (status, code) == (429, "rate_limited")
    assert 1 <= wait <= 3600
    assert message == conversations_message(2, wait)
    assert message.startswith(
        "For mange nye samtaler: højst 2 i timen fra samme klient (PLANCHAT_CONVERSATIONS_PER_HOUR). "
    )
    # Continuing a conversation, a stateless history and a chat completion start none: not refused.
    token = {"X-Conversation-Token": started[0]["conversation_token"]}
    assert client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": started[0]["conversation_id"]},
                       headers=token).status_code == 200  # fmt: skip
    history = [{"role": "user", "content": FOLLOWUP_FIRST_Q}]
    assert client.post("/v1/ask/stream", json={"question": FOLLOWUP_Q, "history": history}).status_code == 200
    assert client.post("/v1/chat/completions", json=CHAT).status_code == 200
    assert client.post("/v1/ask/stream", json={"question": FOLLOWUP_Q}).status_code == 429


def test_with_storage_off_there_is_no_conversation_quota(tmp_path, hash_index):
    client = client_of(app_for(tmp_path, hash_index, conversations_per_hour=1, store_conversations=False))
    assert [ask(client).status_code for _ in range(3)] == [200, 200, 200]


def test_limits_off_keep_no_counters_at_all(tmp_path, hash_index):
    app = app_for(tmp_path, hash_index)  # the test settings: both limits 0
    client = client_of(app)
    assert [ask(client).status_code for _ in range(5)] == [200] * 5
    assert app.state.rate_limits.active is False
    assert not (tmp_path / "ratelimit.sqlite3").exists()


def test_the_counters_hold_digests_never_the_address_or_key(tmp_path, hash_index):
    client = client_of(app_for(tmp_path, hash_index, rate_limit_per_minute=5), "192.0.2.77")
    assert ask(client).status_code == 200
    assert client.post("/v1/ask", json={"question": FOLLOWUP_Q}, headers={"X-API-Key": KEY}).status_code == 200
    on_disk = b"".join(p.read_bytes() for p in tmp_path.glob("ratelimit.sqlite3*"))
    assert b"LIMITER" in on_disk and b"192.0.2.77" not in on_disk and KEY.encode() not in on_disk


def test_the_openapi_schema_documents_the_429(tmp_path, hash_index):
    paths = client_of(app_for(tmp_path, hash_index)).get("/openapi.json").json()["paths"]
    limited = {p for p, methods in paths.items() for m in methods.values() if "429" in m["responses"]}
    assert limited == {"/v1/ask", "/v1/ask/stream", "/v1/chat/completions", "/v1/search", "/v1/feedback"}


# -- across workers --------------------------------------------------------------------------------


def test_workers_on_one_data_dir_share_the_counters(tmp_path):
    """Two RateLimits on one data dir, as two workers open it: one budget."""
    settings = make_settings(tmp_path, rate_limit_per_minute=3)
    worker_a, worker_b = RateLimits(settings), RateLimits(settings)
    worker_a.check("client", new_conversation=False)
    worker_b.check("client", new_conversation=False)
    worker_a.check("client", new_conversation=False)
    with pytest.raises(RateLimited, match=r"^For mange spørgsmål: højst 3 i minuttet") as refused:
        worker_b.check("client", new_conversation=False)
    assert 1 <= refused.value.retry_after <= 60
    worker_b.check("another client", new_conversation=False)
    worker_a.close(), worker_b.close()


def test_another_process_on_the_data_dir_counts_against_the_same_budget(tmp_path):
    script = (
        "import sys; from pathlib import Path; from planchat.config import Settings; from api.ratelimit import RateLimits\n"
        "limits = RateLimits(Settings(data_dir=Path(sys.argv[1]), rate_limit_per_minute=3))\n"
        "[limits.check('client', new_conversation=False) for _ in range(3)]\n"
    )
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, cwd=REPO_ROOT, timeout=120)
    limits = RateLimits(make_settings(tmp_path, rate_limit_per_minute=3))
    with pytest.raises(RateLimited):
        limits.check("client", new_conversation=False)
    limits.close()


def test_memory_storage_is_per_worker(tmp_path):
    """PLANCHAT_RATE_LIMIT_STORAGE=memory://: each worker process counts alone (documented)."""
    settings = make_settings(tmp_path, rate_limit_per_minute=1, rate_limit_storage="memory://")
    worker_a, worker_b = RateLimits(settings), RateLimits(settings)
    worker_a.check("client", new_conversation=False)
    worker_b.check("client", new_conversation=False)
    with pytest.raises(RateLimited):
        worker_a.check("client", new_conversation=False)
    assert not (tmp_path / "ratelimit.sqlite3").exists()


def test_the_sqlite_storage_counts_per_window_and_forgets_ended_windows(tmp_path):
    storage = SQLiteStorage(tmp_path / "counters.sqlite3")
    assert [storage.incr("a", 60), storage.incr("a", 60), storage.incr("a", 60, amount=3), storage.incr("b", 60)] == [
        1,
        2,
        5,
        1,
    ]
    assert storage.get("a") == 5 and storage.get("missing") == 0
    storage.incr("ended", -1)  # a window that is over already
    assert storage.get("ended") == 0
    storage.incr("c", 60)  # every write deletes the rows of ended windows
    with sqlite3.connect(tmp_path / "counters.sqlite3") as db:
        assert db.execute("SELECT key FROM counters ORDER BY key").fetchall() == [("a",), ("b",), ("c",)]
    storage.clear("a")
    assert storage.get("a") == 0 and storage.reset() == 2
    storage.close()
