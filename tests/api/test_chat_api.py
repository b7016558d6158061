"""The chat endpoints: conversations (history or conversation_id),
/v1/ask/stream (SSE), the OpenAI-compatible /v1/chat/completions and
/v1/models, CORS and the widget files, through FastAPI's TestClient."""

from __future__ import annotations

import json
import re

import pytest
from conftest import REAL_EMBEDDER, make_settings
from expected import (
    ANSWER_KEYS,
    FOLLOWUP_FIRST_Q,
    FOLLOWUP_Q,
    FOLLOWUP_RESOLVED,
    JAMMERBUGT_36,
    JAMMERBUGT_228,
    JAMMERBUGT_Q,
)
from fastapi.testclient import TestClient

from api.app import create_app

HEX32 = re.compile(r"[0-9a-f]{32}")


def client_for(settings, index) -> TestClient:
    return TestClient(create_app(settings, index=index), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    # bm25 over the hash index: the mode that answers without the real model.
    return client_for(make_settings(tmp_path_factory.mktemp("chat"), retrieval_mode="bm25"), hash_index)


@pytest.fixture(scope="module")
def real_client(real_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("chat-real"), embedder=REAL_EMBEDDER)
    return client_for(settings, real_index)


def events(text: str) -> list[tuple[str, dict]]:
    """Parse a text/event-stream body into (event, data) pairs."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], json.loads(lines["data"])))
    return out


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def owner(answer: dict) -> dict:
    """The header that reaches the conversation ``answer`` started (issue 17: an id alone does not)."""
    return {"X-Conversation-Token": answer["conversation_token"]}


# -- conversations -------------------------------------------------------------


def test_an_answer_is_stored_as_the_first_turn_of_a_new_conversation(client):
    body = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert set(body) == ANSWER_KEYS
    assert HEX32.fullmatch(body["conversation_id"])
    assert (body["question"], body["carried"], body["generator"], body["fallback_reason"], body["notice"]) == (
        FOLLOWUP_FIRST_Q, [], "extractive", None, None
    )  # fmt: skip
    stored = client.get(f"/v1/conversations/{body['conversation_id']}", headers=owner(body))
    assert stored.status_code == 200
    turns = stored.json()["turns"]
    assert [(t["question"], t["resolved_question"]) for t in turns] == [(FOLLOWUP_FIRST_Q, FOLLOWUP_FIRST_Q)]
    assert turns[0]["answer"] == {
        **body,
        "conversation_token": None,
    }  # citations survive a reload; the token is not stored


def test_a_follow_up_in_a_conversation_carries_municipality_and_year(client):
    first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    second = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": first["conversation_id"]},
                         headers=owner(first)).json()  # fmt: skip
    assert (second["conversation_id"], second["question"], second["carried"]) == (
        first["conversation_id"], FOLLOWUP_RESOLVED, ["municipality", "year"]
    )  # fmt: skip
    assert (second["municipalities"], second["years"]) == (["Jammerbugt"], [2014])
    assert {c["municipality"] for c in second["citations"]} == {"Jammerbugt"}
    turns = client.get(f"/v1/conversations/{first['conversation_id']}", headers=owner(first)).json()["turns"]
    assert [t["resolved_question"] for t in turns] == [FOLLOWUP_FIRST_Q, FOLLOWUP_RESOLVED]


def test_history_in_the_request_is_stateless(client):
    history = [{"role": "user", "content": FOLLOWUP_FIRST_Q}, {"role": "assistant", "content": "…"}]
    body = client.post("/v1/ask", json={"question": FOLLOWUP_Q, "history": history}).json()
    assert (body["conversation_id"], body["question"], body["municipalities"]) == (
        None, FOLLOWUP_RESOLVED, ["Jammerbugt"]
    )  # fmt: skip


@pytest.mark.parametrize(
    "body, status, code, message",
    [
        (
            {"question": FOLLOWUP_Q, "conversation_id": "0" * 32, "history": [{"role": "user", "content": "x"}]},
            400,
            "invalid_request",
            "history and conversation_id: send one of them. history keeps the conversation in the client; "
            "conversation_id keeps it on the server.",
        ),
        (
            {"question": FOLLOWUP_Q, "conversation_id": "0" * 32},
            404,
            "not_found",
            f"conversation_id: no conversation '{'0' * 32}' for this request: it expired after 168 hours idle, was "
            "deleted, never existed, or the X-Conversation-Token header (given when it was created) is missing or "
            "wrong. Omit it to start a new one.",
        ),
        (
            {"question": FOLLOWUP_Q, "conversation_id": "../etc"},
            400,
            "invalid_request",
            "conversation_id: not a planchat conversation id (32 hex characters, as a previous answer returned). "
            "Omit it to start a new conversation.",
        ),
        (
            {"question": FOLLOWUP_Q, "history": [{"role": "robot", "content": "x"}]},
            400,
            "invalid_request",
            "history.0.role: Input should be 'user', 'assistant' or 'system'.",
        ),
        (
            {"question": FOLLOWUP_Q, "history": [{"role": "user", "content": "x"}] * 51},
            400,
            "invalid_request",
            "history: at most 50 messages; got 51. Send only the recent part of the conversation.",
        ),
        (
            {"question": FOLLOWUP_Q, "history": [{"role": "user", "content": "x" * 20_001}]},
            400,
            "invalid_request",
            "history[0].content: is 20001 characters; the limit is 20000.",
        ),
    ],  # fmt: skip
    ids=["both", "unknown-id", "bad-id", "bad-role", "too-many", "too-long"],
)
def test_bad_conversation_input_is_a_clear_4xx(client, body, status, code, message):
    assert error(client.post("/v1/ask", json=body)) == (status, code, message)
    assert error(client.post("/v1/ask/stream", json=body)) == (status, code, message)


def test_a_deleted_conversation_is_gone(client):
    first = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    cid = first["conversation_id"]
    assert client.delete(f"/v1/conversations/{cid}", headers=owner(first)).status_code == 204
    assert client.get(f"/v1/conversations/{cid}", headers=owner(first)).status_code == 404
    assert client.delete(f"/v1/conversations/{cid}", headers=owner(first)).status_code == 404


# -- /v1/ask/stream --------------------------------------------------------------


def test_stream_sends_meta_then_pieces_then_the_full_answer(client):
    response = client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    stream = events(response.text)
    names = [name for name, _ in stream]
    assert names[0] == "meta" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) - 2 > 1  # the answer arrives in several pieces
    meta, done = stream[0][1], stream[-1][1]
    assert meta == {"conversation_id": done["conversation_id"], "conversation_token": done["conversation_token"],
                    "question": FOLLOWUP_FIRST_Q, "carried": [],
                    "municipalities": ["Jammerbugt"], "years": [2014]}  # fmt: skip
    assert "".join(data["text"] for name, data in stream if name == "delta") == done["answer"]
    assert set(done) == ANSWER_KEYS
    plain = client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    for key in ("answer", "citations", "targets", "abstained", "municipalities", "years"):
        assert done[key] == plain[key]


def test_stream_continues_a_conversation(client):
    first = events(client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q}).text)[-1][1]
    follow = events(client.post("/v1/ask/stream", json={"question": FOLLOWUP_Q,
                                                         "conversation_id": first["conversation_id"]},
                                headers=owner(first)).text)  # fmt: skip
    assert follow[0][1]["question"] == FOLLOWUP_RESOLVED
    assert follow[-1][1]["municipalities"] == ["Jammerbugt"]


def test_an_error_after_the_stream_started_is_an_error_event(hash_index, tmp_path):
    app = create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index)

    def broken(query, k):
        raise RuntimeError("disk on fire")

    app.state.service.retrieve = broken
    response = TestClient(app, raise_server_exceptions=False).post("/v1/ask/stream", json={"question": JAMMERBUGT_Q})
    assert response.status_code == 200
    stream = events(response.text)
    assert [name for name, _ in stream] == ["meta", "error"]
    assert stream[1][1] == {"error": {"code": "internal_error",
                                      "message": "Something went wrong on our side; the error was logged."},
                            "status": 500}  # fmt: skip


# -- OpenAI-compatible -----------------------------------------------------------


def test_models_lists_planchat(client):
    assert client.get("/v1/models").json() == {
        "object": "list",
        "data": [{"id": "planchat", "object": "model", "created": 1700000000, "owned_by": "planchat"}],
    }


def test_chat_completion_carries_markers_sources_and_the_structured_answer(client):
    response = client.post("/v1/chat/completions", json={
        "model": "planchat", "temperature": 0.2, "user": "x",
        "messages": [{"role": "system", "content": "Svar kort."},
                     {"role": "user", "content": [{"type": "text", "text": FOLLOWUP_FIRST_Q}]}],
    })  # fmt: skip
    assert response.status_code == 200
    body = response.json()
    assert (body["object"], body["model"], body["choices"][0]["finish_reason"]) == (
        "chat.completion",
        "planchat",
        "stop",
    )
    structured = body["planchat"]
    assert set(structured) == ANSWER_KEYS and structured["conversation_id"] is None
    content = body["choices"][0]["message"]["content"]
    assert content.startswith(structured["answer"] + "\n\nKilder:\n[1] Jammerbugt 2014")
    for c in structured["citations"]:
        assert f"[{c['n']}] Jammerbugt 2014" in content and f"«{c['quote']}»" in content
    u = body["usage"]
    assert u["total_tokens"] == u["prompt_tokens"] + u["completion_tokens"] and u["completion_tokens"] > 0


def test_chat_completion_uses_earlier_messages_as_history(client):
    body = client.post("/v1/chat/completions", json={"model": "planchat", "messages": [
        {"role": "user", "content": FOLLOWUP_FIRST_Q}, {"role": "assistant", "content": "…"},
        {"role": "user", "content": FOLLOWUP_Q}]}).json()  # fmt: skip
    assert (body["planchat"]["question"], body["planchat"]["municipalities"]) == (FOLLOWUP_RESOLVED, ["Jammerbugt"])


def test_chat_completion_streams_openai_chunks(client):
    response = client.post(
        "/v1/chat/completions",
        json={"model": "planchat", "stream": True, "messages": [{"role": "user", "content": FOLLOWUP_FIRST_Q}]},
    )
    assert response.status_code == 200
    datas = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert [c["choices"][0]["finish_reason"] for c in chunks[1:]] == [None] * (len(chunks) - 2) + ["stop"]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    structured = chunks[-1]["planchat"]
    assert text.startswith(structured["answer"] + "\n\nKilder:\n[1] Jammerbugt 2014")


@pytest.mark.parametrize(
    "body, status, message",
    [
        (
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
            404,
            "model: 'gpt-4o' does not exist; use 'planchat' (GET /v1/models).",
        ),
        ({"model": "planchat", "messages": []}, 400, "messages: must hold at least one user message."),
        (
            {"model": "planchat", "messages": [{"role": "system", "content": "x"}]},
            400,
            "messages: must hold at least one user message (the question).",
        ),
        (
            {"model": "planchat", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            400,
            "messages[0].content: only text parts are supported (no images or files).",
        ),
        ({"model": "planchat", "messages": ["hej"]}, 400, "messages[0]: must be an object with a role."),
        (
            {"model": "planchat", "messages": [{"role": "user", "content": ""}]},
            400,
            "question: must not be empty. Ask something about the plans.",
        ),
        (
            {
                "model": "planchat",
                "messages": [{"role": "user", "content": "x"}],
                "planchat": {"municipalities": ["Aarhus"]},
            },
            400,
            "municipalities: 'Aarhus' is not in the corpus. Known municipalities: "
            "Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Rebild, Vejle.",
        ),
    ],  # fmt: skip
    ids=["unknown-model", "no-messages", "no-user", "image", "not-object", "empty", "bad-filter"],
)
def test_bad_chat_completion_requests_are_clear_4xx(client, body, status, message):
    response = client.post("/v1/chat/completions", json=body)
    assert (response.status_code, response.json()["error"]["message"]) == (status, message)


# -- CORS and the widget files ---------------------------------------------------------


def test_cors_allows_only_the_configured_sites(hash_index, tmp_path):
    settings = make_settings(tmp_path, retrieval_mode="bm25", cors_origins=["https://jobcenter.example.dk"])
    client = client_for(settings, hash_index)
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    allowed = client.options("/v1/ask/stream", headers={"Origin": "https://jobcenter.example.dk", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://jobcenter.example.dk"
    other = client.options("/v1/ask/stream", headers={"Origin": "https://evil.example.com", **preflight})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    simple = client.get("/v1/models", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in simple.headers


def test_without_configured_sites_no_cross_origin_access(client):
    response = client.get("/v1/models", headers={"Origin": "https://jobcenter.example.dk"})
    assert "access-control-allow-origin" not in response.headers


def test_demo_page_embeds_the_widget_with_one_script_tag(client):
    page = client.get("/")
    assert page.status_code == 200
    assert page.text.count("<script") == 1 and 'src="/widget.js"' in page.text
    script = client.get("/widget.js")
    assert script.status_code == 200
    assert script.headers["content-type"] == "application/javascript; charset=utf-8"
    assert "/v1/ask/stream" in script.text
    # No CDN, no web fonts: nothing is loaded from another host (the page only shows the embed snippet as text).
    external = re.compile(r"""(?:<[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//)|url\(\s*["']?(?:https?:)?//|@import""")
    code = re.sub(r"/\*.*?\*/", "", script.text, flags=re.S)  # the usage comment shows the embed snippet
    assert not external.search(code) and not external.search(page.text)


# -- the real model ---------------------------------------------------------------------


@pytest.mark.integration
def test_real_follow_up_answers_about_jammerbugt(real_client):
    first = real_client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert JAMMERBUGT_228 in first["answer"]
    second = real_client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": first["conversation_id"]},
                              headers=owner(first)).json()  # fmt: skip
    assert not second["abstained"]
    assert second["question"] == FOLLOWUP_RESOLVED
    assert {c["municipality"] for c in second["citations"]} == {"Jammerbugt"}
    assert f"«{JAMMERBUGT_36}" in second["answer"]


@pytest.mark.integration
def test_real_stream_done_event_carries_the_228_citation(real_client):
    stream = events(real_client.post("/v1/ask/stream", json={"question": JAMMERBUGT_Q}).text)
    done = stream[-1][1]
    assert stream[-1][0] == "done" and JAMMERBUGT_228 in done["answer"]
    assert any(c["quote"] == JAMMERBUGT_228 for c in done["citations"])


# -- with an LLM (a real OpenAI-protocol server started by the test) ---------------------


@pytest.fixture
def llm():
    from fake_llm import FakeLLM

    with FakeLLM() as server:
        yield server


@pytest.fixture
def llm_client(llm, hash_index, tmp_path) -> TestClient:
    settings = make_settings(tmp_path, retrieval_mode="bm25", llm_base_url=llm.base_url, llm_model="fake-model",
                             llm_timeout_s=5)  # fmt: skip
    return client_for(settings, hash_index)


def test_an_llm_answer_that_verifies_is_served_with_its_citations(llm_client, llm, hash_index, tmp_path):
    from retrieval.service import AskService

    service = AskService(hash_index, make_settings(tmp_path / "s", retrieval_mode="bm25"))
    _, passages = service.ask_with_passages(FOLLOWUP_FIRST_Q)
    n = next(i for i, p in enumerate(passages, 1) if "228 personer" in p.chunk.text)
    llm.reply(f"Jammerbugt vil begrænse antallet af langtidsledige til 228 personer i december 2014 [{n}].")
    body = llm_client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert (body["generator"], body["fallback_reason"], body["notice"], body["abstained"]) == (
        "llm:fake-model", None, None, False
    )  # fmt: skip
    assert body["answer"] == "Jammerbugt vil begrænse antallet af langtidsledige til 228 personer i december 2014 [1]."
    [citation] = body["citations"]
    assert "228 personer" in citation["quote"]
    assert hash_index.docstore.clean_text(citation["doc_id"])[citation["start"] : citation["end"]] == citation["quote"]
    assert "generate" in body["timings_ms"]
    assert len(llm.requests) == 1 and llm.requests[0].body["model"] == "fake-model"


def test_an_llm_answer_that_fails_verification_is_replaced_and_the_user_told(llm_client, llm):
    llm.reply("Jammerbugt vil have 42 langtidsledige [1].")
    body = llm_client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).json()
    assert (body["generator"], body["fallback_reason"]) == (
        "extractive",
        "unverified: number 42 is in no cited passage",
    )
    assert (
        body["notice"]
        == "Sprogmodellen gav ikke et svar, der kunne efterprøves mod kilderne, så her er de ordrette uddrag."
    )
    assert body["answer"].startswith("Jammerbugt: «")


def test_an_llm_that_errors_falls_back_in_the_stream_too(llm_client, llm):
    llm.fail(500)
    stream = events(llm_client.post("/v1/ask/stream", json={"question": FOLLOWUP_FIRST_Q}).text)
    done = stream[-1][1]
    assert stream[-1][0] == "done"
    assert (done["generator"], done["fallback_reason"]) == ("extractive", "http_error: LLM server answered HTTP 500")


def test_the_llm_condenses_a_follow_up_in_danish(llm_client, llm):
    first = llm_client.post("/v1/ask", json={"question": "Hvad er Jammerbugts mål for ledigheden?"})
    llm.requests.clear()
    llm.reply("Hvor mange må tilgangen til førtidspension højst være i Jammerbugt i 2014?")
    llm.reply("Det ved jeg ikke [9].")  # fails verification: the extractive answer is served
    body = llm_client.post("/v1/ask", json={"question": FOLLOWUP_Q, "conversation_id": first.json()["conversation_id"]},
                           headers=owner(first.json())).json()  # fmt: skip
    assert body["question"] == "Hvor mange må tilgangen til førtidspension højst være i Jammerbugt i 2014?"
    assert (body["municipalities"], body["years"], body["fallback_reason"]) == (
        ["Jammerbugt"], [2014], "unverified: [9] refers to no passage"
    )  # fmt: skip
    condense_prompt = llm.requests[0].body["messages"][-1]["content"]
    assert FOLLOWUP_Q in condense_prompt and "Hvad er Jammerbugts mål for ledigheden?" in condense_prompt


def test_a_refused_question_starts_no_conversation(hash_index, tmp_path):
    app = create_app(make_settings(tmp_path, retrieval_mode="bm25"), index=hash_index)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/v1/ask", json={"question": "x", "municipalities": ["Aarhus"]}).status_code == 400
    assert client.post("/v1/ask/stream", json={"question": ""}).status_code == 400
    assert app.state.conversations.count() == 0
    assert client.post("/v1/ask", json={"question": FOLLOWUP_FIRST_Q}).status_code == 200
    assert app.state.conversations.count() == 1


def test_a_bad_chat_message_is_named_by_its_own_position(client):
    response = client.post("/v1/chat/completions", json={"model": "planchat", "messages": [
        {"role": "system", "content": "Svar kort."}, {"role": "user", "content": "x" * 20_001},
        {"role": "user", "content": FOLLOWUP_Q}]})  # fmt: skip
    assert error(response) == (400, "invalid_request", "messages[1].content: is 20001 characters; the limit is 20000.")
