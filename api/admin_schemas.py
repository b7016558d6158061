"""Request and response models of the admin side: background ingest jobs and
answer feedback (beside api/schemas.py, which holds the reads and asks)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .schemas import DocumentDetail

MAX_FEEDBACK_CITATIONS = 50  # an answer cites at most max_top_k passages plus see-also


class JobOut(BaseModel):
    job_id: str
    doc_id: str = Field(description="The document the upload becomes (or replaces).")
    status: Literal["queued", "running", "done", "failed"]
    stage: str = Field(description="queued, loading, cleaning, chunking, embedding, storing, then done or failed.")
    pages_done: int = Field(description="Pages read (all of them once loading is over; 0 for text files).")
    pages_total: int | None = Field(description="Pages of a PDF once loaded; null before, and for text files.")
    chunks_done: int = Field(description="Chunks embedded so far.")
    chunks_total: int | None = Field(description="Chunks of the document once chunked; null before.")
    error: str | None = Field(description="failed: the message a synchronous upload would have answered.")
    error_code: str | None = Field(description="failed: its error code (bad_document, no_text_layer, ...).")
    document: DocumentDetail | None = Field(description="done: the document with its ingest report.")
    created_at: float
    finished_at: float | None


class FeedbackCitation(BaseModel):
    """A cited passage of the answer, as /v1/ask returned it (its other fields are ignored)."""

    model_config = ConfigDict(extra="ignore")

    n: int | None = None
    doc_id: str | None = Field(default=None, max_length=120)
    municipality: str | None = Field(default=None, max_length=120)
    year: int | None = None
    title: str | None = Field(default=None, max_length=1000)
    section: str | None = Field(default=None, max_length=2000)
    page: int | None = None
    quote: str = Field(default="", max_length=20_000)  # a list answer's quote may hold the whole list
    start: int | None = None
    end: int | None = None
    role: str | None = Field(default=None, max_length=20)


class StoredCitation(FeedbackCitation):
    verified: bool = Field(description="The document holds the quote at start/end: kept verbatim (else redacted).")


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str | None = Field(default=None, description="The answer's conversation, if it had one.")
    question: str = Field(min_length=1, max_length=2000, description="The question as asked.")
    answer: str = Field(default="", max_length=20_000, description="The answer's text.")
    citations: list[FeedbackCitation] = Field(default_factory=list, max_length=MAX_FEEDBACK_CITATIONS)
    rating: Literal["up", "down"]
    comment: str | None = Field(default=None, max_length=2000, description="Optional: what was good or wrong.")


class FeedbackOut(BaseModel):
    feedback_id: int
    created_at: float
    conversation_id: str | None
    question: str = Field(description="Redacted (CPR, e-mail, phone) before it was stored.")
    answer: str = Field(description="Redacted too.")
    citations: list[StoredCitation] = Field(
        description="Quotes checked against the stored text are kept verbatim; others were redacted."
    )
    rating: Literal["up", "down"]
    comment: str | None


class FeedbackStored(BaseModel):
    feedback_id: int
    rating: Literal["up", "down"]


class FeedbackList(BaseModel):
    total: int = Field(description="Feedback entries stored (within the retention limits).")
    feedback: list[FeedbackOut] = Field(description="Newest first.")
