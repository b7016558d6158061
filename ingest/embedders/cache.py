"""Embedding cache keyed by content hash: sha256(embedder name, text).

Wraps any embedder. Re-ingesting unchanged text, or a chunk that moved
between documents, costs a SQLite lookup instead of a model call. Query
embeddings are not cached (they are cheap and unbounded in number).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from .base import Embedder


class CachedEmbedder:
    def __init__(self, inner: Embedder, path: Path):
        self.inner = inner
        self.name = inner.name
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._db.commit()
        self.hits = 0
        self.misses = 0

    # Read from the inner embedder when needed: a lazy one loads its model for them.
    @property
    def dim(self) -> int:
        return self.inner.dim

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\0passage\0{text}".encode()).hexdigest()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i : i + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM embeddings WHERE key IN ({','.join('?' * len(batch))})", batch
                ).fetchall()
                found.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        first_index: dict[str, int] = {}
        for i, k in enumerate(keys):
            if k not in found:
                first_index.setdefault(k, i)  # a text repeated within one call is embedded once
        missing = sorted(first_index.values())
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            vectors = self.inner.embed_passages([texts[i] for i in missing])
            with self._lock:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embeddings (key, vector) VALUES (?, ?)",
                    [(keys[i], vectors[j].astype(np.float32).tobytes()) for j, i in enumerate(missing)],
                )
                self._db.commit()
            for j, i in enumerate(missing):
                found[keys[i]] = vectors[j]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)

    def close(self) -> None:
        with self._lock:
            self._db.close()
