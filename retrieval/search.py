"""Search: a query (+ filters) -> the ranked passages retrieval finds, without an answer.

The read behind POST /v1/search and the in-process LangChain retriever
(planchat/integrations/langchain.py). It validates and analyses the query as
/v1/ask does (a municipality or publisher and a year named in the query
filter it; explicit filters are hard) and retrieves with the same retriever,
then stops before the answerer. A query naming only a municipality the index
holds no plan for finds nothing (/v1/ask abstains there).

Each hit is one chunk: ``text`` is its stored text, verbatim
(``clean_text[start:end]`` of its document), with the chunk's provenance
and the retriever's score (hybrid: the fused RRF score).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.snapshot import IndexSnapshot
from planchat.records import Passage, PublisherKind

from .query import query_analyzer
from .service import AskService


@dataclass(frozen=True)
class SearchHit:
    text: str  # == the document's clean text[start:end]
    doc_id: str
    chunk_id: str
    municipality: str  # the publisher's name, whatever its kind
    publisher_kind: PublisherKind
    year: int
    years: tuple[int, ...]
    title: str
    section: str
    page: int | None
    page_label: str | None
    start: int
    end: int
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank


@dataclass(frozen=True)
class SearchResult:
    query: str
    municipalities: list[str]  # the filter applied: explicit, or named in the query
    years: list[int]
    hits: list[SearchHit]


def hit_of(passage: Passage, snapshot: IndexSnapshot) -> SearchHit:
    chunk = passage.chunk
    meta = snapshot.documents.get(chunk.doc_id)
    return SearchHit(
        text=chunk.text, doc_id=chunk.doc_id, chunk_id=chunk.chunk_id, municipality=chunk.municipality,
        publisher_kind=meta.publisher_kind if meta is not None else "municipality",
        year=chunk.year, years=chunk.covered_years, title=chunk.title, section=chunk.section,
        page=chunk.page, page_label=chunk.page_label, start=chunk.start, end=chunk.end,
        score=round(passage.score, 6), ranks=dict(passage.ranks),
    )  # fmt: skip


def search(
    service: AskService,
    query: str,
    municipalities: list[str] | None = None,
    years: list[int] | None = None,
    top_k: int | None = None,
    snapshot: IndexSnapshot | None = None,
) -> SearchResult:
    """The ``top_k`` best passages for ``query`` (default: the server's top_k) from one snapshot."""
    snapshot = snapshot or service.index.snapshot
    k = service.validate(query, municipalities, years, top_k, field="query")
    analysed = query_analyzer(snapshot).analyze(query, municipalities, years)
    passages = []
    if not (analysed.unknown_municipalities and not analysed.municipalities):
        passages = service.retrieve(snapshot, service.embedded(analysed), k)[:k]
    return SearchResult(
        query=analysed.text,
        municipalities=analysed.municipalities,
        years=analysed.years,
        hits=[hit_of(p, snapshot) for p in passages],
    )
