"""Request and response models of the HTTP API (the JSON contract)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from planchat.records import AnswerKind, PublisherKind

# FastAPI's type for a route's extra OpenAPI responses.
Responses = dict[int | str, dict[str, Any]]

# RetrievalMode's values as a Literal, not the enum itself: the OpenAPI schema keeps
# its inline string enum and the "Mode" title (the enum would become a $ref).
ModeName = Literal["hybrid", "bm25", "dense"]  # tests/api/test_app.py pins it to RetrievalMode


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant", "system"]
    content: StrictStr


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(
        description="The question, in Danish or English.",
        examples=["Hvad er Jammerbugts mål for langtidsledigheden i 2014?"],
    )
    municipalities: list[StrictStr] | None = Field(
        default=None, description="Only these municipalities (names as in GET /v1/documents)."
    )
    years: list[StrictInt] | None = Field(default=None, description="Only plans that cover one of these years.")
    mode: ModeName | None = Field(
        default=None, description="Retrieval mode for this request (default: the server's PLANCHAT_RETRIEVAL_MODE)."
    )
    top_k: StrictInt | None = Field(default=None, description="How many passages the answer may draw on (default 8).")
    history: list[ChatMessage] | None = Field(
        default=None,
        description="Earlier messages of the conversation, oldest first (stateless: nothing is stored). "
        "A follow-up question is answered with the municipality, year and topic carried from them.",
    )
    conversation_id: StrictStr | None = Field(
        default=None,
        description="Continue a server-side conversation (the conversation_id of an earlier answer). "
        "Omit it (and history) to start a new one. Send history or conversation_id, not both.",
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    municipality: str
    year: int
    section: str
    page: int | None
    page_label: str | None = Field(
        default=None, description="The printed page label where the PDF defines one (e.g. 'iii', '12'); null otherwise."
    )
    quote: str = Field(description="A verbatim substring of the stored source text.")
    score: float
    role: str = Field(description="'evidence' backs the answer; 'see_also' accompanies an abstention.")
    chunk_id: str
    start: int = Field(description="Character offset of the quote in the document's clean text.")
    end: int
    ocr: bool = Field(
        default=False,
        description="True: the quote is text recognised by OCR from a scanned page («tekst genkendt fra scannet "
        "side»); it is verbatim the stored text, which may hold recognition errors.",
    )
    url: str | None = Field(
        default=None,
        description="The source viewer at this quote, on this server: /documents/{doc_id}?start=&end= (the quote "
        "highlighted).",
    )


class MarkerOut(BaseModel):
    n: int = Field(description="The citation the marker names.")
    start: int = Field(description="Offset of the marker in the answer text (code points, like every start/end).")
    end: int = Field(
        description="answer[start:end] is the marker as written: '[n]', or n's digits in a group '[1, 2]'."
    )


class TargetOut(BaseModel):
    target_id: str
    municipality: str
    plan_year: int
    target_year: int | None = Field(
        description="The year the target is for (stated, from its section, or the plan's only year)."
    )
    target_period: str | None = Field(description="The plan's words for when, e.g. 'december 2014'; null if unstated.")
    indicator: str = Field(description="What is measured, in the plan's words.")
    value: float
    value_text: str = Field(description="The number as written in the plan, e.g. '3,7' or 'fire'.")
    unit: str = Field(
        description="pct, procentpoint, personer, sager, bevillinger, uger, måneder, dage, timer, mio. kr., kr., placering, antal, ..."
    )
    direction: Literal["at_most", "at_least", "increase", "decrease", "equal"]
    change: Literal["to", "by"] | None = Field(
        description="For increase/decrease: a level to reach ('to') or the size of the change ('by')."
    )
    baseline: float | None
    baseline_period: str | None
    doc_id: str
    title: str
    section: str
    page: int | None
    chunk_id: str
    quote: str = Field(description="The sentence the target came from, verbatim (clean_text[start:end]).")
    start: int
    end: int
    ocr: bool = Field(default=False, description="True: the quote was recognised by OCR from a scanned page.")


class TargetList(BaseModel):
    targets: list[TargetOut]


class AskResponse(BaseModel):
    answer: str
    abstained: bool
    kind: AnswerKind = Field(
        default="fact",
        description=(
            "What the answer gives: 'list' (an introduction, then one '- «item» [n]' line per item), 'how', "
            "'when', 'who', 'number', 'fact', or 'abstain' (the plans do not say; abstained is true)."
        ),
    )
    citations: list[CitationOut]
    markers: list[MarkerOut] = Field(
        default_factory=list,
        description="Where the answer's [n] citation markers are, from the answer's structure (api/markers.py). "
        "Text that only looks like one, such as a '[1]' inside a quote, is not a marker; show markers only here.",
    )
    targets: list[TargetOut] = Field(
        default_factory=list, description="Extracted targets behind the answer, when the question asks for a target."
    )
    timings_ms: dict[str, float]
    municipalities: list[str] = Field(description="The municipality filter applied (given or detected).")
    years: list[int] = Field(description="The year filter applied (given or detected).")
    question: str = Field(
        default="", description="The standalone question that was answered (a follow-up with its carried context)."
    )
    carried: list[str] = Field(
        default_factory=list, description="What came from the history: 'municipality', 'year' and/or 'topic'."
    )
    conversation_id: str | None = Field(
        default=None, description="The server-side conversation this turn was stored in; null when history was sent."
    )
    conversation_token: str | None = Field(
        default=None,
        description="Given once, when this answer started the conversation (null otherwise): send it as the "
        "X-Conversation-Token header with conversation_id and to /v1/conversations/{id}. Only its SHA-256 is stored.",
    )
    generator: str = Field(
        default="extractive", description="'extractive', or 'llm:<model>' when an LLM wrote the text."
    )
    fallback_reason: str | None = Field(
        default=None,
        description="Why the LLM's answer was replaced by the extractive one (null: no fallback): '<code>' or "
        "'<code>: <detail>'; codes: llm_abstained_on_evidence, llm_answered_where_extractive_abstained, "
        "llm_unsupported_sentence, llm_slot_unfilled, unverified, timeout, unreachable, http_error, malformed, "
        "empty, error (retrieval/judge.py FALLBACK_REASONS).",
    )
    notice: str | None = Field(default=None, description="A note for the user, e.g. about a fallback.")


class ConversationTurn(BaseModel):
    question: str = Field(description="As the user asked it.")
    resolved_question: str = Field(description="The standalone text it was answered as.")
    answer: AskResponse | None


class Conversation(BaseModel):
    conversation_id: str
    created_at: float
    updated_at: float
    turns: list[ConversationTurn]


class PlanchatOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    municipalities: list[StrictStr] | None = None
    years: list[StrictInt] | None = None
    top_k: StrictInt | None = None
    mode: ModeName | None = None


class ChatCompletionRequest(BaseModel):
    """The OpenAI chat completions request. Unknown OpenAI parameters
    (temperature, top_p, user, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")

    model: StrictStr = Field(description="'planchat' (see GET /v1/models).")
    messages: list[Any] = Field(description="OpenAI messages; the last user message is the question.")
    stream: bool = False
    planchat: PlanchatOptions | None = Field(
        default=None, description="planchat's own filters (send with the openai client's extra_body)."
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic: StrictStr = Field(description="What to compare, e.g. 'langtidsledighed'.", examples=["langtidsledighed"])
    municipalities: list[StrictStr] | None = Field(
        default=None, description="Only these municipalities (default: all)."
    )
    years: list[StrictInt] | None = Field(default=None, description="Only plans that cover one of these years.")


class CompareRowOut(BaseModel):
    municipality: str
    year: int
    title: str
    doc_id: str
    stated: bool = Field(description="False: this plan says nothing relevant; summary is then 'Ikke nævnt i planen'.")
    summary: str = Field(description="The row's verbatim quotes, each followed by its citation number.")
    citations: list[CitationOut]
    targets: list[TargetOut]


class CompareResponse(BaseModel):
    topic: str
    rows: list[CompareRowOut]
    timings_ms: dict[str, float]


class GoalOut(BaseModel):
    number: int
    title: str = Field(description="The goal as the plans list it.")
    sources: list[CitationOut] = Field(description="Where the plans list this goal (the goal is derived from them).")


class MinistermaalCell(BaseModel):
    municipality: str
    doc_id: str
    stated: bool
    summary: str
    citations: list[CitationOut]
    targets: list[TargetOut]


class MinistermaalRow(BaseModel):
    goal: GoalOut
    cells: list[MinistermaalCell] = Field(description="One per column, in the order of 'columns'.")


class MinistermaalColumn(BaseModel):
    municipality: str
    doc_id: str
    year: int
    title: str


class MinistermaalResponse(BaseModel):
    year: int
    columns: list[MinistermaalColumn] = Field(description="The plans covering the year.")
    rows: list[MinistermaalRow] = Field(description="The year's ministermål, as listed in the plans.")


class DocumentOut(BaseModel):
    doc_id: str
    municipality: str
    publisher: str
    publisher_kind: PublisherKind = Field(
        default="municipality",
        description="Who published it: a current municipality, a region, a national body, a municipality "
        "before 2007 (historical) or other. Filters and answers use `municipality` for every kind.",
    )
    year: int
    years: list[int]
    title: str
    kind: str
    source: str
    chunks: int
    chars: int
    pages: int | None
    content_hash: str
    ingested_at: float
    managed_by: Literal["corpus", "upload"] = Field(
        default="corpus", description="'corpus': from corpus/manifest.json (change it there); 'upload': via the API."
    )


class IngestReportOut(BaseModel):
    status: str = Field(default="", description="added, updated (replaced), unchanged (identical: nothing re-embedded)")
    pages: int | None = Field(default=None, description="Pages of a PDF; null for text files.")
    empty_pages: int = Field(
        default=0, description="Pages left without text: no text layer, and OCR found none (or did not run)."
    )
    ocr_pages: int = Field(default=0, description="Pages without a text layer whose text was recognised by OCR.")
    ocr_confidence: float | None = Field(
        default=None,
        description="The mean confidence (0-100) of the words OCR recognised, over all OCR'd pages; null: no OCR.",
    )
    chars: int = Field(default=0, description="Characters of clean text.")
    chunks: int = 0
    targets: int = Field(default=0, description="Quantitative targets found.")
    embedded: int = Field(default=0, description="Chunks that needed the embedding model (the rest were cached).")
    seconds: float = 0.0
    warnings: list[str] = Field(default_factory=list)


class DocumentDetail(DocumentOut):
    report: IngestReportOut | None = Field(
        description="The last ingest's report (null for documents ingested before reports were kept)."
    )


class DocumentDeleted(BaseModel):
    doc_id: str
    status: Literal["removed"]
    chunks: int = Field(description="Chunks removed from Chroma, BM25 and the document store.")


class DocumentList(BaseModel):
    documents: list[DocumentOut]


class DocumentText(BaseModel):
    doc_id: str
    text: str = Field(description="The stored clean text; every citation's start/end index into it.")


class Span(BaseModel):
    start: int
    end: int
    text: str = Field(description="The clean text's [start:end], verbatim.")


class OutlineHeadingOut(BaseModel):
    title: str
    level: int
    start: int
    end: int
    page: int | None = None
    page_label: str | None = None
    children: list[OutlineHeadingOut] = Field(default_factory=list, description="The headings under this one.")


class ListBlockOut(BaseModel):
    start: int
    end: int
    numbered: bool
    page: int | None = None
    page_label: str | None = None
    intro: Span | None = Field(description="The line that introduces the list (ends with ':'), or the heading above.")
    items: list[Span]


class DocumentOutline(BaseModel):
    doc_id: str
    headings: list[OutlineHeadingOut] = Field(description="The heading tree, in reading order.")
    lists: list[ListBlockOut] = Field(description="Numbered and bulleted lists, in reading order.")


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody
