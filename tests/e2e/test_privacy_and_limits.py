"""End to end, as an attacker and as a careless user would act (issue 17,
findings 3 and 7): real uvicorn processes on loopback over a private copy of
the real-model index, spoken to over HTTP, and the widget in Chromium.

- A question, a history and OpenAI messages carrying a CPR number, an
  e-mail address and a phone number leave none of them in the conversations
  SQLite file's bytes (and its WAL), in the server's output with every logger
  at DEBUG, or in the stored turn GET returns.
- The issue's expensive requests (a 240 KB history, 5,000 system messages,
  3,000 municipality values) are refused with the 4xx naming the cap.
- The N+1st ask inside a minute is a 429 with Retry-After, and the widget
  shows a Danish sentence for it.

Servers are stopped by PID in the fixtures' teardown; waits are bounded
polls, never assertions about speed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import httpx
import pytest
from expected import FOLLOWUP_FIRST_Q, FOLLOWUP_Q, JAMMERBUGT_Q
from processes import ServerDidNotStart, free_port, start_server

from planchat.config import REPO_ROOT

pytestmark = pytest.mark.e2e

VENV = REPO_ROOT / ".venv" / "bin"
CHROMIUM = Path("/usr/bin/chromium")
# Every logger at DEBUG, to stderr: whatever any library logs, the test reads.
DEBUG_LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
    "root": {"level": "DEBUG", "handlers": ["stderr"]},
    "loggers": {name: {"level": "DEBUG", "handlers": ["stderr"], "propagate": False}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
}  # fmt: skip

CPR, EMAIL, PHONE = "010190-1234", "jens.hansen@example.dk", "+45 22 33 44 55"
PERSONAL = (CPR, "0101901234", "010190", EMAIL, "jens.hansen", "example.dk", "22 33 44 55", "22334455")
QUESTION = f"Borger {CPR} ({EMAIL}, tlf. {PHONE}) er langtidsledig. {FOLLOWUP_FIRST_Q}"


def serve(argv_tail: list[str], data: Path, work: Path, **env_extra: str):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data), PLANCHAT_EMBEDDER="e5-torch",
               PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"), PYTHONUNBUFFERED="1", **env_extra)  # fmt: skip
    argv = [part.replace("{port}", str(port)) for part in argv_tail]
    try:
        return start_server(argv, port=port, ready_path="/healthz", logs=work / "logs", env=env, cwd=work, limit_s=90)
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def debug_server(real_index, real_settings, tmp_path_factory):
    import shutil

    work = tmp_path_factory.mktemp("privacy-server")
    data = work / "data"
    shutil.copytree(real_settings.data_dir, data)
    shutil.copy(real_settings.embedding_cache_path, data / "embedding-cache.sqlite3")
    config = work / "logging.json"
    config.write_text(json.dumps(DEBUG_LOGGING), encoding="utf-8")
    srv = serve([str(VENV / "python"), "-m", "uvicorn", "api.app:create_app", "--factory", "--host", "127.0.0.1",
                 "--port", "{port}", "--log-config", str(config), "--log-level", "debug"], data, work)  # fmt: skip
    try:
        yield srv, data
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def http(debug_server):
    with httpx.Client(base_url=debug_server[0].base_url, timeout=120) as client:
        yield client


def leaks(data: bytes | str) -> list[str]:
    if isinstance(data, bytes):
        return [p for p in PERSONAL if p.encode() in data]
    return [p for p in PERSONAL if p in data]


def test_personal_data_is_nowhere_in_the_store_the_logs_or_the_stored_turn(debug_server, http):
    server, data = debug_server
    first = http.post("/v1/ask", json={"question": QUESTION})
    assert first.status_code == 200, first.text
    cid = first.json()["conversation_id"]
    token = {"X-Conversation-Token": first.json()["conversation_token"]}
    follow_up = http.post("/v1/ask/stream", json={"question": f"{FOLLOWUP_Q} Ring på {PHONE}.", "conversation_id": cid},
                          headers=token)  # fmt: skip
    assert follow_up.status_code == 200 and "event: done" in follow_up.text
    history = [{"role": "user", "content": QUESTION}, {"role": "assistant", "content": f"Skriv til {EMAIL}."}]
    stateless = http.post("/v1/ask", json={"question": f"{FOLLOWUP_Q} ({CPR})", "history": history})
    assert stateless.status_code == 200 and stateless.json()["municipalities"] == ["Jammerbugt"]
    chat = http.post(
        "/v1/chat/completions",
        json={
            "model": "planchat",
            "messages": [
                {"role": "system", "content": f"Sagsbehandler {EMAIL}"},
                *history,
                {"role": "user", "content": QUESTION},
            ],
        },
    )
    assert chat.status_code == 200, chat.text  # fmt: skip

    for response in (first, follow_up, stateless, chat):
        assert leaks(response.text) == []
    stored = http.get(f"/v1/conversations/{cid}", headers=token).json()
    assert [t["question"] for t in stored["turns"]] == [
        f"Borger [CPR] ([e-mail], tlf. [telefon]) er langtidsledig. {FOLLOWUP_FIRST_Q}",
        f"{FOLLOWUP_Q} Ring på [telefon].",
    ]
    assert leaks(json.dumps(stored, ensure_ascii=False)) == []

    on_disk = b"".join(p.read_bytes() for p in sorted(data.glob("conversations.sqlite3*")))
    assert b"[CPR]" in on_disk and leaks(on_disk) == []
    logs = server.stdout() + server.stderr()
    assert "DEBUG" in logs and "question (redacted): Borger [CPR] ([e-mail], tlf. [telefon])" in logs
    assert leaks(logs) == []
    counters = b"".join(p.read_bytes() for p in sorted(data.glob("ratelimit.sqlite3*")))
    assert b"LIMITER" in counters and b"127.0.0.1" not in counters


def test_the_issues_expensive_requests_are_refused_naming_the_cap(http):
    long_question = ("Hvor mange langtidsledige må der højst være i Jammerbugt i 2014? " * 400)[:20_000]
    huge = http.post(
        "/v1/ask", json={"question": FOLLOWUP_Q, "history": [{"role": "user", "content": long_question}] * 12}
    )
    assert (huge.status_code, huge.json()["error"]["message"]) == (413,
        "history: 240000 characters in all; the limit is 20000 (PLANCHAT_MAX_HISTORY_CHARS). "
        "Send only the recent part of the conversation.")  # fmt: skip
    system = http.post("/v1/chat/completions", json={"model": "planchat", "messages": [
        *[{"role": "system", "content": "Svar kort."}] * 5000, {"role": "user", "content": FOLLOWUP_Q}]})  # fmt: skip
    assert (system.status_code, system.json()["error"]["message"]) == (
        400, "messages: at most 50 messages; got 5001. Send only the recent part of the conversation.")  # fmt: skip
    values = http.get("/v1/targets", params=[("municipality", "Vejle")] * 3000)
    assert (values.status_code, values.json()["error"]["message"]) == (
        400,
        "municipality: at most 50 values; got 3000.",
    )
    # The server is as quick to answer a normal question as before.
    assert http.post("/v1/ask", json={"question": JAMMERBUGT_Q}).status_code == 200


# -- the rate limit over HTTP, and in the widget ---------------------------------------------------


@pytest.fixture(scope="module")
def limited_server(real_index, real_settings, tmp_path_factory):
    import shutil

    work = tmp_path_factory.mktemp("limited-server")
    data = work / "data"
    shutil.copytree(real_settings.data_dir, data)
    shutil.copy(real_settings.embedding_cache_path, data / "embedding-cache.sqlite3")
    srv = serve([str(VENV / "planchat"), "serve", "--host", "127.0.0.1", "--port", "{port}"], data, work,
                PLANCHAT_RATE_LIMIT_PER_MINUTE="2", PLANCHAT_API_KEY=ADMIN_KEY)  # fmt: skip
    try:
        yield srv
    finally:
        srv.stop()


ADMIN_KEY = "admin-key-for-evaluators"


def test_an_evaluator_with_the_admin_key_runs_a_whole_set_under_the_limit(limited_server, tmp_path):
    from evals.runner import load_set, run_against

    questions = load_set(REPO_ROOT / "evals" / "sets" / "core.jsonl")[:4]  # twice the limit of 2 a minute
    result = run_against(questions, limited_server.base_url, "hybrid", api_key=ADMIN_KEY)
    assert len(result["rows"]) == 4


def test_the_third_ask_in_a_minute_is_a_429_and_the_widget_says_so_in_danish(limited_server):
    with httpx.Client(base_url=limited_server.base_url, timeout=120) as http:
        assert [http.post("/v1/ask", json={"question": JAMMERBUGT_Q}).status_code for _ in range(2)] == [200, 200]
        refused = http.post("/v1/ask/stream", json={"question": JAMMERBUGT_Q})
    wait = int(refused.headers["retry-after"])
    assert (refused.status_code, refused.json()["error"]["code"], 1 <= wait <= 60) == (429, "rate_limited", True)
    assert refused.json()["error"]["message"].startswith("For mange spørgsmål: højst 2 i minuttet fra samme klient")

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs it (apt-get install -y --no-install-recommends chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_context(locale="da-DK").new_page()
            page.goto(limited_server.base_url + "/")
            page.locator("#planchat-question").fill(JAMMERBUGT_Q)
            page.keyboard.press("Enter")
            failed = page.locator(".planchat-bot[data-state=error]")
            failed.wait_for(timeout=60_000)
            alert = failed.get_by_role("alert").text_content()
        finally:
            browser.close()
    assert re.fullmatch(r"Spørgsmålet kunne ikke besvares\. Der er stillet for mange spørgsmål på kort tid\. "
                        r"Prøv igen om (1 sekund|\d+ sekunder)\.", alert), alert  # fmt: skip
