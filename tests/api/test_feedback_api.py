"""POST /v1/feedback and GET /v1/feedback over HTTP (TestClient on the hash index, BM25 answers): who may give
and read feedback, what is stored (redacted; a real citation's quote verbatim), the limits, the origin rule."""

from __future__ import annotations

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app

ADMIN = "admin-key-0123456789"
READ = "read-key-0123456789"
QUESTION = "Hvad er Jammerbugts mål for antallet af langtidsledige i december 2014?"
CPR = "010190-1234"


def build(tmp_path, **overrides) -> TestClient:
    return TestClient(create_app(make_settings(tmp_path / "data", retrieval_mode="bm25", **overrides)),
                      raise_server_exceptions=False)  # fmt: skip


@pytest.fixture
def client(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", api_key=ADMIN, read_keys=[READ])
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_feedback_on_a_real_answer_is_stored_redacted_with_its_quotes_verbatim(client):
    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    body = {"question": f"{QUESTION} (borger {CPR})", "answer": answer["answer"], "citations": answer["citations"],
            "rating": "down", "comment": f"Forkert tal. Ring til mig på 12345678, cpr {CPR}",
            "conversation_id": answer["conversation_id"]}  # fmt: skip
    stored = client.post("/v1/feedback", json=body)
    assert (stored.status_code, stored.json()) == (201, {"feedback_id": 1, "rating": "down"})
    listed = client.get("/v1/feedback", headers=bearer(ADMIN)).json()
    assert listed["total"] == 1
    (entry,) = listed["feedback"]
    assert {k: entry[k] for k in ("feedback_id", "rating", "question", "comment", "conversation_id")} == {
        "feedback_id": 1, "rating": "down", "question": f"{QUESTION} (borger [CPR])",
        "comment": "Forkert tal. Ring til mig på [telefon], cpr [CPR]", "conversation_id": answer["conversation_id"],
    }  # fmt: skip
    first, cited = entry["citations"][0], answer["citations"][0]
    assert (first["quote"], first["start"], first["end"], first["doc_id"]) == (
        cited["quote"], cited["start"], cited["end"], cited["doc_id"],
    )  # fmt: skip
    assert all(c["verified"] for c in entry["citations"])


def test_reading_feedback_needs_the_admin_key(client):
    assert client.post("/v1/feedback", json={"question": "q", "rating": "up"}).status_code == 201
    assert client.get("/v1/feedback").status_code == 401
    read = client.get("/v1/feedback", headers=bearer(READ))
    assert (read.status_code, read.json()) == (403, {"error": {"code": "forbidden", "message": (
        "Reading feedback needs the admin scope (PLANCHAT_API_KEY). The key sent is a read key "
        "(PLANCHAT_READ_KEYS): it may give feedback (POST /v1/feedback), not read it."
    )}})  # fmt: skip
    assert (
        client.post("/v1/feedback", json={"question": "q", "rating": "down"}, headers=bearer(READ)).status_code == 201
    )
    page = client.get("/v1/feedback?rating=down&limit=1", headers=bearer(ADMIN)).json()
    assert (page["total"], [e["rating"] for e in page["feedback"]]) == (1, ["down"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": "q", "rating": "meh"}, "rating: Input should be 'up' or 'down'."),
        ({"rating": "up"}, "question: required."),
        ({"question": "q", "rating": "up", "extra": 1}, "extra: unknown field; remove it."),
        ({"question": "q", "rating": "up", "conversation_id": "x"},
         "conversation_id: not a planchat conversation id (32 hex characters, as a previous answer returned). "
         "Omit it to start a new conversation."),
        ({"question": "q", "rating": "up", "citations": [{"quote": "x"}] * 51},
         "citations: List should have at most 50 items after validation, not 51."),
    ],
)  # fmt: skip
def test_bad_feedback_is_a_400_that_names_the_field(client, body, message):
    response = client.post("/v1/feedback", json=body)
    assert (response.status_code, response.json()["error"]["message"]) == (400, message)


def test_feedback_from_a_foreign_origin_is_refused_but_the_widget_on_an_allowed_site_may_send_it(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", cors_origins=["https://kommune.example"])
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    body = {"question": "q", "rating": "up"}
    evil = client.post("/v1/feedback", json=body, headers={"Origin": "https://evil.example"})
    assert (evil.status_code, evil.json()["error"]["code"]) == (403, "forbidden")
    widget = client.post("/v1/feedback", json=body,
                         headers={"Origin": "https://kommune.example", "Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert widget.status_code == 201
    own = client.post(
        "/v1/feedback", json=body, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}
    )
    assert own.status_code == 201


def test_feedback_counts_against_the_ask_limit_and_needs_a_reader_when_reads_are_protected(tmp_path, hash_index):
    settings = make_settings(tmp_path / "data", retrieval_mode="bm25", rate_limit_per_minute=2, protect_reads=True,
                             api_key=ADMIN, read_keys=[READ])  # fmt: skip
    client = TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)
    body = {"question": "q", "rating": "up"}
    assert client.post("/v1/feedback", json=body).status_code == 401
    assert [client.post("/v1/feedback", json=body, headers=bearer(READ)).status_code for _ in range(3)] == [
        201,
        201,
        429,
    ]
    assert client.post("/v1/feedback", json=body, headers=bearer(ADMIN)).status_code == 201  # the admin is not limited
