"""Bounded work per request (issue 17, finding 3), through FastAPI's
TestClient: the attacker's requests from the issue are refused before any
work is done on them, with a 4xx that names the cap. The same requests over
real HTTP are in tests/e2e/test_privacy_and_limits.py."""

from __future__ import annotations

import pytest
from conftest import make_settings
from expected import FOLLOWUP_FIRST_Q, FOLLOWUP_Q, FOLLOWUP_RESOLVED
from fastapi.testclient import TestClient

from api.app import create_app

# The 240 KB body: 12 history messages of 20,000 characters (each at the per-message limit).
LONG_QUESTION = ("Hvor mange langtidsledige må der højst være i Jammerbugt i 2014? " * 400)[:20_000]
HUGE_HISTORY = [{"role": "user", "content": LONG_QUESTION}] * 12
HISTORY_413 = (
    413, "payload_too_large",
    "history: 240000 characters in all; the limit is 20000 (PLANCHAT_MAX_HISTORY_CHARS). "
    "Send only the recent part of the conversation.",
)  # fmt: skip


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("bounded"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def error(response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


@pytest.mark.parametrize("path", ["/v1/ask", "/v1/ask/stream"])
def test_a_240_kb_history_is_a_413_that_names_the_cap(client, path):
    body = {"question": FOLLOWUP_Q, "history": HUGE_HISTORY}
    assert 240_000 < len(str(body).encode()) < 256 * 1024  # under the body limit: the history cap must catch it
    assert error(client.post(path, json=body)) == HISTORY_413


def test_chat_messages_over_the_total_cap_are_a_413(client):
    messages = [*HUGE_HISTORY, {"role": "user", "content": FOLLOWUP_Q}]
    response = client.post("/v1/chat/completions", json={"model": "planchat", "messages": messages})
    assert error(response) == (
        413, "payload_too_large",
        f"messages: {240_000 + len(FOLLOWUP_Q)} characters in all; the limit is 20000 (PLANCHAT_MAX_HISTORY_CHARS). "
        "Send only the recent part of the conversation.",
    )  # fmt: skip


@pytest.mark.parametrize("stream", [False, True])
def test_5000_system_messages_are_a_400_naming_the_cap(client, stream):
    messages = [{"role": "system", "content": "Svar kort."}] * 5000 + [{"role": "user", "content": FOLLOWUP_Q}]
    response = client.post("/v1/chat/completions", json={"model": "planchat", "messages": messages, "stream": stream})
    assert error(response) == (
        400, "invalid_request", "messages: at most 50 messages; got 5001. Send only the recent part of the conversation."
    )  # fmt: skip


@pytest.mark.parametrize(
    "path",
    ["/v1/targets?" + "&".join(["municipality=Vejle"] * 3000),
     "/v1/targets?" + "&".join(["year=2014"] * 3000),
     "/v1/ministermaal?year=2022&" + "&".join(["municipality=Vejle"] * 3000)],
    ids=["targets-municipality", "targets-year", "ministermaal-municipality"],
)  # fmt: skip
def test_3000_repeated_filter_values_are_a_400_naming_the_cap(client, path):
    name = "year" if "year=2014" in path else "municipality"
    assert error(client.get(path)) == (400, "invalid_request", f"{name}: at most 50 values; got 3000.")


def test_50_filter_values_are_still_accepted(client):
    response = client.get("/v1/targets?" + "&".join(["municipality=Vejle"] * 50))
    assert response.status_code == 200
    assert {t["municipality"] for t in response.json()["targets"]} == {"Vejle"}


def test_only_the_last_questions_of_a_history_are_analysed(client):
    """A follow-up reads the last six questions of the history: the municipality
    of a seventh-to-last question no longer reaches it, one sixth-to-last does."""
    first = {"role": "user", "content": FOLLOWUP_FIRST_Q}
    between = {"role": "user", "content": "Hvad er målet for sygedagpenge?"}

    def ask(history):
        return client.post("/v1/ask", json={"question": FOLLOWUP_Q, "history": history}).json()

    carried = ask([first, *[between] * 5])
    assert (carried["question"], carried["municipalities"]) == (FOLLOWUP_RESOLVED, ["Jammerbugt"])
    lost = ask([first, *[between] * 6])
    assert (lost["question"], lost["carried"], lost["municipalities"]) == (FOLLOWUP_Q, [], [])


# -- the time budget of the heavy endpoints -----------------------------------------------------------------

SPENT = "took longer than this server's budget of 30 s per request (PLANCHAT_REQUEST_BUDGET_S)."


@pytest.fixture
def spent(hash_index, tmp_path_factory):
    """An app whose requests arrive with their 30 s budget already spent (as if the work had taken 31 s)."""
    import time

    from api.deps import get_deadline
    from planchat.deadline import Deadline

    settings = make_settings(tmp_path_factory.mktemp("budget"), retrieval_mode="bm25", request_budget_s=30)
    app = create_app(settings, index=hash_index)
    app.dependency_overrides[get_deadline] = lambda: Deadline(30, started=time.monotonic() - 31)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(
    "method, path, body, what",
    [
        ("POST", "/v1/compare", {"topic": "langtidsledighed"}, "Comparing 5 plans"),
        ("GET", "/v1/ministermaal?year=2014", None, "The ministermål matrix for 2014 (4 goals × 1 plan)"),
    ],
)
def test_a_heavy_request_over_its_time_budget_is_a_503_that_says_to_narrow_it(spent, method, path, body, what):
    status, code, message = error(spent.request(method, path, json=body))
    assert (status, code) == (503, "time_budget_exceeded")
    assert message.startswith(f"{what} {SPENT}")


def test_the_budget_comes_from_the_settings_and_0_means_none(hash_index, tmp_path_factory):
    from starlette.requests import Request

    from api.deps import get_deadline

    for budget, expected in ((30, 30), (0, None)):
        settings = make_settings(tmp_path_factory.mktemp("budget-setting"), retrieval_mode="bm25",
                                 request_budget_s=budget)  # fmt: skip
        app = create_app(settings, index=hash_index)
        assert get_deadline(Request({"type": "http", "app": app})).seconds == expected
