"""Shared fixtures.

Two indexes of the real seed corpus are built once per test session:
- ``hash_index``: the deterministic hash embedder (fast; for unit tests);
- ``real_index``: the bundled multilingual-e5-small (e5-torch) and real
  embedded Chroma, as in production. Its passage embeddings are cached by
  content hash in ``.cache/test-embeddings.sqlite3`` (git-ignored), so only
  the first run on a machine pays the ~1 minute of embedding.
Tests that write build their own small index in ``tmp_path``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from planchat.config import REPO_ROOT, Settings

# bench/ is not a package: its helpers (processes, synth) are imported by module name, as bench's scripts do.
sys.path.insert(0, str(REPO_ROOT / "bench"))

SHARED_PDFS = REPO_ROOT.parent / "shared" / "pdfs"
CORPUS = REPO_ROOT / "corpus"
TEST_CACHE = REPO_ROOT / ".cache"
# The production default (planchat/config.py): the real model every integration test uses.
REAL_EMBEDDER = "e5-torch"


def make_settings(data_dir: Path, embedder: str = "hash", **overrides) -> Settings:
    # No rate limits unless a test asks for them: module-wide test clients ask far more than 60
    # questions a minute, and several apps share one data dir (and so one counter file).
    limits = {"rate_limit_per_minute": 0, "conversations_per_hour": 0}
    return Settings(data_dir=data_dir, embedder=embedder, corpus_dir=CORPUS, **{**limits, **overrides})


@pytest.fixture(scope="session")
def hash_settings(tmp_path_factory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("hash-index"))


@pytest.fixture(scope="session")
def hash_index(hash_settings):
    from ingest.index import PlanIndex

    index = PlanIndex(hash_settings)
    index.sync_corpus(hash_settings.corpus_dir)
    return index


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory) -> Settings:
    TEST_CACHE.mkdir(exist_ok=True)
    return make_settings(
        tmp_path_factory.mktemp("real-index"),
        embedder=REAL_EMBEDDER,
        embedding_cache=TEST_CACHE / "test-embeddings.sqlite3",
    )


@pytest.fixture(scope="session")
def real_index(real_settings):
    from ingest.index import PlanIndex

    index = PlanIndex(real_settings)
    index.sync_corpus(real_settings.corpus_dir)
    return index


@pytest.fixture(scope="session")
def real_service(real_index, real_settings):
    from retrieval.service import AskService

    return AskService(real_index, real_settings)


@pytest.fixture(scope="session")
def hash_service(hash_index, hash_settings):
    from retrieval.service import AskService

    return AskService(hash_index, hash_settings)


@pytest.fixture
def copy_of_real_data(real_index, real_settings, tmp_path) -> Path:
    """A private copy of the real index's data dir (for a separate process)."""
    target = tmp_path / "data"
    shutil.copytree(real_settings.data_dir, target)
    shutil.copy(real_settings.embedding_cache_path, target / "embedding-cache.sqlite3")
    return target


@pytest.fixture(scope="session")
def shared_pdfs() -> Path:
    if not SHARED_PDFS.is_dir():
        pytest.fail(f"{SHARED_PDFS} is missing: the real-world PDFs live in ../shared/pdfs beside the repo")
    return SHARED_PDFS


def ocr_missing() -> str | None:
    """Why this machine cannot run OCR (ingest/ocr.py), or None. `make setup` installs
    tesseract-ocr, tesseract-ocr-dan and poppler-utils, so CI runs every OCR test."""
    from ingest.ocr import PageOcr

    return PageOcr().unavailable()


requires_ocr = pytest.mark.skipif(ocr_missing() is not None, reason=f"needs OCR: {ocr_missing()}")
