"""Exact dense search over cached document vectors (retrieval/exact_dense.py):
the same hits as Chroma, ties by chunk id, and a cache per index snapshot
that starts from the previous generation's entries."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from ingest.index import PlanIndex, dense_text
from retrieval.exact_dense import DocumentVectors, _top_k
from retrieval.query import Query
from retrieval.retrievers import DenseRetriever

QUESTIONS = [
    "Hvor mange langtidsledige må der højst være i december 2014?",
    "Hvad er målet for flygtninge og familiesammenførte?",
    "ledighed blandt fleksjobbere",
    "sygemeldte borgere",
]


def test_filtered_hits_equal_chromas(hash_index):
    """Same chunks in the same order as a filtered Chroma query, within
    float32 rounding, over one document and over several."""
    exact = DocumentVectors(hash_index.snapshot)
    docs = sorted(hash_index.documents)
    for doc_ids in [docs[:1], docs[1:2], docs[:3], docs]:
        for question in QUESTIONS:
            vector = hash_index.embedder.embed_query(question)
            mine = exact.query(vector, 8, doc_ids)
            chroma = hash_index.vectors.query(vector, 8, doc_ids)
            assert [c for c, _ in mine] == [c for c, _ in chroma] or _only_ties_differ(mine, chroma)
            assert np.allclose([s for _, s in mine], [s for _, s in chroma], atol=1e-6)
            assert all(hash_index.chunk(c).doc_id in doc_ids for c, _ in mine)


def _only_ties_differ(a, b) -> bool:
    """Chroma orders equal distances arbitrarily."""
    return sorted(round(s, 6) for _, s in a) == sorted(round(s, 6) for _, s in b) and {
        c for c, s in a if s > min(x for _, x in a) + 1e-6
    } == {c for c, s in b if s > min(x for _, x in b) + 1e-6}


def test_top_k_breaks_ties_by_chunk_id():
    ids = ["d:0003", "d:0001", "d:0002", "d:0000"]
    sims = np.array([0.5, 0.9, 0.5, 0.5])
    assert _top_k(ids, sims, 3) == [("d:0001", 0.9), ("d:0000", 0.5), ("d:0002", 0.5)]
    assert _top_k(ids, sims, 10) == [("d:0001", 0.9), ("d:0000", 0.5), ("d:0002", 0.5), ("d:0003", 0.5)]


def test_the_dense_retriever_takes_the_exact_path_for_a_few_documents(hash_index, monkeypatch):
    retriever = DenseRetriever(hash_index)
    snapshot = hash_index.snapshot
    calls = []
    real_query = hash_index.vectors.query
    monkeypatch.setattr(hash_index.vectors, "query", lambda *a, **k: calls.append(a) or real_query(*a, **k))
    vector = hash_index.embedder.embed_query(QUESTIONS[0])
    query = Query(text=QUESTIONS[0], terms=[], doc_ids=["jammerbugt-2014"], vector=vector)
    passages = retriever.retrieve(snapshot, query, 5)
    assert calls == [] and passages and all(p.chunk.doc_id == "jammerbugt-2014" for p in passages)
    assert [p.ranks["dense"] for p in passages] == [1, 2, 3, 4, 5]
    retriever.retrieve(snapshot, Query(text=QUESTIONS[0], terms=[], doc_ids=None, vector=vector), 5)
    assert len(calls) == 1  # unfiltered: Chroma
    monkeypatch.setattr(DocumentVectors.of(snapshot), "max_documents", 1)
    retriever.retrieve(
        snapshot, Query(text=QUESTIONS[0], terms=[], doc_ids=sorted(hash_index.documents), vector=vector), 5
    )
    assert len(calls) == 2  # more documents than the in-memory path takes: Chroma


def test_one_cache_per_snapshot(hash_index):
    snapshot = hash_index.snapshot
    assert DocumentVectors.of(snapshot) is DocumentVectors.of(snapshot)


# -- invalidation ---------------------------------------------------------------

A_TEXT = "# Plan for Aby\n\nAby Kommune vil nedbringe ledigheden til 300 personer i 2024.\n"
B_TEXT = "# Plan for Bby\n\nBby Kommune vil styrke indsatsen for sygemeldte borgere.\n"


def write_corpus(root: Path, files: dict[str, str], titles: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    documents = []
    for doc_id, text in files.items():
        (root / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        title = (titles or {}).get(doc_id, f"Plan {doc_id}")
        documents.append(
            {"id": doc_id, "file": f"{doc_id}.txt", "municipality": doc_id.upper(), "year": 2024, "title": title}
        )
    (root / "manifest.json").write_text(json.dumps({"documents": documents}), encoding="utf-8")
    return root


@pytest.fixture
def small(tmp_path):
    corpus = write_corpus(tmp_path / "corpus", {"a": A_TEXT, "b": B_TEXT})
    index = PlanIndex(make_settings(tmp_path / "data"))
    index.sync_corpus(corpus)
    return index, tmp_path / "corpus"


def brute_force(index: PlanIndex, vector, doc_ids) -> list[tuple[str, float]]:
    return index.vectors.query(vector, 50, doc_ids)


def test_a_write_refreshes_only_the_document_it_changed(small):
    index, corpus = small
    before = DocumentVectors.of(index.snapshot)
    vector = index.embedder.embed_query("ledighed")
    before.query(vector, 5, ["a", "b"])
    a_before, b_before = before._entries["a"], before._entries["b"]
    # Same text, new title: the chunk ids stay, the vectors (title in the dense text) change.
    write_corpus(corpus, {"a": A_TEXT, "b": B_TEXT}, titles={"a": "Ny plan for Aby"})
    index.sync_corpus(corpus)
    assert index.chunk(a_before.ids[0]) is not None  # same chunk id
    exact = DocumentVectors.of(index.snapshot)  # the new generation's, starting from the old entries
    assert exact is not before and exact._checked == set()
    hits = exact.query(vector, 50, ["a", "b"])
    assert [c for c, _ in hits] == [c for c, _ in brute_force(index, vector, ["a", "b"])]
    assert np.allclose([s for _, s in hits], [s for _, s in brute_force(index, vector, ["a", "b"])], atol=1e-6)
    assert exact._entries["a"].digest != a_before.digest
    assert exact._entries["b"].matrix is b_before.matrix  # unchanged: checked, not read again
    assert exact._checked == {"a", "b"}


def test_a_deleted_document_has_no_hits(small):
    index, corpus = small
    vector = index.embedder.embed_query("ledighed")
    assert DocumentVectors.of(index.snapshot).query(vector, 5, ["b"])
    index.delete("b")
    assert DocumentVectors.of(index.snapshot).query(vector, 5, ["b"]) == []


def test_missing_vectors_are_not_kept(small):
    """A document Chroma holds only part of (a crash before repair) serves
    that query but is read again next time."""
    index, _ = small
    exact = DocumentVectors.of(index.snapshot)
    vector = index.embedder.embed_query("ledighed")
    lost = sorted(index.chunks_of({"a"}))[0]
    index.vectors.delete([lost])
    assert lost not in [c for c, _ in exact.query(vector, 5, ["a"])]
    assert "a" not in exact._entries
    assert lost not in [c for c, _ in exact.query(vector, 50, ["a"])] and "a" not in exact._entries  # read again
    index.vectors.upsert([index.chunk(lost)], index.embedder.embed_passages([dense_text(index.chunk(lost))]))
    assert lost in [c for c, _ in exact.query(vector, 50, ["a"])]
    assert "a" in exact._entries


def test_a_snapshot_keeps_its_cache_and_the_next_inherits_it(small):
    """Derived state belongs to its generation: a reload leaves the old
    snapshot's cache as it was, and the new one starts from its entries."""
    index, _ = small
    vector = index.embedder.embed_query("ledighed")
    old = DocumentVectors.of(index.snapshot)
    old.query(vector, 5, ["a"])
    index.reload()
    new = DocumentVectors.of(index.snapshot)
    assert new is not old and list(new._entries) == ["a"] and new._entries["a"] is old._entries["a"]
    assert (old._checked, new._checked) == ({"a"}, set())


def test_least_recently_used_documents_are_evicted(small):
    index, _ = small
    vector = index.embedder.embed_query("ledighed")
    one = DocumentVectors(index.snapshot)
    one.query(vector, 5, ["a"])
    exact = DocumentVectors(index.snapshot, max_bytes=one._entries["a"].matrix.nbytes)
    exact.query(vector, 5, ["a"])
    exact.query(vector, 5, ["b"])
    assert list(exact._entries) == ["b"] and exact._bytes == exact._entries["b"].matrix.nbytes
