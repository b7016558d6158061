"""Request and response models of the HTTP API (the JSON contract)."""

from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(description="The question, in Danish or English.", examples=["Hvad er Jammerbugts mål for langtidsledigheden i 2014?"])
    municipalities: Optional[list[StrictStr]] = Field(default=None, description="Only these municipalities (names as in GET /v1/documents).")
    years: Optional[list[StrictInt]] = Field(default=None, description="Only plans that cover one of these years.")
    mode: Optional[Literal["hybrid", "bm25", "dense"]] = Field(
        default=None, description="Retrieval mode for this request (default: the server's PLANCHAT_RETRIEVAL_MODE)."
    )
    top_k: Optional[StrictInt] = Field(default=None, description="How many passages the answer may draw on (default 5).")


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    municipality: str
    year: int
    section: str
    page: Optional[int]
    quote: str = Field(description="A verbatim substring of the stored source text.")
    score: float
    role: str = Field(description="'evidence' backs the answer; 'see_also' accompanies an abstention.")
    chunk_id: str
    start: int = Field(description="Character offset of the quote in the document's clean text.")
    end: int


class AskResponse(BaseModel):
    answer: str
    abstained: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    municipalities: list[str] = Field(description="The municipality filter applied (given or detected).")
    years: list[int] = Field(description="The year filter applied (given or detected).")


class DocumentOut(BaseModel):
    doc_id: str
    municipality: str
    publisher: str
    year: int
    years: list[int]
    title: str
    kind: str
    source: str
    chunks: int
    chars: int
    pages: Optional[int]
    content_hash: str
    ingested_at: float


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class DocumentText(BaseModel):
    doc_id: str
    text: str = Field(description="The stored clean text; every citation's start/end index into it.")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
