"""The HTTP API fuzzed against its own OpenAPI schema (schemathesis), and the
regressions it and the probing around it found.

The property: whatever a client sends, the reply is never a 5xx (bad input
is a 4xx ``{"error": {"code", "message"}}``), a streamed answer never ends
in an ``internal_error`` event, and every reply matches the schema (status
code, content type, body, headers). It runs over the session's hash index in
bm25 mode (the mode that answers over it, as in test_app.py), in-process
through ASGI, bounded so it stays a unit test: a fixed seed, deterministic
generation, 25 examples per operation in the fuzzing phase (plus
schemathesis's examples and coverage phases), no deadline, no example
database. About 10 s.

It also checks that a 405 names the allowed methods (Allow header; the
run found api/errors.py dropped the header Starlette sets). Left out on
purpose, as they fail on behaviour that is right:
``positive_data_acceptance``
(a schema-valid municipality such as "" is not in the corpus, and the 400 is
right: the schema cannot list the corpus); ``negative_data_rejection``
(pydantic reads ``?year=2014.0`` as 2014, as JSON Schema's integer does).
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from conftest import CORPUS, make_settings
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api import streaming
from api.app import create_app

CONFIG = {
    "seed": 20240601,
    "generation": {"mode": "all", "max-examples": 25, "deterministic": True, "database": "none"},
}

UNPAIRED = "contains characters that are not valid text (unpaired surrogates). Send UTF-8 text."
KNOWN = "Known municipalities: Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Rebild, Vejle."


# -- what the schema cannot generate -------------------------------------------

QUESTIONS = ["Hvad er Jammerbugts mål for langtidsledigheden i 2014?", "Og i Vejle?"]
MESSAGE_TEXT = st.sampled_from(QUESTIONS) | st.text(max_size=60)
TEXT_PART = st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url"]), "text": st.text(max_size=40)})
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)
MESSAGE = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "assistant", "system", "developer", "tool"]) | st.text(max_size=8),
        "content": MESSAGE_TEXT | st.lists(TEXT_PART, max_size=3) | st.none() | st.integers(),
    }
)
QUESTION = st.fixed_dictionaries({"role": st.just("user"), "content": MESSAGE_TEXT})
# OpenAI messages (the schema says list[Any]), often ending in a question as in real use.
MESSAGES = st.builds(list.__add__, st.lists(MESSAGE | JSON, max_size=4), st.lists(QUESTION, max_size=1))


def either(first, second):
    """One or the other; hypothesis draws the first branch more often (and shrinks towards it)."""
    return st.one_of(first, second)


def string_paths(value, path=()):
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict | list):
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            yield from string_paths(item, (*path, key))


def with_suffix(value, path, suffix):
    if not path:
        return value + suffix
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = with_suffix(value[path[0]], path[1:], suffix)
    return copy


def with_lone_surrogate(body):
    """The body with one of its strings ending in a lone surrogate. JSON can
    carry one (as the escape "\\ud800"), UTF-8 cannot encode it, and
    hypothesis never draws one, so without this no fuzzed body has one."""
    paths = list(string_paths(body))
    if not paths:
        return st.just(body)
    return st.tuples(st.sampled_from(paths), st.sampled_from(["\ud800", "\udcff"])).map(lambda p: with_suffix(body, *p))


def has_lone_surrogate(value) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def no_internal_error_in_stream(ctx, response, case) -> None:
    """A stream is a 200 before the answer is made, so a crash after that
    shows as an error event or a cut-off body, never as a 5xx status."""
    if response.status_code == 200 and "text/event-stream" in response.headers.get("content-type", [""])[0]:
        assert response.content, "an empty 200 event stream (it broke before its first event)"
        assert b'"internal_error"' not in response.content, f"the stream reported an internal error:\n{response.text}"


CHECKS = [
    not_a_server_error,
    no_internal_error_in_stream,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    unsupported_method,
]


# -- the fuzzing ---------------------------------------------------------------


@pytest.fixture(scope="module")
def app(hash_index, tmp_path_factory):
    return create_app(make_settings(tmp_path_factory.mktemp("schemathesis"), retrieval_mode="bm25"), index=hash_index)


@pytest.fixture(scope="module")
def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def api_schema(app, hash_index):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=schemathesis.Config.from_dict(CONFIG))

    # Schema-valid requests mostly get a value the schema cannot describe
    # (the one model name, ids in the index, years with ministermål, OpenAI
    # messages: ``messages`` is list[Any]), so fuzzing also reaches the code
    # behind the first check. Schema-violating ones stay as generated (this
    # could make them valid: a missing model added). Some JSON bodies, valid
    # or not, get a lone surrogate.
    doc_ids = st.sampled_from(sorted(hash_index.documents))
    conversation_ids = st.text("0123456789abcdef", min_size=32, max_size=32)

    def steered(case):
        path = case.operation.path
        if path == "/v1/chat/completions" and isinstance(case.body, dict) and not has_lone_surrogate(case.body):
            return MESSAGES.map(lambda m: ("body", {**case.body, "model": streaming.MODEL_ID, "messages": m}))
        if path == "/v1/ministermaal" and isinstance(case.query, dict):
            return st.sampled_from([2014, 2022, 2023]).map(lambda year: ("query", {**case.query, "year": year}))
        if "{doc_id}" in path:
            return doc_ids.map(lambda i: ("path_parameters", {**case.path_parameters, "doc_id": i}))
        if "{conversation_id}" in path:
            return conversation_ids.map(lambda i: ("path_parameters", {**case.path_parameters, "conversation_id": i}))
        return None

    def changed(case, change):
        if change is not None:
            setattr(case, *change)
        return case

    @schema.hook
    def flatmap_case(context, case):
        positive = case.meta is None or case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE
        if positive and (changes := steered(case)) is not None:
            return either(changes, st.none()).map(lambda change: changed(case, change))
        return st.just(case)

    # A body hook, not a case hook: schemathesis re-validates a case changed
    # by a case hook, with a validator that cannot read a lone surrogate (so
    # the chat steering above leaves such bodies alone).
    @schema.hook
    def flatmap_body(context, body):
        if context.operation.get_request_payload_content_types() != ["application/json"]:
            return st.just(body)  # multipart (uploads) is sent as UTF-8, which has no lone surrogates
        return either(st.just(body), with_lone_surrogate(body))

    return schema


@pytest.fixture(autouse=True)
def _pytest_9_2_node_id(request):
    # schemathesis 4.32.5's from_fixture renames the running test through
    # Node._nodeid, which pytest 9.2 no longer has (AttributeError). This
    # node having the attribute is enough; each operation is still its own subtest.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


schema = schemathesis.pytest.from_fixture("api_schema")


def test_every_operation_is_fuzzed(app, api_schema):
    # None is left out, by us or by schemathesis (say, for a part of the schema it cannot read).
    documented = {f"{method.upper()} {path}" for path, methods in app.openapi()["paths"].items() for method in methods}
    assert {operation.ok().label for operation in api_schema.get_all_operations()} == documented


@schema.parametrize()
def test_no_input_makes_a_server_error(case):
    case.call_and_validate(checks=CHECKS)


def test_fuzzing_left_the_shared_index_alone(hash_index):
    # The fuzzed app has no API key, so every write (upload, delete) is a
    # 403 and the session's index, which every other test reads, is as built.
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert sorted(hash_index.documents) == sorted(entry["id"] for entry in manifest)


# -- what it found: lone surrogates were 500s ----------------------------------


def post(client: TestClient, path: str, body: dict):
    # ASCII-escaped JSON, as a client sends a lone surrogate ("\ud800").
    return client.post(path, content=json.dumps(body), headers={"content-type": "application/json"})


def error(response) -> tuple[int, str, str]:
    assert list(response.json()) == ["error"], response.text
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


def test_unknown_model_with_a_lone_surrogate_is_a_404(client):
    # Found by the fuzzer: the 404's message quotes the model, and the
    # error reply could not be encoded (500).
    response = post(client, "/v1/chat/completions", {"model": "\ud800", "messages": []})
    assert error(response) == (404, "not_found", "model: '\\ud800' does not exist; use 'planchat' (GET /v1/models).")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/ask", {"question": "Hvad er målet?", "municipalities": ["\ud800"]}),
        ("/v1/ask/stream", {"question": "Hvad er målet?", "municipalities": ["\ud800"]}),
        ("/v1/compare", {"topic": "ledighed", "municipalities": ["\ud800"]}),
        (
            "/v1/chat/completions",
            {"model": "planchat", "messages": [{"role": "user", "content": "Hvad er målet?"}],
             "planchat": {"municipalities": ["\ud800"]}},
        ),
    ],
    ids=["ask", "ask-stream", "compare", "chat"],
)  # fmt: skip
def test_unknown_municipality_with_a_lone_surrogate_is_a_400(client, path, body):
    # Found by the fuzzer in longer runs (on /v1/ask/stream): the message
    # quotes the name, and the error reply could not be encoded (500).
    assert error(post(client, path, body)) == (
        400, "unknown_filter", f"municipalities: '\\ud800' is not in the corpus. {KNOWN}"
    )  # fmt: skip


def test_topic_with_a_lone_surrogate_is_a_400(client):
    # Found by the fuzzer: the reply echoes the topic and could not be encoded (500).
    response = post(client, "/v1/compare", {"topic": "ledighed\ud800"})
    assert error(response) == (400, "invalid_request", f"topic: {UNPAIRED}")


HISTORY = [
    {"role": "user", "content": "Hvad er Vejles mål for langtidsledige\ud800?"},
    {"role": "assistant", "content": "Vejle: «...» [1]"},
]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/ask", {"question": "Og i Rebild?", "history": HISTORY}, "history"),
        ("/v1/ask/stream", {"question": "Og i Rebild?", "history": HISTORY}, "history"),
        ("/v1/chat/completions",
         {"model": "planchat", "messages": [*HISTORY, {"role": "user", "content": "Og i Rebild?"}]}, "messages"),
        ("/v1/chat/completions",
         {"model": "planchat", "stream": True, "messages": [*HISTORY, {"role": "user", "content": "Og i Rebild?"}]},
         "messages"),
    ],
    ids=["ask", "ask-stream", "chat", "chat-stream"],
)  # fmt: skip
def test_history_with_a_lone_surrogate_is_a_400(client, path, body, field):
    # Found by probing: the follow-up carries the earlier question's topic
    # into the answered question, which the reply echoes: a 500, and on the
    # streams a 200 that broke before its first event.
    assert error(post(client, path, body)) == (400, "invalid_request", f"{field}[0].content: {UNPAIRED}")


# -- extremes that already were 4xx, pinned -------------------------------------


HUGE = 10**30
EXTREMES = [
    ("ministermaal-year", "GET", f"/v1/ministermaal?year={HUGE}", None, (404, "not_found",
     f"year: no plan in the corpus lists the ministermål for {HUGE}. Years with listed goals: 2014, 2022, 2023.")),
    ("ask-top_k", "POST", "/v1/ask", {"question": "Hvad er målet?", "top_k": HUGE}, (400, "invalid_request",
     f"top_k: must be between 1 and 20; got {HUGE}.")),
    ("ask-years", "POST", "/v1/ask", {"question": "Hvad er målet?", "years": [HUGE]}, (400, "unknown_filter",
     f"years: no plan covers {HUGE}. Years in the corpus: 2010, 2011, 2014, 2020, 2021, 2022, 2023.")),
    ("document-nul", "GET", "/v1/documents/%00/text", None, (404, "not_found",
     "doc_id: no document '\x00' in the index. GET /v1/documents lists them.")),
    ("conversation-long", "GET", "/v1/conversations/" + "a" * 5000, None, (400, "invalid_request",
     "conversation_id: not a planchat conversation id (32 hex characters, as a previous answer returned). "
     "Omit it to start a new conversation.")),
    ("chat-nested", "POST", "/v1/chat/completions",
     {"model": "planchat", "messages": [{"role": "user", "content": [[1]]}]},
     (400, "invalid_request", "messages[0].content: only text parts are supported (no images or files).")),
    ("chat-many", "POST", "/v1/chat/completions",
     {"model": "planchat", "messages": [{"role": "user", "content": "x"}] * 1000},
     (400, "invalid_request",
      "messages: at most 50 messages; got 1000. Send only the recent part of the conversation.")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"), [e[1:] for e in EXTREMES], ids=[e[0] for e in EXTREMES]
)
def test_extremes_are_a_4xx_with_a_message(client, method, path, body, expected):
    response = client.request(method, path, json=body) if body is not None else client.request(method, path)
    assert error(response) == expected
