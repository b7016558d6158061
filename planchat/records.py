"""The typed records that flow through the pipeline, each carrying provenance.

corpus file --load--> LoadedText --clean--> CleanText --chunk--> Chunk
Chunk --embed/store--> (Chroma, BM25, docstore) --retrieve--> Passage
Passage --answer--> Citation + Answer

Citations are built from these records, never re-derived from strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# What an answer gives (retrieval/slots.py answer_kind; /v1/ask "kind").
AnswerKind = Literal["list", "how", "when", "who", "number", "fact", "abstain"]
# Who keeps a document: a corpus/ manifest (re-ingested with it) or an upload.
ManagedBy = Literal["corpus", "upload"]
# Who published a document (planchat/municipalities.py PUBLISHER_KINDS; ingest/uploads.py resolve_publisher).
PublisherKind = Literal["municipality", "region", "national", "historical", "other"]


@dataclass(frozen=True)
class DocumentMeta:
    """What the manifest (or an upload) says about one document."""

    doc_id: str
    municipality: str
    year: int
    title: str
    kind: str = "municipal plan"
    years: tuple[int, ...] = ()
    publisher: str = ""
    source: str = ""  # where the file came from (a path relative to the corpus, or an upload name)
    aliases: tuple[str, ...] = ()  # other names a question may use for the municipality/publisher
    # Who published it (planchat/municipalities.py PUBLISHER_KINDS): municipality | region | national |
    # historical | other. ``municipality`` holds the publisher's name whatever its kind: filters, answers,
    # compare rows and targets treat every publisher alike. (``kind`` is what the document is.)
    publisher_kind: PublisherKind = "municipality"

    @property
    def covered_years(self) -> tuple[int, ...]:
        return self.years or (self.year,)


@dataclass(frozen=True)
class PageText:
    """One page of extracted text (``number`` is None for formats without pages)."""

    number: int | None
    text: str
    label: str | None = None  # the printed page label, where the PDF has one
    ocr: bool = False  # the text was recognised from the page's image (ingest/ocr.py): it has no text layer
    confidence: float | None = None  # for an OCR'd page: the mean confidence of its words, 0-100


@dataclass(frozen=True)
class LoadedText:
    pages: tuple[PageText, ...]
    media_type: str  # text/plain, text/markdown, application/pdf


@dataclass(frozen=True)
class Heading:
    start: int  # offset of the heading line in the clean text
    level: int
    title: str


@dataclass(frozen=True)
class PageSpan:
    start: int
    end: int
    number: int | None
    label: str | None = None  # the printed page label, where the PDF defines labels
    ocr: bool = False  # the page's text was recognised from a scan


@dataclass(frozen=True)
class CleanText:
    text: str
    headings: tuple[Heading, ...]
    pages: tuple[PageSpan, ...]

    def span_at(self, offset: int) -> PageSpan | None:
        """The page span holding ``offset`` (past the end: the last page)."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span
        return self.pages[-1] if self.pages else None

    def page_at(self, offset: int) -> int | None:
        span = self.span_at(offset)
        return span.number if span else None

    def label_at(self, offset: int) -> str | None:
        span = self.span_at(offset)
        return span.label if span else None

    def ocr_at(self, offset: int) -> bool:
        span = self.span_at(offset)
        return span.ocr if span else False


@dataclass(frozen=True)
class OutlineHeading:
    """A heading of a document's outline: ``text[start:end]`` is its line(s)."""

    start: int
    end: int
    level: int
    title: str  # the heading's words on one line (a heading broken over two lines is joined)
    page: int | None = None
    page_label: str | None = None


@dataclass(frozen=True)
class ListBlock:
    """A numbered or bulleted list: ``items`` are the spans of each item's
    words (marker excluded), ``intro`` the span of the line that introduces
    it (ending with ":", or the heading right above), all verbatim spans of
    the clean text."""

    start: int
    end: int
    items: tuple[tuple[int, int], ...]
    intro: tuple[int, int] | None = None
    numbered: bool = False
    page: int | None = None
    page_label: str | None = None
    sparse: bool = False  # paragraphs stand between the items (each item is its own line)


@dataclass(frozen=True)
class Outline:
    headings: tuple[OutlineHeading, ...] = ()
    lists: tuple[ListBlock, ...] = ()


@dataclass(frozen=True)
class Chunk:
    chunk_id: str
    doc_id: str
    municipality: str
    year: int
    title: str
    section: str  # heading path, "4 Beskæftigelsespolitiske udfordringer › 4.3 ..."
    page: int | None
    start: int  # character span in the document's clean text
    end: int
    text: str  # == clean_text[start:end], verbatim
    ordinal: int = 0
    context: str = ""  # extra text for retrieval only (e.g. a table's header row); never quoted
    years: tuple[int, ...] = ()
    page_label: str | None = None  # the printed label of ``page`` ("iii", "12"), where the PDF defines labels
    ocr: bool = False  # recognised from a scanned page (a chunk never mixes OCR text and a text layer)

    @property
    def covered_years(self) -> tuple[int, ...]:
        return self.years or (self.year,)


@dataclass(frozen=True)
class Passage:
    """A chunk as retrieval returned it, with how each retriever ranked it."""

    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)  # retriever name -> 1-based rank
    dense_similarity: float | None = None
    bm25_score: float | None = None


@dataclass(frozen=True)
class Citation:
    n: int
    doc_id: str
    title: str
    municipality: str
    year: int
    section: str
    page: int | None
    quote: str  # a verbatim substring of the chunk text
    score: float
    chunk_id: str
    start: int  # span of the quote in the document's clean text
    end: int
    role: str = "evidence"  # "evidence" backs the answer; "see_also" accompanies an abstention
    page_label: str | None = None  # the printed page label, where the PDF defines labels
    ocr: bool = False  # the quote is text recognised from a scanned page («tekst genkendt fra scannet side»)


@dataclass
class Answer:
    answer: str
    abstained: bool
    citations: list[Citation]
    timings_ms: dict[str, float] = field(default_factory=dict)
    municipalities: list[str] = field(default_factory=list)  # the filter that was applied
    years: list[int] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)  # extracted targets behind it, for target questions
    generator: str = "extractive"  # "extractive", or "llm:<model>" when an LLM wrote the text and it verified
    fallback_reason: str | None = None  # why an LLM answer was replaced by the extractive one (None: no fallback)
    kind: AnswerKind = "fact"


@dataclass(frozen=True)
class Target:
    """One quantitative target a plan states, typed, with the verbatim quote it came from."""

    target_id: str  # "<doc_id>#<n>", stable for the same clean text
    doc_id: str
    municipality: str
    plan_year: int
    title: str
    target_year: int | None  # the year the target is for (stated, from the section, or the plan's only year)
    target_period: str | None  # the plan's words for when ("december 2014", "2022"), None if unstated
    indicator: str  # what is measured, in the plan's words
    value: float
    value_text: str  # the number as written ("3,7", "fire")
    unit: str  # pct, procentpoint, personer, sager, bevillinger, uger, måneder, dage, timer, mio. kr., kr., ...
    direction: str  # at_most | at_least | decrease | increase | equal
    change: str | None  # for decrease/increase: "to" (a level to reach) or "by" (the size of the change)
    baseline: float | None  # the starting level, where the same statement gives one
    baseline_period: str | None  # "december 2012" in "et fald på 20 pct. fra december 2012"
    section: str
    page: int | None
    chunk_id: str
    quote: str  # == clean_text[start:end]
    start: int
    end: int
    ocr: bool = False  # the quote is text recognised from a scanned page
