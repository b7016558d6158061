"""Crash safety: a process SIGKILLed in the middle of an ingest leaves an
index that, after restart, holds the document completely or not at all,
with Chroma, BM25, the document store and the targets in agreement.

Two kinds of kill, both real SIGKILLs of a real subprocess:
- at named points of the write path (the subprocess wraps one step and
  kills itself right after it, or right before the docstore COMMIT), for a
  new document and for a replacement;
- from outside, while `planchat ingest FILE` is embedding with the real
  model (the moment is whatever it is when the progress line appears).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import REAL_EMBEDDER, make_settings

from ingest.index import PlanIndex
from ingest.target_extraction import extract_targets
from planchat.config import REPO_ROOT

PLAN_V1 = "# Beskæftigelsesplan 2024\n\n" + "".join(
    f"## Afsnit {i}\n\nAntallet af langtidsledige i Aarhus skal begrænses til {100 + i} personer i december 2024.\n\n"
    for i in range(12)
)
PLAN_V2 = PLAN_V1.replace("personer", "borgere")

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from planchat.config import Settings
    from ingest.index import PlanIndex
    from ingest.uploads import upload_meta

    point, path = sys.argv[1], Path(sys.argv[2])
    index = PlanIndex(Settings())

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def after(obj, name):
        original = getattr(obj, name)
        def wrapper(*args, **kwargs):
            result = original(*args, **kwargs)
            die()
            return result
        setattr(obj, name, wrapper)

    class KillBeforeCommit:
        def __init__(self, db):
            self.db = db
        def execute(self, sql, *args):
            if sql == "COMMIT":
                die()
            return self.db.execute(sql, *args)
        def __getattr__(self, name):
            return getattr(self.db, name)

    if point == "embedding":
        after(index.embedder, "embed_passages")
    elif point == "after_vectors":
        after(index.vectors, "upsert")
    elif point == "before_commit":
        index.docstore._db = KillBeforeCommit(index.docstore._db)
    elif point == "after_commit":
        after(index.docstore, "put_document")
    elif point == "after_stale_delete":
        after(index.vectors, "delete")
    elif point == "bm25_rebuild":
        import ingest.stores.lexical as lexical
        original_save = lexical.BM25Index.save
        def save(self, directory):
            original_save(self, directory)
            die()
        lexical.BM25Index.save = save
    name, meta = upload_meta(index, path.name, "Aarhus", 2024)
    index.ingest_bytes(path.read_bytes(), name, meta)
    print("finished without being killed")
    """
)


def settings_for(data_dir: Path, embedder: str = "hash"):
    return make_settings(data_dir, embedder=embedder)


def env_for(data_dir: Path, embedder: str = "hash") -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(data_dir), PLANCHAT_EMBEDDER=embedder,
               PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"), PYTHONUNBUFFERED="1")  # fmt: skip
    return env


def kill_at(point: str, data_dir: Path, plan: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CHILD, point, str(plan)], env=env_for(data_dir), cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def assert_agrees(index: PlanIndex) -> None:
    """Chroma, BM25, the document store and the targets tell one story."""
    truth = index.docstore.chunk_ids()
    assert index.vectors.ids() == truth
    assert set(index.bm25.chunk_ids) == truth
    assert set(index.snapshot.chunks_by_id) == truth
    for doc_id in index.documents:
        chunks = index.docstore.chunks(doc_id)
        text = index.docstore.clean_text(doc_id)
        assert all(text[c.start : c.end] == c.text for c in chunks)
        expected = extract_targets(text, chunks, index.documents[doc_id])
        assert index.targets(doc_id) == expected


@pytest.fixture
def base(tmp_path) -> Path:
    """A corpus index (hash embedder) and the two plan versions on disk."""
    data = tmp_path / "data"
    index = PlanIndex(settings_for(data))
    index.sync_corpus(REPO_ROOT / "corpus")
    index.docstore.close()
    (tmp_path / "plan-v1.txt").write_text(PLAN_V1, encoding="utf-8")
    (tmp_path / "plan-v2.txt").write_text(PLAN_V2, encoding="utf-8")
    return tmp_path


def reopen(data_dir: Path) -> tuple[PlanIndex, dict]:
    index = PlanIndex(settings_for(data_dir))
    report = index.check_consistency(repair=True)
    return index, report


POINTS = {  # point -> is the new version in after the kill?
    "embedding": False,
    "after_vectors": False,
    "before_commit": False,
    "after_commit": True,
    "after_stale_delete": True,
    "bm25_rebuild": True,
}


# A new document has no stale vectors to delete: that point exists only for a replacement.
@pytest.mark.parametrize("point", [p for p in POINTS if p != "after_stale_delete"])
def test_a_new_document_is_all_there_or_not_at_all(base, point):
    result = kill_at(point, base / "data", base / "plan-v1.txt")
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    index, _ = reopen(base / "data")
    assert_agrees(index)
    if POINTS[point]:
        text = index.docstore.clean_text("aarhus-2024")
        assert all(f"til {100 + i} personer" in text for i in range(12))
        assert "".join(c.text for c in index.docstore.chunks("aarhus-2024")).count("personer i december") == 12
        assert [t.value for t in index.targets("aarhus-2024")] == [100.0 + i for i in range(12)]
    else:
        assert "aarhus-2024" not in index.documents and index.targets("aarhus-2024") == []
    assert len(index.documents) == 5 + POINTS[point]


@pytest.mark.parametrize("point", list(POINTS))
def test_a_replacement_leaves_the_old_version_or_the_new_one(base, point):
    data = base / "data"
    first = kill_at("none", data, base / "plan-v1.txt")
    assert first.returncode == 0 and "finished" in first.stdout, first.stderr
    old = PlanIndex(settings_for(data))
    old_ids = old.docstore.chunk_ids()
    old.docstore.close()
    result = kill_at(point, data, base / "plan-v2.txt")
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr
    index, _ = reopen(data)
    assert_agrees(index)
    text = index.docstore.clean_text("aarhus-2024")
    if POINTS[point]:
        assert "borgere" in text and "personer i december" not in text
    else:
        assert text.count("personer i december") == 12 and index.docstore.chunk_ids() == old_ids


def test_start_up_repairs_what_a_kill_left_behind(base):
    """The repair is visible: vectors written before the kill are removed."""
    kill_at("after_vectors", base / "data", base / "plan-v1.txt")
    index = PlanIndex(settings_for(base / "data"))
    report = index.check_consistency(repair=False)
    assert report["extra_vectors"] > 0 and report["missing_vectors"] == 0
    repaired = index.check_consistency(repair=True)
    assert repaired["repaired"] is True
    assert index.check_consistency(repair=False) == {
        "chunks": repaired["chunks"], "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True,
    }  # fmt: skip


@pytest.mark.integration
def test_planchat_ingest_killed_while_embedding_with_the_real_model(copy_of_real_data, tmp_path):
    """`planchat ingest FILE` with the real model, SIGKILLed from outside once
    its progress bar shows embedding has begun; after restart the index holds
    the corpus and nothing of the half-ingested plan."""
    plan = tmp_path / "aarhus.txt"
    plan.write_text(PLAN_V1.replace("Aarhus", "Aarhus Kommune") * 40, encoding="utf-8")
    planchat = REPO_ROOT / ".venv" / "bin" / "planchat"
    env = env_for(copy_of_real_data, REAL_EMBEDDER)
    env["PLANCHAT_EMBED_BATCH_SIZE"] = "2"
    err = tmp_path / "stderr.txt"
    with open(err, "w") as stderr:
        proc = subprocess.Popen([str(planchat), "ingest", str(plan), "--municipality", "Aarhus", "--year", "2024"],
                                env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=stderr)  # fmt: skip
        deadline = time.monotonic() + 120
        while "embedding" not in err.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, f"ingest ended before it could be killed: {err.read_text()}"
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    index = PlanIndex(make_settings(copy_of_real_data, embedder=REAL_EMBEDDER))
    index.check_consistency(repair=True)
    assert sorted(index.documents) == sorted(
        ["fredericia-2023", "jammerbugt-2014", "rebild-2022", "region-hovedstaden-sjaelland-2010", "vejle-2020-23"]
    )
    assert index.vectors.ids() == index.docstore.chunk_ids() == set(index.bm25.chunk_ids)
