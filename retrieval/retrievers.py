"""Retrievers: Query -> ranked Passages, within the query's documents.

- ``bm25``: stemmed Danish BM25 over heading path + chunk text.
- ``dense``: the embedder's query vector against Chroma (cosine); within a few
  documents exact, over their vectors in memory (retrieval/exact_dense.py).
- ``hybrid`` (default): both, fused by reciprocal rank fusion
  (score = sum 1/(k + rank)); chosen over either alone by the eval set
  (see ARCHITECTURE.md for the numbers).

The mode is configuration (``PLANCHAT_RETRIEVAL_MODE``), looked up in
``RETRIEVERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ingest.index import PlanIndex
from ingest.snapshot import IndexSnapshot
from planchat.config import RetrievalMode
from planchat.danish import analyze
from planchat.records import Passage

from .exact_dense import DocumentVectors
from .query import Query


class Retriever(Protocol):
    """Ranks one snapshot's chunks for a query. ``uses_vectors``: the query
    must carry its embedding (``Query.vector``)."""

    name: str
    uses_vectors: bool

    def retrieve(self, snapshot: IndexSnapshot, query: Query, k: int) -> list[Passage]: ...


class BM25Retriever:
    name = "bm25"
    uses_vectors = False

    def retrieve(self, snapshot: IndexSnapshot, query: Query, k: int) -> list[Passage]:
        allowed = snapshot.chunks_of(set(query.doc_ids)) if query.doc_ids is not None else None
        # Within a municipality filter its name matches nothing useful.
        names = set(analyze(" ".join(query.municipalities))) if query.doc_ids is not None else set()
        hits = snapshot.bm25.search([t for t in query.terms if t not in names], k, allowed)
        out = []
        for rank, (chunk_id, score) in enumerate(hits, start=1):
            chunk = snapshot.chunk(chunk_id)
            if chunk is not None:
                out.append(Passage(chunk=chunk, score=score, ranks={"bm25": rank}, bm25_score=score))
        return out


class DenseRetriever:
    name = "dense"
    uses_vectors = True

    def __init__(self, index: PlanIndex):
        self.index = index  # the embedder and Chroma

    def retrieve(self, snapshot: IndexSnapshot, query: Query, k: int) -> list[Passage]:
        vector = query.vector if query.vector is not None else self.index.embedder.embed_query(query.text)
        exact = DocumentVectors.of(snapshot)
        if query.doc_ids is not None and exact.handles(query.doc_ids):
            # A few plans: exact search over their vectors in memory (a
            # filtered Chroma query costs ~39 ms at 1,000 plans).
            hits = exact.query(vector, k, query.doc_ids)
        else:
            hits = self.index.vectors.query(vector, k, query.doc_ids)
        out = []
        for rank, (chunk_id, similarity) in enumerate(hits, start=1):
            chunk = snapshot.chunk(chunk_id)
            if chunk is not None:
                out.append(Passage(chunk=chunk, score=similarity, ranks={"dense": rank}, dense_similarity=similarity))
        return out


class HybridRetriever:
    name = "hybrid"
    uses_vectors = True

    def __init__(self, index: PlanIndex, rrf_k: int = 60, candidates: int = 30, bm25_weight: float = 1.0):
        self.bm25 = BM25Retriever()
        self.dense = DenseRetriever(index)
        self.rrf_k = rrf_k
        self.candidates = candidates
        self.weights = {"bm25": bm25_weight, "dense": 1.0}

    def retrieve(self, snapshot: IndexSnapshot, query: Query, k: int) -> list[Passage]:
        n = max(k, self.candidates)
        fused: dict[str, dict] = {}
        for passages in (self.bm25.retrieve(snapshot, query, n), self.dense.retrieve(snapshot, query, n)):
            for p in passages:
                entry = fused.setdefault(p.chunk.chunk_id, {"chunk": p.chunk, "score": 0.0, "ranks": {}})
                ((rank_name, rank),) = p.ranks.items()
                entry["score"] += self.weights[rank_name] / (self.rrf_k + rank)
                entry["ranks"][rank_name] = rank
                if p.dense_similarity is not None:
                    entry["dense"] = p.dense_similarity
                if p.bm25_score is not None:
                    entry["bm25"] = p.bm25_score
        ranked = sorted(fused.values(), key=lambda e: (-e["score"], e["chunk"].chunk_id))[:k]
        return [
            Passage(
                chunk=e["chunk"],
                score=e["score"],
                ranks=e["ranks"],
                dense_similarity=e.get("dense"),
                bm25_score=e.get("bm25"),
            )
            for e in ranked
        ]


RETRIEVERS: dict[str, Callable[..., Retriever]] = {  # by RetrievalMode (a StrEnum)
    RetrievalMode.BM25: lambda index, **_: BM25Retriever(),
    RetrievalMode.DENSE: lambda index, **_: DenseRetriever(index),
    RetrievalMode.HYBRID: lambda index, rrf_k=60, candidates=30, bm25_weight=1.0: HybridRetriever(
        index, rrf_k, candidates, bm25_weight
    ),
}
