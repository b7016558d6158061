"""End to end: a real ``planchat serve`` process (uvicorn) on a free loopback
port, over a private copy of the real-model index, spoken to over HTTP.

The server is always stopped by its PID (terminate, then kill) in the
fixture's teardown. Waiting for it is a bounded poll of /healthz, never an
assertion about speed.
"""

from __future__ import annotations

import json
import os

import httpx
import pytest
from expected import (
    ANSWER_KEYS,
    FOLLOWUP_FIRST_Q,
    FOLLOWUP_Q,
    FOLLOWUP_RESOLVED,
    JAMMERBUGT_36,
    JAMMERBUGT_228,
    JAMMERBUGT_Q,
    LIST_EXAMPLES,
    list_answer,
)
from processes import ServerDidNotStart, free_port, start_server

from planchat.config import REPO_ROOT

pytestmark = pytest.mark.e2e

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
MANIFEST = json.loads((REPO_ROOT / "corpus" / "manifest.json").read_text(encoding="utf-8"))["documents"]
CORPUS_IDS = [entry["id"] for entry in MANIFEST]
STARTUP_LIMIT_S = 60


@pytest.fixture
def server(copy_of_real_data, tmp_path):
    if not PLANCHAT.exists():
        pytest.fail(f"{PLANCHAT} is missing: run `make setup` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(
        PLANCHAT_DATA_DIR=str(copy_of_real_data),
        PLANCHAT_EMBEDDER="e5-torch",
        PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"),
        PYTHONUNBUFFERED="1",
    )
    try:
        srv = start_server(
            [str(PLANCHAT), "serve", "--host", "127.0.0.1", "--port", str(port)],
            port=port, ready_path="/healthz", logs=tmp_path, env=env, cwd=tmp_path, limit_s=STARTUP_LIMIT_S,
        )  # fmt: skip
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        yield client


def test_startup_finds_the_copied_index_unchanged(server, http, real_index):
    health = http.get("/healthz").json()
    assert health == {
        "status": "ok",
        "documents": 5,
        "chunks": len(real_index.docstore.chunk_ids()),
        "embedder": "e5-torch-multilingual-e5-small-q4",
        "chroma": "embedded",
        "retrieval_mode": "hybrid",
    }
    lines = server.stdout().splitlines()
    reports = [line for line in lines if line.split(" ", 1)[0] in ("added", "updated", "unchanged", "removed")]
    assert [line.split()[0] for line in reports] == ["unchanged"] * 5
    assert [line.split()[1].rstrip(":") for line in reports] == CORPUS_IDS
    summary = [line for line in lines if line.startswith("corpus: ")]
    assert len(summary) == 1 and summary[0].startswith(f"corpus: 5 documents, 0 changed, {health['chunks']} chunks, ")


def test_ask_over_http_returns_the_cited_jammerbugt_target(http):
    response = http.post("/v1/ask", json={"question": JAMMERBUGT_Q})
    assert response.status_code == 200, response.text
    payload = response.json()
    assert set(payload) == ANSWER_KEYS
    assert payload["abstained"] is False
    assert (payload["municipalities"], payload["years"]) == (["Jammerbugt"], [2014])
    first = payload["citations"][0]
    assert (first["n"], first["municipality"], first["doc_id"], first["role"]) == (
        1,
        "Jammerbugt",
        "jammerbugt-2014",
        "evidence",
    )
    assert first["quote"] == JAMMERBUGT_228
    assert payload["answer"].startswith(f"Jammerbugt: «{JAMMERBUGT_228}» [1]")
    assert [c["n"] for c in payload["citations"]] == list(range(1, len(payload["citations"]) + 1))


def test_empty_question_over_http_is_a_400(http):
    response = http.post("/v1/ask", json={"question": ""})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "error": {"code": "invalid_request", "message": "question: must not be empty. Ask something about the plans."}
    }


def test_demo_page_and_docs_are_served(http):
    page = http.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'lang="da"' in page.text
    docs = http.get("/docs")
    assert docs.status_code == 200
    assert docs.headers["content-type"].startswith("text/html")
    # Swagger UI from local assets; its start script (no inline script: the page's CSP) reads openapi.json.
    assert '<script src="docs/assets/init.js"></script>' in docs.text
    assert '"openapi.json"' in http.get("/docs/assets/init.js").text
    schema = http.get("/openapi.json").json()
    assert "/v1/ask" in schema["paths"]


def test_eval_against_the_running_server_scores_like_in_process(server, real_index, real_settings):
    """`planchat eval --against URL`: the same questions over HTTP give the
    same answers and scores as in-process, and quotes check out as verbatim
    against the server's own stored text."""
    from evals.runner import load_set, run_against, run_config

    questions = load_set(REPO_ROOT / "evals" / "sets" / "core.jsonl")[:12]
    remote = run_against(questions, server.base_url, "hybrid")
    local = run_config(questions, real_settings, "hybrid", real_index)
    assert [r["answer"] for r in remote["rows"]] == [r["answer"] for r in local["rows"]]
    for key in ("fact_accuracy", "citation_support", "municipality_at5", "abstention_recall"):
        assert remote["summary"][key] == local["summary"][key], key
    assert remote["summary"]["verbatim_quote_rate"] == 1.0


def test_the_official_openai_client_works_unchanged(server):
    """The `openai` package pointed at base_url=http://host:port/v1, as an
    existing chat UI would use it: models, a plain and a streamed completion,
    a follow-up through the messages, and an error it can read."""
    import openai

    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0, timeout=60)
    assert [m.id for m in client.models.list()] == ["planchat"]

    plain = client.chat.completions.create(model="planchat", messages=[{"role": "user", "content": JAMMERBUGT_Q}])
    content = plain.choices[0].message.content
    assert content.startswith(f"Jammerbugt: «{JAMMERBUGT_228}» [1]")
    assert "\n\nKilder:\n[1] Jammerbugt 2014" in content
    structured = plain.model_extra["planchat"]  # the documented extra field
    assert structured["citations"][0]["quote"] == JAMMERBUGT_228
    assert plain.usage.total_tokens == plain.usage.prompt_tokens + plain.usage.completion_tokens

    stream = client.chat.completions.create(
        model="planchat", stream=True, messages=[{"role": "user", "content": JAMMERBUGT_Q}]
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == content
    assert len(chunks) > 3 and chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["planchat"]["citations"] == structured["citations"]

    follow = client.chat.completions.create(model="planchat", messages=[
        {"role": "user", "content": FOLLOWUP_FIRST_Q},
        {"role": "assistant", "content": "…"},
        {"role": "user", "content": FOLLOWUP_Q},
    ])  # fmt: skip
    assert follow.model_extra["planchat"]["question"] == FOLLOWUP_RESOLVED
    assert f"«{JAMMERBUGT_36}" in follow.choices[0].message.content

    with pytest.raises(openai.NotFoundError) as exc:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "Hej"}])
    assert exc.value.status_code == 404
    assert exc.value.message == "Error code: 404 - model: 'gpt-4o' does not exist; use 'planchat' (GET /v1/models)."


def test_the_openai_client_reads_a_list_answer_as_markdown_lines(server):
    """Issue 14: the list's "- " lines survive the stream, and kind is in the extra field."""
    import openai

    question, municipality, intro, items = LIST_EXAMPLES["jammerbugt-ministermaal"]
    client = openai.OpenAI(base_url=f"{server.base_url}/v1", api_key="unused", max_retries=0, timeout=60)
    plain = client.chat.completions.create(model="planchat", messages=[{"role": "user", "content": question}])
    content = plain.choices[0].message.content
    assert content.split("\n\nKilder:\n")[0] == list_answer(municipality, intro, items)
    assert content.split("\n")[:5] == [
        "Jammerbugt: «De 4 beskæftigelsespolitiske ministermål for 2014 er:» [1]",
        "- «Flere unge skal have en uddannelse» [2]",
        "- «Bedre og mere helhedsorienteret hjælp til ledige på kanten af arbejds-markedet – færre personer på "
        "førtidspension» [3]",
        "- «Langtidsledigheden skal bekæmpes» [4]",
        "- «En tættere kontakt og styrket dialog med de lokale virksomheder» [5]",
    ]  # fmt: skip
    assert plain.model_extra["planchat"]["kind"] == "list"
    chunks = list(client.chat.completions.create(model="planchat", stream=True,
                                                 messages=[{"role": "user", "content": question}]))  # fmt: skip
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == content
    assert chunks[-1].model_extra["planchat"]["kind"] == "list"


def test_stream_over_http_arrives_as_server_sent_events(http):
    with http.stream("POST", "/v1/ask/stream", json={"question": JAMMERBUGT_Q}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        body = "".join(response.iter_text())
    names = [line[7:] for line in body.splitlines() if line.startswith("event: ")]
    assert names[0] == "meta" and names[-1] == "done" and names.count("delta") > 1
    done = json.loads(body.rstrip().rsplit("data: ", 1)[1])
    assert done["citations"][0]["quote"] == JAMMERBUGT_228
