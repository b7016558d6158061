"""The vector store: a Chroma collection holding our own embeddings.

Embedded (``PersistentClient`` under the data dir) by default, a Chroma
server when ``PLANCHAT_CHROMA_URL`` is set. Chroma never embeds anything
itself: its default embedding function downloads a model, so every call
passes vectors explicitly. One collection per embedder (named after it), so
vectors of different models never mix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlparse

import numpy as np

from planchat.config import Settings
from planchat.errors import ConfigurationError
from planchat.records import Chunk


def collection_name(embedder_name: str) -> str:
    name = re.sub(r"[^a-zA-Z0-9._-]", "-", f"planchat-{embedder_name}")[:512]
    return name.strip("-._") or "planchat"


def make_client(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ConfigurationError(f"PLANCHAT_CHROMA_URL={settings.chroma_url!r} is not an http(s)://host:port URL.")
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


class ChromaVectorStore:
    def __init__(self, client, name: str):
        self._client = client
        self.name = name
        self._collection = client.get_or_create_collection(
            name=name, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, batch: int = 500) -> None:
        for i in range(0, len(chunks), batch):
            part = chunks[i : i + batch]
            self._collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=np.asarray(vectors[i : i + batch], dtype=np.float32),
                documents=[c.text for c in part],
                metadatas=[
                    {"doc_id": c.doc_id, "municipality": c.municipality, "year": c.year, "ordinal": c.ordinal}
                    for c in part
                ],
            )

    def delete(self, chunk_ids: Sequence[str], batch: int = 500) -> None:
        ids = list(chunk_ids)
        for i in range(0, len(ids), batch):
            self._collection.delete(ids=ids[i : i + batch])

    def delete_document(self, doc_id: str) -> None:
        self._collection.delete(where={"doc_id": doc_id})

    def ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            page = self._collection.get(include=[], limit=5000, offset=offset)["ids"]
            out.update(page)
            if len(page) < 5000:
                return out
            offset += len(page)

    def count(self) -> int:
        return self._collection.count()

    def vectors_of(self, chunk_ids: Sequence[str], batch: int = 2000) -> tuple[list[str], np.ndarray]:
        """The stored vectors of these chunks, as (ids, float32 matrix) in
        Chroma's order; ids Chroma does not hold are left out. By ids, not by a
        ``doc_id`` filter: at 63k chunks a get filtered by document costs ~9 ms
        (the metadata scan), by its ids ~2 ms."""
        ids: list[str] = []
        parts: list[np.ndarray] = []
        wanted = list(chunk_ids)
        for i in range(0, len(wanted), batch):
            got = self._collection.get(ids=wanted[i : i + batch], include=["embeddings"])
            if len(got["ids"]):
                ids.extend(got["ids"])
                parts.append(np.asarray(got["embeddings"], dtype=np.float32))
        matrix = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        return ids, matrix

    def query(self, vector: np.ndarray, k: int, doc_ids: Sequence[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, cosine similarity) best first, optionally within ``doc_ids``."""
        if k <= 0:
            return []
        where = None
        if doc_ids is not None:
            if not doc_ids:
                return []
            where = {"doc_id": {"$in": list(doc_ids)}} if len(doc_ids) > 1 else {"doc_id": doc_ids[0]}
        result = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where,
            include=["distances"],
        )
        ids = result["ids"][0]
        distances = result["distances"][0]
        return [(chunk_id, 1.0 - float(d)) for chunk_id, d in zip(ids, distances)]
