"""A deterministic bag-of-stems embedder: a small real implementation for
unit tests and for machines where no model may be loaded.

Each stemmed term is hashed with SHA-256 (never Python's ``hash()``, which is
salted per process) into one of ``dim`` signed buckets, so texts that share
terms get similar vectors and the same text gets the same vector on every
machine.
"""

from __future__ import annotations

import hashlib

import numpy as np

from planchat.danish import analyze

from .base import normalize_rows


class HashEmbedder:
    max_tokens = 100_000

    def __init__(self, dim: int = 256):
        self.dim = dim
        # The name keys the embedding cache: it changes when the analysis does.
        from ingest.stores.lexical import ANALYZER_VERSION

        self.name = f"hash-{dim}-a{ANALYZER_VERSION}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for term in analyze(text, expand_english=True):
            digest = hashlib.sha256(term.encode("utf-8")).digest()
            bucket = int.from_bytes(digest[:4], "little") % self.dim
            vec[bucket] += 1.0 if digest[4] & 1 else -1.0
        if not vec.any():
            vec[0] = 1.0
        return vec

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(np.stack([self._vector(t) for t in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return normalize_rows(self._vector(text)[None, :])[0]

    def token_count(self, text: str) -> int:
        return len(text.split())
