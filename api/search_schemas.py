"""Request and response models of POST /v1/search (the JSON contract), beside api/schemas.py
(which holds every other endpoint's and is near the 400-line limit)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from planchat.records import PublisherKind

from .schemas import ModeName


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: StrictStr = Field(
        description="What to look for, in Danish or English. A municipality or year it names filters the search, "
        "as in /v1/ask.",
        examples=["langtidsledige i Jammerbugt"],
    )
    municipalities: list[StrictStr] | None = Field(
        default=None, description="Only these municipalities or publishers (names as in GET /v1/documents)."
    )
    years: list[StrictInt] | None = Field(default=None, description="Only plans that cover one of these years.")
    top_k: StrictInt | None = Field(default=None, description="How many passages (default 8).")
    mode: ModeName | None = Field(default=None, description="Retrieval mode (default: the server's).")


class PassageOut(BaseModel):
    text: str = Field(description="The passage, verbatim: GET /v1/documents/{doc_id}/text [start:end].")
    doc_id: str
    chunk_id: str
    municipality: str = Field(description="The municipality, or the publisher's name for another publisher kind.")
    publisher_kind: PublisherKind
    year: int
    years: list[int] = Field(description="The years the plan covers.")
    title: str
    section: str = Field(description="The heading path, '›' between levels.")
    page: int | None
    page_label: str | None = Field(default=None, description="The printed page label where the PDF defines one.")
    start: int = Field(description="Character offset of the passage in the document's clean text.")
    end: int
    score: float = Field(description="The retriever's score (hybrid: fused RRF); higher is better.")
    ranks: dict[str, int] = Field(description="Each retriever's 1-based rank of this passage.")


class SearchResponse(BaseModel):
    query: str
    municipalities: list[str] = Field(description="The municipality filter applied (explicit, or named in the query).")
    years: list[int] = Field(description="The year filter applied.")
    passages: list[PassageOut] = Field(description="Best first; empty when the query names only unknown publishers.")
