"""The read model: one immutable snapshot of the index per generation.

A snapshot holds what a request reads: the documents, their chunks, the
BM25 index, the extracted targets and the outlines, all as of one write
token. The writer (``ingest/index.py``) builds a new snapshot after every
write and publishes it by one reference swap, so a request that takes
``index.snapshot`` once reads one consistent generation from start to end,
whatever is written meanwhile.

Derived state (the query analyser, target terms, the in-memory dense
vectors, goal lists …) belongs to a generation too: ``derived(factory)``
builds it once per snapshot, on first use. A factory may reuse the work of
the previous generation's value (``inherited``), e.g. to re-analyse only
the targets a write changed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, TypeVar

from planchat.records import Chunk, DocumentMeta, Outline, Target

from .stores.lexical import BM25Index

T = TypeVar("T")
# factory(snapshot, the previous generation's value or None) -> value
Factory = Callable[["IndexSnapshot", Any], T]
EMPTY_DOC: tuple[tuple, tuple[Chunk, ...]] = ((), ())


@dataclass(frozen=True)
class DocChunks:
    """One document's chunks as read from the store, with the row version
    (content hash, ingest time) they were read at."""

    version: tuple
    chunks: tuple[Chunk, ...]


@dataclass(frozen=True, eq=False)
class IndexSnapshot:
    generation: int
    token: str | None  # the document store's write token this was read at
    documents: Mapping[str, DocumentMeta]
    doc_chunks: Mapping[str, DocChunks]  # in document-store order (doc_id)
    bm25: BM25Index
    doc_targets: Mapping[str, tuple[Target, ...]]
    outlines: Mapping[str, Outline] = field(default_factory=dict)  # doc_id -> its structure (ingest/outline.py)
    clean_text_reader: Callable[[str], str | None] = field(default=lambda doc_id: None, repr=False)
    # chunk ids -> (ids found, their vectors): Chroma, which is not versioned;
    # users check what they read against this snapshot's chunks.
    vector_reader: Callable[[list[str]], tuple[list[str], Any]] | None = field(default=None, repr=False)
    inherited: dict = field(default_factory=dict, repr=False)  # the previous generation's derived values
    _derived: dict = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        generation: int,
        token: str | None,
        documents: Mapping[str, DocumentMeta],
        doc_chunks: Mapping[str, DocChunks],
        bm25: BM25Index,
        doc_targets: Mapping[str, Iterable[Target]],
        outlines: Mapping[str, Outline],
        clean_text_reader: Callable[[str], str | None],
        vector_reader: Callable[[list[str]], tuple[list[str], Any]] | None = None,
        previous: IndexSnapshot | None = None,
    ) -> IndexSnapshot:
        return cls(
            generation=generation,
            token=token,
            documents=MappingProxyType(dict(documents)),
            doc_chunks=MappingProxyType(dict(doc_chunks)),
            bm25=bm25,
            doc_targets=MappingProxyType({d: tuple(t) for d, t in doc_targets.items()}),
            outlines=MappingProxyType(dict(outlines)),
            clean_text_reader=clean_text_reader,
            vector_reader=vector_reader,
            inherited=previous.derived_values() if previous is not None else {},
        )

    @classmethod
    def empty(cls) -> IndexSnapshot:
        return cls(0, None, MappingProxyType({}), MappingProxyType({}), BM25Index.build([]), MappingProxyType({}))

    # -- reads --------------------------------------------------------------
    @cached_property
    def chunks_by_id(self) -> Mapping[str, Chunk]:
        return MappingProxyType({c.chunk_id: c for doc in self.doc_chunks.values() for c in doc.chunks})

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.chunks_by_id.get(chunk_id)

    def chunks(self) -> list[Chunk]:
        """Every chunk, in document-store order (doc_id, ordinal)."""
        return [c for doc in self.doc_chunks.values() for c in doc.chunks]

    def chunks_of(self, doc_ids: Iterable[str]) -> set[str]:
        """The chunk ids of these documents."""
        return {c.chunk_id for doc_id in doc_ids for c in self.doc_chunks.get(doc_id, DocChunks(*EMPTY_DOC)).chunks}

    def document_chunks(self, doc_id: str) -> tuple[Chunk, ...]:
        found = self.doc_chunks.get(doc_id)
        return found.chunks if found is not None else ()

    def targets(self, doc_id: str | None = None) -> list[Target]:
        """The extracted targets of one document, or of all in doc_id order."""
        if doc_id is not None:
            return list(self.doc_targets.get(doc_id, ()))
        return [t for d in sorted(self.doc_targets) for t in self.doc_targets[d]]

    def clean_text(self, doc_id: str) -> str | None:
        """The document's stored clean text (read from the store: too large to
        keep per generation); None for a document this snapshot lacks."""
        if doc_id not in self.documents:
            return None
        return self.clean_text_reader(doc_id)

    def is_empty(self) -> bool:
        return not self.documents

    # -- derived state ------------------------------------------------------
    def derived(self, factory: Factory[T]) -> T:
        """``factory(self, previous)`` once per snapshot; ``previous`` is the
        value the previous generation built with the same factory, if any."""
        try:
            return self._derived[factory]
        except KeyError:
            pass
        with self._lock:
            if factory not in self._derived:
                # Taken, not copied: the previous value is not kept alive twice.
                self._derived[factory] = factory(self, self.inherited.pop(factory, None))
            return self._derived[factory]

    def derived_values(self) -> dict:
        """What a next generation inherits: this one's derived values, and
        what this one inherited but never used."""
        with self._lock:
            return {**self.inherited, **self._derived}
