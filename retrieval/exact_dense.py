"""Exact dense search within a few documents, over vectors kept in memory.

A Chroma query filtered to one plan costs ~39 ms at 1,000 plans (63k
chunks; unfiltered 1.4 ms): the filter, not the vectors, is the cost. Most
questions name a municipality or a year, and compare and the ministermål
matrix run one query per plan, so filtered queries are the common case. A
document's vectors are read from Chroma once (by chunk id), kept as an
L2-normalised float32 matrix and searched with numpy: the exact cosine top
k, similarity = 1 - cosine distance rounded as Chroma reports it, ties
broken by chunk id.

Invalidation: the cache belongs to an index snapshot
(``DocumentVectors.of(snapshot)``) and starts from the previous generation's
entries. An entry remembers a digest of what its vectors embed (chunk id +
``dense_text``, every input of the vector); the first time a snapshot uses
a document, its entry is checked against the snapshot's chunks and read
again only if they differ, so a write re-reads only the documents it
changed. An entry is kept only when Chroma held a vector for every chunk;
otherwise it serves that one query.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingest.pipeline import dense_text
from ingest.snapshot import IndexSnapshot
from planchat.records import Chunk

# Queries filtered to more documents go to Chroma. Measured at 1,000 plans
# (63k chunks, 256 dims): numpy over cached documents 0.05 ms for 1, 0.9 ms
# for 100, 4.9 ms for 500; the first read ~2 ms per document (190 ms for 100),
# a check after a reload ~0.3 ms per document; a filtered Chroma query 25-43
# ms for 1-100 documents, 257 ms for 500, and approximate (it missed true
# neighbours in 27 % of queries over 10 plans). 100 holds one year's plans
# (98 municipalities) with the first read well inside the 300 ms goal.
MAX_DOCUMENTS = 100
# Memory bound; the least recently used documents go first. 128 MB holds
# ~87k chunks of 384 dimensions, 1,000 plans' 63k with room.
MAX_BYTES = 128 * 2**20


@dataclass(frozen=True)
class _Entry:
    ids: tuple[str, ...]  # sorted
    matrix: np.ndarray  # one L2-normalised float32 row per id
    digest: bytes


class DocumentVectors:
    """Per-document vector cache and exact search for one index snapshot
    (shared by every retriever on it through ``DocumentVectors.of``)."""

    def __init__(
        self, snapshot: IndexSnapshot, previous: DocumentVectors | None = None,
        max_documents: int = MAX_DOCUMENTS, max_bytes: int = MAX_BYTES,
    ):  # fmt: skip
        self._snapshot = weakref.ref(snapshot)  # derived state must not keep its snapshot alive
        self.max_documents = max_documents
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._checked: set[str] = set()  # documents whose entry matches this snapshot
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._bytes = 0
        if previous is not None:
            with previous._lock:
                self._entries = OrderedDict(previous._entries)
                self._bytes = previous._bytes

    @staticmethod
    def of(snapshot: IndexSnapshot) -> DocumentVectors:
        return snapshot.derived(DocumentVectors)

    def handles(self, doc_ids: Sequence[str] | None) -> bool:
        """Is this filter small enough for the in-memory path?"""
        return doc_ids is not None and 0 < len(set(doc_ids)) <= self.max_documents

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str]) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) best first within ``doc_ids``, as
        ``ChromaVectorStore.query`` returns them."""
        if k <= 0 or not doc_ids:
            return []
        entries = [e for e in self._entries_for(sorted(set(doc_ids))) if e.ids]
        if not entries:
            return []
        q = np.asarray(vector, dtype=np.float32).ravel()
        norm = np.linalg.norm(q)
        if norm > 0:
            q = q / norm
        dots = np.concatenate([e.matrix @ q for e in entries])
        # Chroma reports the float32 distance 1 - cos; the caller's similarity is 1 - that.
        similarities = 1.0 - (np.float32(1.0) - dots).astype(np.float32).astype(np.float64)
        return _top_k([cid for e in entries for cid in e.ids], similarities, k)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._checked.clear()
            self._bytes = 0

    # -- the cache ----------------------------------------------------------
    def _entries_for(self, doc_ids: list[str]) -> list[_Entry]:
        with self._lock:
            found = {d: self._entries.get(d) for d in doc_ids}
            for d, entry in found.items():
                if entry is not None:
                    self._entries.move_to_end(d)
            stale = [d for d in doc_ids if d not in self._checked or found[d] is None]
        if stale:
            found.update(self._refresh(stale, found))
        return [entry for d in doc_ids if (entry := found[d]) is not None]  # all found by now

    def _refresh(self, doc_ids: list[str], cached: dict) -> dict[str, _Entry]:
        """Entries for documents not yet checked against this snapshot: the
        cached one when its chunks are unchanged, else read again from Chroma."""
        snapshot = self._snapshot()
        current = _current_chunks(snapshot, doc_ids) if snapshot is not None else {}
        fresh: dict[str, _Entry] = {}
        todo: dict[str, tuple[list[Chunk], bytes]] = {}
        for doc_id in doc_ids:
            chunks = current.get(doc_id, [])
            digest = _digest(chunks)
            old = cached.get(doc_id)
            if old is not None and old.digest == digest:
                fresh[doc_id] = old
            else:
                todo[doc_id] = (chunks, digest)
        complete = set(fresh)
        if todo and snapshot is not None and snapshot.vector_reader is not None:
            read, read_complete = _read(snapshot, todo)
            fresh.update(read)
            complete |= read_complete
        self._keep({d: e for d, e in fresh.items() if d in complete}, set(doc_ids) - complete)
        return fresh

    def _keep(self, entries: dict[str, _Entry], drop: set[str]) -> None:
        """Store the entries; evict the least recently used beyond the memory bound."""
        with self._lock:
            for doc_id in drop:
                self._forget(doc_id)
            for doc_id, entry in entries.items():
                self._forget(doc_id)
                self._entries[doc_id] = entry
                self._bytes += entry.matrix.nbytes
                self._checked.add(doc_id)
            while self._bytes > self.max_bytes and self._entries:
                self._forget(next(iter(self._entries)))

    def _forget(self, doc_id: str) -> None:
        old = self._entries.pop(doc_id, None)
        self._checked.discard(doc_id)
        if old is not None:
            self._bytes -= old.matrix.nbytes


def _current_chunks(snapshot: IndexSnapshot, doc_ids: list[str]) -> dict[str, list[Chunk]]:
    out: dict[str, list[Chunk]] = {}
    for doc_id in doc_ids:
        chunks = sorted(snapshot.document_chunks(doc_id), key=lambda c: c.chunk_id)
        if chunks:
            out[doc_id] = chunks
    return out


def _read(snapshot: IndexSnapshot, todo: dict[str, tuple[list[Chunk], bytes]]) -> tuple[dict[str, _Entry], set[str]]:
    """Read the documents' vectors from Chroma in one call; also say which
    were complete (a vector for every chunk)."""
    if snapshot.vector_reader is None:
        raise RuntimeError("exact dense search needs a snapshot that can read its vectors")
    ids, matrix = snapshot.vector_reader([c.chunk_id for chunks, _ in todo.values() for c in chunks])
    row = {chunk_id: i for i, chunk_id in enumerate(ids)}
    entries, complete = {}, set()
    for doc_id, (chunks, digest) in todo.items():
        held = [c.chunk_id for c in chunks if c.chunk_id in row]
        rows = matrix[[row[c] for c in held]] if held else np.zeros((0, 0), np.float32)
        entries[doc_id] = _Entry(tuple(held), _normalised(rows), digest)
        if len(held) == len(chunks):
            complete.add(doc_id)
    return entries, complete


def _digest(chunks: list[Chunk]) -> bytes:
    """What the vectors of these chunks embed: ids and dense texts, in order."""
    h = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        h.update(chunk.chunk_id.encode("utf-8") + b"\0" + dense_text(chunk).encode("utf-8") + b"\0")
    return h.digest()


def _normalised(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def _top_k(ids: list[str], similarities: np.ndarray, k: int) -> list[tuple[str, float]]:
    """The k most similar, ties by chunk id (Chroma's order among equal
    distances is arbitrary; this one is reproducible)."""
    n = len(ids)
    if n > k:
        kth = np.partition(similarities, n - k)[n - k]
        candidates = np.flatnonzero(similarities >= kth).tolist()
    else:
        candidates = list(range(n))
    best = sorted(candidates, key=lambda i: (-similarities[i], ids[i]))[:k]
    return [(ids[i], float(similarities[i])) for i in best]
