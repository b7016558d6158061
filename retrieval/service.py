"""The ask service: question + filters -> cited Answer, with timings.

The one entry point the API, the CLI and the eval runner share. It
validates the request, analyses the question, retrieves (per municipality
when the question spans several, so the loudest plan cannot crowd out the
others), and hands the passages to the extractive answerer.
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.index import PlanIndex
from ingest.snapshot import IndexSnapshot
from planchat.config import Settings
from planchat.errors import InvalidRequest
from planchat.records import Answer, Chunk, Passage, Target
from planchat.timing import Timer

from .answer import ExcludedSpans, ExtractiveAnswerer, content_terms
from .query import Query, QueryAnalyzer, query_analyzer
from .retrievers import RETRIEVERS, Retriever
from .slots import answer_kind, answers_slot, missing_text, past_years, unfilled_slot
from .structure import expand_section, list_answer
from .target_selection import TargetTerms, asks_for_target, distinct_targets, select_targets, targets_in_citations


def require_text(field_name: str, value: str) -> None:
    """JSON may carry lone surrogates ("\\ud800"); they are not text (no UTF-8
    encoding exists for them), and a reply that quotes them cannot be sent."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest(
            f"{field_name}: contains characters that are not valid text (unpaired surrogates). Send UTF-8 text."
        ) from None


class AskService:
    def __init__(self, index: PlanIndex, settings: Settings, mode: str | None = None):
        self.index = index
        self.settings = settings
        self.mode = mode or settings.retrieval_mode
        factory = RETRIEVERS.get(self.mode)
        if factory is None:
            raise InvalidRequest(f"retrieval mode '{self.mode}' is unknown; use one of {', '.join(RETRIEVERS)}.")
        self.retriever: Retriever = factory(
            index, rrf_k=settings.rrf_k, candidates=settings.candidates, bm25_weight=settings.bm25_weight
        )

    @property
    def analyzer(self) -> QueryAnalyzer:
        """The current snapshot's analyser (a request uses its own snapshot's)."""
        return query_analyzer(self.index.snapshot)

    def validate(self, question: str, municipalities, years, top_k: int | None, field: str = "question") -> int:
        """The request's limits (``field``: what the request calls the question); returns top_k."""
        s = self.settings
        if question is None or not question.strip():
            raise InvalidRequest(f"{field}: must not be empty. Ask something about the plans.")
        require_text(field, question)
        if len(question) > s.max_question_chars:
            raise InvalidRequest(
                f"{field}: is {len(question)} characters; the limit is {s.max_question_chars}. Shorten the {field}."
            )
        k = s.top_k if top_k is None else top_k
        if not 1 <= k <= s.max_top_k:
            raise InvalidRequest(f"top_k: must be between 1 and {s.max_top_k}; got {k}.")
        for name, values in (("municipalities", municipalities), ("years", years)):
            if values is not None and len(values) > s.max_filter_values:
                raise InvalidRequest(f"{name}: at most {s.max_filter_values} values; got {len(values)}.")
        return k

    def ask(
        self,
        question: str,
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
        top_k: int | None = None,
    ) -> Answer:
        return self.ask_with_passages(question, municipalities, years, top_k)[0]

    def ask_with_passages(
        self,
        question: str,
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
        top_k: int | None = None,
    ) -> tuple[Answer, list[Passage]]:
        """The answer and the ranked passages it was drawn from (for evaluation)."""
        timer = Timer()
        snapshot = self.index.snapshot
        k = self.validate(question, municipalities, years, top_k)
        query = query_analyzer(snapshot).analyze(question, municipalities, years)
        return self.answer_query(snapshot, query, k, timer=timer)

    def embedded(self, query: Query) -> Query:
        """The query with its embedding, when the retriever needs one: a
        request embeds its question once, whatever it retrieves."""
        if not self.retriever.uses_vectors or query.vector is not None:
            return query
        return query.with_(vector=self.index.embedder.embed_query(query.text))

    def answer_query(
        self,
        snapshot: IndexSnapshot,
        query: Query,
        k: int,
        *,
        exclude: Sequence[tuple[str, int, int]] | ExcludedSpans = (),
        timer: Timer | None = None,
    ) -> tuple[Answer, list[Passage]]:
        """Retrieve and answer an analysed query from one snapshot. ``exclude``
        holds (doc_id, start, end) spans of clean text no quote may come from
        (e.g. the ministermål list itself, when the question is one of its
        goals). ``timer`` started with the request (its time so far counts as
        analysis)."""
        timer = timer or Timer()
        timer.lap("analyze")
        query = self.embedded(query)
        passages = self.retrieve(snapshot, query, k)
        timer.lap("retrieve")
        dense = [p.dense_similarity for p in passages if p.dense_similarity is not None]
        answerer = ExtractiveAnswerer(idf=snapshot.bm25.idf, known=snapshot.bm25.knows)
        answer = answerer.answer(query, passages, dense_top=max(dense) if dense else None, exclude=exclude)
        slot = unfilled_slot(query, answer, {p.chunk.chunk_id: p.chunk.context for p in passages})
        if slot:  # the sentences that fill the asked slot, else: the plan discusses it but does not state it
            past = past_years(query, [c.year for c in answer.citations])

            def accept(text: str, chunk: Chunk) -> bool:
                return answers_slot(query, slot, past, text, chunk.section, chunk.context)

            answer = answerer.answer_filling(query, passages, accept, exclude) or answerer.abstain(
                query, passages, missing=missing_text(slot, query.lang)
            )
        elif query.wants_list:
            answer = list_answer(query, answer, snapshot, snapshot.bm25.idf, snapshot.bm25.knows)
        if query.answer_type == "how" and not (query.spanning or len(query.municipalities) > 1):
            answer = expand_section(answer, snapshot)
        timer.lap("answer")
        answer.kind = answer_kind(query, answer)
        answer.municipalities = query.municipalities
        answer.years = query.years
        if not answer.abstained and asks_for_target(query.text):
            answer.targets = self.targets_for(snapshot, query, answer)
        answer.timings_ms = timer.ms()
        return answer, passages

    def targets_for(self, snapshot: IndexSnapshot, query: Query, answer: Answer, limit: int = 6) -> list[Target]:
        """The extracted targets an answer quotes, then those of the same
        plans that match the question's terms."""
        docs = {c.doc_id for c in answer.citations if c.role == "evidence"}
        pool = [t for d in sorted(docs) for t in snapshot.targets(d)]
        if query.years:
            pool = [t for t in pool if t.target_year in query.years or t.plan_year in query.years] or pool
        cited = targets_in_citations(pool, answer.citations)
        topical = select_targets(
            pool, terms=content_terms(query), idf=snapshot.bm25.idf, terms_of=TargetTerms.of(snapshot)
        )
        return distinct_targets(cited + [t for t in topical if t not in cited])[:limit]

    def retrieve(self, snapshot: IndexSnapshot, query: Query, k: int) -> list[Passage]:
        if query.doc_ids is not None and not query.doc_ids:
            return []
        scope = query.municipalities or (
            sorted({m.municipality for m in snapshot.documents.values()}) if query.spanning else []
        )
        if len(scope) < 2:
            return self.retriever.retrieve(snapshot, query, k)
        # One retrieval per municipality, then interleave by rank, so every
        # plan in scope is heard.
        per_muni = max(2, k // len(scope) + 1)
        lists = []
        for muni in scope:
            docs = [d for d, meta in snapshot.documents.items() if meta.municipality == muni]
            if query.doc_ids is not None:
                docs = [d for d in docs if d in query.doc_ids]
            if docs:
                lists.append(self.retriever.retrieve(snapshot, query.with_(doc_ids=docs), per_muni))
        merged: list[Passage] = []
        for rank in range(per_muni):
            tier = [lst[rank] for lst in lists if rank < len(lst)]
            merged.extend(sorted(tier, key=lambda p: -p.score))
        return merged
