"""planchat/config.py: the one RetrievalMode, and settings that fail at
start-up with a sentence naming the variables."""

from __future__ import annotations

import os
import re

import pytest

from planchat.config import RetrievalMode, Settings
from planchat.errors import ConfigurationError


@pytest.fixture
def env(monkeypatch, tmp_path):
    """Only the variables a test sets: nothing the calling shell set may leak in."""
    for name in list(os.environ):
        if name.startswith("PLANCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLANCHAT_DATA_DIR", str(tmp_path))
    return monkeypatch


def test_the_retrieval_modes():
    assert [m.value for m in RetrievalMode] == ["hybrid", "bm25", "dense"]
    assert Settings.model_fields["retrieval_mode"].default is RetrievalMode.HYBRID


def test_the_retrieval_mode_is_read_from_the_environment(env):
    env.setenv("PLANCHAT_RETRIEVAL_MODE", "bm25")
    mode = Settings().retrieval_mode
    assert mode is RetrievalMode.BM25 and mode == "bm25" and f"{mode}" == "bm25"


@pytest.mark.parametrize("value", ["fast", "Hybrid", ""])
def test_an_unknown_retrieval_mode_fails_at_start_up(env, value):
    env.setenv("PLANCHAT_RETRIEVAL_MODE", value)
    with pytest.raises(
        ConfigurationError,
        match=rf"^PLANCHAT_RETRIEVAL_MODE='{value}' is not a known retrieval mode; use one of hybrid, bm25, dense\.$",
    ) as caught:
        Settings()
    assert (caught.value.code, caught.value.status) == ("configuration_error", 500)


def test_the_cli_prints_a_configuration_error_as_one_line(env, capsys):
    from planchat.cli import main

    env.setenv("PLANCHAT_RETRIEVAL_MODE", "fast")
    assert main(["documents", "list"]) == 2
    assert capsys.readouterr() == (
        "",
        "error: PLANCHAT_RETRIEVAL_MODE='fast' is not a known retrieval mode; use one of hybrid, bm25, dense.\n",
    )


CONTRADICTIONS = [
    (
        {"PLANCHAT_LLM_BASE_URL": "http://127.0.0.1:11434/v1"},
        "PLANCHAT_LLM_BASE_URL is set but PLANCHAT_LLM_MODEL is empty: set the model the LLM server should run "
        "(e.g. llama3.1:8b), or unset PLANCHAT_LLM_BASE_URL for extractive answers only.",
    ),
    (
        {"PLANCHAT_LLM_MODEL": "llama3.1:8b"},
        "PLANCHAT_LLM_MODEL is set but PLANCHAT_LLM_BASE_URL is empty: set the LLM server's URL "
        "(e.g. http://127.0.0.1:11434/v1), or unset PLANCHAT_LLM_MODEL for extractive answers only.",
    ),
    (
        {"PLANCHAT_TOP_K": "21"},
        "PLANCHAT_TOP_K=21 is above PLANCHAT_MAX_TOP_K=20, so every request without its own top_k would be "
        "refused. Lower PLANCHAT_TOP_K or raise PLANCHAT_MAX_TOP_K.",
    ),
    (
        {"PLANCHAT_TOP_K": "8", "PLANCHAT_MAX_TOP_K": "5"},
        "PLANCHAT_TOP_K=8 is above PLANCHAT_MAX_TOP_K=5, so every request without its own top_k would be "
        "refused. Lower PLANCHAT_TOP_K or raise PLANCHAT_MAX_TOP_K.",
    ),
    (
        {"PLANCHAT_PROTECT_READS": "true"},
        "PLANCHAT_PROTECT_READS=true needs PLANCHAT_READ_KEYS or PLANCHAT_API_KEY: without a key no client could "
        "read /v1. Set read keys for the readers (and PLANCHAT_API_KEY for writes), or unset PLANCHAT_PROTECT_READS.",
    ),
    (
        {"PLANCHAT_API_KEY": "s3cret-admin", "PLANCHAT_READ_KEYS": "widget-key,s3cret-admin"},
        "PLANCHAT_READ_KEYS holds PLANCHAT_API_KEY: a read key ends up in web pages (the widget's data-api-key), so "
        "it must differ from the admin key. Give the readers their own keys.",
    ),
    (
        {"PLANCHAT_EMBEDDER_MODEL": "/models/e5"},
        "PLANCHAT_EMBEDDER_MODEL is only read by PLANCHAT_EMBEDDER=sentence-transformers, but PLANCHAT_EMBEDDER "
        "is 'e5-torch'. Unset PLANCHAT_EMBEDDER_MODEL, or set PLANCHAT_EMBEDDER=sentence-transformers.",
    ),
]


@pytest.mark.parametrize("variables, message", CONTRADICTIONS, ids=["+".join(v) for v, _ in CONTRADICTIONS])
def test_contradicting_settings_fail_at_start_up(env, variables, message):
    for name, value in variables.items():
        env.setenv(name, value)
    with pytest.raises(ConfigurationError, match=f"^{re.escape(message)}$"):
        Settings()


def test_read_keys_are_comma_separated(env):
    env.setenv("PLANCHAT_READ_KEYS", " widget-key , intranet-key,,")
    assert Settings().read_keys == ["widget-key", "intranet-key"]
    env.delenv("PLANCHAT_READ_KEYS")
    assert Settings().read_keys == []


def test_the_message_never_carries_the_api_key(env):
    # A pydantic ValueError would print the whole input, PLANCHAT_API_KEY included.
    env.setenv("PLANCHAT_API_KEY", "s3cret-key")
    env.setenv("PLANCHAT_LLM_MODEL", "llama3.1:8b")
    with pytest.raises(ConfigurationError) as caught:
        Settings()
    assert "s3cret-key" not in str(caught.value) and "s3cret-key" not in repr(caught.value)


@pytest.mark.parametrize(
    "variables",
    [
        {},
        {"PLANCHAT_LLM_BASE_URL": "http://127.0.0.1:11434/v1", "PLANCHAT_LLM_MODEL": "llama3.1:8b"},
        {"PLANCHAT_TOP_K": "20"},
        {"PLANCHAT_TOP_K": "30", "PLANCHAT_MAX_TOP_K": "30"},
        {"PLANCHAT_PROTECT_READS": "true", "PLANCHAT_API_KEY": "k"},
        {"PLANCHAT_PROTECT_READS": "true", "PLANCHAT_READ_KEYS": "widget"},
        {"PLANCHAT_EMBEDDER": "sentence-transformers", "PLANCHAT_EMBEDDER_MODEL": "/models/minilm"},
        # The key wins; anonymous writes are documented as the no-key demo switch, not a contradiction.
        {"PLANCHAT_API_KEY": "k", "PLANCHAT_ALLOW_ANONYMOUS_WRITES": "true"},
    ],
)
def test_consistent_settings_start(env, variables):
    for name, value in variables.items():
        env.setenv(name, value)
    settings = Settings()
    assert settings.llm_enabled == ("PLANCHAT_LLM_MODEL" in variables)


def test_every_mode_has_a_retriever_and_the_cli_and_api_offer_exactly_these():
    from api.schemas import AskRequest, PlanchatOptions
    from planchat.cli import build_parser
    from retrieval.retrievers import RETRIEVERS

    assert set(RETRIEVERS) == set(RetrievalMode)
    modes = ["hybrid", "bm25", "dense"]
    # Inline string enum with its title, as the published OpenAPI schema had it.
    assert AskRequest.model_json_schema()["properties"]["mode"] == {
        "anyOf": [{"enum": modes, "type": "string"}, {"type": "null"}],
        "default": None,
        "description": "Retrieval mode for this request (default: the server's PLANCHAT_RETRIEVAL_MODE).",
        "title": "Mode",
    }
    assert PlanchatOptions.model_json_schema()["properties"]["mode"]["anyOf"][0] == {"enum": modes, "type": "string"}
    sub = build_parser()._subparsers._group_actions[0].choices
    choices = {
        command: next(a.choices for a in sub[command]._actions if a.dest == dest)
        for command, dest in (("ask", "mode"), ("eval", "configs"))
    }
    assert choices == {"ask": modes, "eval": modes}
