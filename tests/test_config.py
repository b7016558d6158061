"""planchat/config.py: the one RetrievalMode, and settings that fail at
start-up with a sentence naming the variable."""

from __future__ import annotations

import os

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
