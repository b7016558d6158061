"""The embedder role: texts -> L2-normalised float32 vectors.

Passages and queries are embedded separately because e5-style models
prefix them differently. ``name`` identifies the model and its settings: it
keys the embedding cache and names the Chroma collection, so two embedders
never share vectors.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Embedder(Protocol):
    name: str

    # Read-only: a lazy or cached embedder reads them from the model it wraps.
    @property
    def dim(self) -> int: ...

    @property
    def max_tokens(self) -> int: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """(len(texts), dim) float32, rows L2-normalised."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """(dim,) float32, L2-normalised."""
        ...

    def token_count(self, text: str) -> int: ...


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, 1e-12)
