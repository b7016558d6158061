"""Records -> the response models of api/schemas.py (the JSON contract).

``ask_body`` is the API's shape of a chat turn (``ChatService(shape=...)``):
the /v1/ask body, which the stream's ``done`` event, the OpenAI
``planchat`` field and the stored conversation turn carry too.
"""

from __future__ import annotations

from ingest.snapshot import IndexSnapshot
from planchat.records import Answer, Outline
from retrieval.chat import Prepared
from retrieval.compare import CompareRow, Comparison
from retrieval.ministermaal import Matrix, MinistermaalService

from .markers import find_markers, markers_of
from .pages.layout import source_url
from .schemas import (
    AskResponse,
    CitationOut,
    CompareResponse,
    CompareRowOut,
    Conversation,
    ConversationTurn,
    DocumentOutline,
    GoalOut,
    ListBlockOut,
    MarkerOut,
    MinistermaalCell,
    MinistermaalColumn,
    MinistermaalResponse,
    MinistermaalRow,
    OutlineHeadingOut,
    Span,
    TargetOut,
)


def citation_out(c) -> CitationOut:
    fields = {k: getattr(c, k) for k in CitationOut.model_fields if k != "url"}
    return CitationOut(**fields, url=source_url(c.doc_id, c.start, c.end))


def target_out(t) -> TargetOut:
    return TargetOut(**{k: getattr(t, k) for k in TargetOut.model_fields})


def row_out(row: CompareRow) -> CompareRowOut:
    return CompareRowOut(
        municipality=row.municipality,
        year=row.year,
        title=row.title,
        doc_id=row.doc_id,
        stated=row.stated,
        summary=row.summary,
        citations=[citation_out(c) for c in row.citations],
        targets=[target_out(t) for t in row.targets],
    )


def markers_out(answer: Answer) -> list[MarkerOut]:
    citations = [(c.n, c.quote, c.role) for c in answer.citations]
    markers = find_markers(answer.answer, citations, answer.generator, answer.abstained)
    return [MarkerOut(**m._asdict()) for m in markers]


def ask_response(prepared: Prepared, answer: Answer, notice: str | None) -> AskResponse:
    return AskResponse(
        answer=answer.answer,
        abstained=answer.abstained,
        kind=answer.kind,
        citations=[citation_out(c) for c in answer.citations],
        markers=markers_out(answer),
        targets=[target_out(t) for t in answer.targets],
        timings_ms=answer.timings_ms,
        municipalities=answer.municipalities,
        years=answer.years,
        question=prepared.resolved.question,
        carried=prepared.resolved.carried,
        conversation_id=prepared.conversation_id,
        generator=answer.generator,
        fallback_reason=answer.fallback_reason,
        notice=notice,
    )


def ask_body(prepared: Prepared, answer: Answer, notice: str | None) -> dict:
    return ask_response(prepared, answer, notice).model_dump()


def comparison_out(result: Comparison) -> CompareResponse:
    return CompareResponse(topic=result.topic, rows=[row_out(r) for r in result.rows], timings_ms=result.timings_ms)


def conversation_out(stored: dict) -> Conversation:
    turns = [
        ConversationTurn(
            question=t.question,
            resolved_question=(t.answer or {}).get("question") or t.text,
            answer=stored_answer(t.answer) if t.answer else None,
        )
        for t in stored["turns"]
    ]
    return Conversation(conversation_id=stored["conversation_id"], created_at=stored["created_at"],
                        updated_at=stored["updated_at"], turns=turns)  # fmt: skip


def stored_answer(body: dict) -> AskResponse:
    """A stored turn's answer; one stored before markers (or citation urls) were sent gets them now."""
    if "markers" not in body:
        body = {**body, "markers": [m._asdict() for m in markers_of(body)]}
    if any("url" not in c for c in body.get("citations") or []):
        body = {**body, "citations": [{**c, "url": source_url(c["doc_id"], c["start"], c["end"])}
                                      for c in body["citations"]]}  # fmt: skip
    return AskResponse(**body)


def ministermaal_out(matrix: Matrix, snapshot: IndexSnapshot) -> MinistermaalResponse:
    rows = []
    for goal in matrix.goals:
        sources = [
            citation_out(MinistermaalService.source_citation(snapshot, n, s)) for n, s in enumerate(goal.sources, 1)
        ]
        cells = [
            MinistermaalCell(
                municipality=r.municipality,
                doc_id=r.doc_id,
                stated=r.stated,
                summary=r.summary,
                citations=[citation_out(c) for c in r.citations],
                targets=[target_out(t) for t in r.targets],
            )
            for r in matrix.cells[goal.number]
        ]
        rows.append(MinistermaalRow(goal=GoalOut(number=goal.number, title=goal.title, sources=sources), cells=cells))
    columns = [
        MinistermaalColumn(municipality=m.municipality, doc_id=m.doc_id, year=m.year, title=m.title)
        for m in matrix.plans
    ]
    return MinistermaalResponse(year=matrix.year, columns=columns, rows=rows)


def outline_out(doc_id: str, text: str, outline: Outline) -> DocumentOutline:
    """The outline with its headings nested by level (a heading holds the
    deeper ones that follow it) and every span's text."""
    roots: list[OutlineHeadingOut] = []
    stack: list[OutlineHeadingOut] = []
    for h in outline.headings:
        node = OutlineHeadingOut(title=h.title, level=h.level, start=h.start, end=h.end, page=h.page,
                                 page_label=h.page_label)  # fmt: skip
        while stack and stack[-1].level >= h.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    lists = [
        ListBlockOut(
            start=b.start,
            end=b.end,
            numbered=b.numbered,
            page=b.page,
            page_label=b.page_label,
            intro=Span(start=b.intro[0], end=b.intro[1], text=text[b.intro[0] : b.intro[1]]) if b.intro else None,
            items=[Span(start=s, end=e, text=text[s:e]) for s, e in b.items],
        )  # fmt: skip
        for b in outline.lists
    ]
    return DocumentOutline(doc_id=doc_id, headings=roots, lists=lists)
