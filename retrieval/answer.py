"""The extractive answerer: Query + ranked Passages -> Answer. No LLM.

It scores the sentences and table rows of the best passages against the
question (idf-weighted stem overlap, a bonus for figures when the question
asks for one, a prior from the passage's rank), picks the few that answer
it, and composes a short answer that *is* those quotes, each followed by
its citation number, grouped by municipality when several appear.

Guarantees, checked by ``verify`` (retrieval/truth.py) before anything is
returned:
- every quote is a verbatim substring of its chunk's stored text;
- every number in the answer text appears in a cited quote (the answer's
  own words carry no digits);
- when the evidence is weak, or the question names a municipality the
  corpus has no plan for, the answer says "Det fremgår ikke af planerne…"
  with ``abstained=True`` and the closest passages as see-also citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from planchat.danish import analyze, numbers_in, sentence_spans
from planchat.records import Answer, Chunk, Citation, Passage
from prompts import render

from .query import Query
from .quotes import ANSWER_TYPES, extend_quote, wanted_by
from .truth import citation_for, verify

# A table of contents is a section titled just so («Indhold», «Indholdsfortegnelse»), not one about
# content («2. Indhold i udmøntningsplanen»).
_TOC = re.compile(r"(?i)^\W*(?:\d+\.?\s*)?(indholdsfortegnelse|indhold|contents)\W*$")
_YEAR_ONLY = re.compile(r"^(19|20)\d\d$")
MAX_QUOTE_CHARS = 600


@dataclass
class Candidate:
    passage: Passage
    passage_rank: int
    start: int  # span within the chunk text
    end: int
    score: float
    coverage: float
    terms: frozenset[str]

    @property
    def text(self) -> str:
        return self.passage.chunk.text[self.start : self.end]


@dataclass(frozen=True)
class AnswerPolicy:
    """Thresholds, chosen on the eval set (see ARCHITECTURE.md)."""

    min_dense_similarity: float = 0.83  # below this the question is off-topic (only when dense retrieval ran)
    min_passage_coverage: float = 0.2  # share of the question's idf mass the best passage must cover ...
    confident_dense_similarity: float = 0.88  # ... unless the dense match is at least this close
    min_coverage_lexical_only: float = 0.34  # bm25 mode: the best sentence must cover this much
    min_best_coverage: float = 0.12  # any mode: a best sentence covering less is no evidence at all
    min_group_coverage: float = 0.2  # a further municipality in a spanning answer needs this much
    max_quotes: int = 3
    relative_cutoff: float = 0.6  # further quotes must score at least this share of the best
    per_municipality_quotes: int = 2
    min_slot_coverage: float = 0.4  # a sentence that fills the asked slot must cover this much to answer


class ExcludedSpans:
    """(doc_id, start, end) spans of clean text no quote may come from, grouped
    by document. The ministermål matrix excludes every goal list and
    restatement of every plan (~3,800 spans at 1,000 plans); scanning them all
    for every sentence was half the matrix's time, so each passage looks up
    only the spans of its own document once."""

    def __init__(self, spans: Iterable[tuple[str, int, int]] = ()):
        self._by_doc: dict[str, list[tuple[int, int]]] = {}
        for doc_id, start, end in spans:
            self._by_doc.setdefault(doc_id, []).append((start, end))

    @classmethod
    def of(cls, spans) -> ExcludedSpans:
        """``spans`` as ExcludedSpans (a caller answering many queries builds it once)."""
        return spans if isinstance(spans, cls) else cls(spans)

    def __bool__(self) -> bool:
        return bool(self._by_doc)

    def in_chunk(self, chunk: Chunk) -> list[tuple[int, int]]:
        """The spans that overlap the chunk, in offsets of the chunk's text."""
        lo, hi = chunk.start, chunk.start + len(chunk.text)
        return [(s - lo, e - lo) for s, e in self._by_doc.get(chunk.doc_id, ()) if lo < e and s < hi]


class ExtractiveAnswerer:
    def __init__(self, idf, known=lambda term: True, policy: AnswerPolicy | None = None):
        self.idf = idf  # term -> idf weight (the lexical index's)
        self.known = known  # term -> does any chunk contain it
        self.policy = policy or AnswerPolicy()

    # -- scoring ------------------------------------------------------------
    def candidates(self, query: Query, passages: list[Passage], exclude=()) -> list[Candidate]:
        q_terms = content_terms(query)
        weights = self.term_weights(q_terms)
        total = sum(weights.values()) or 1.0
        excluded = ExcludedSpans.of(exclude)
        out = []
        for rank, passage in enumerate(passages):
            text = passage.chunk.text
            blocked = excluded.in_chunk(passage.chunk) if excluded else []
            section_terms = set(analyze(passage.chunk.section)) | set(analyze(passage.chunk.context))
            titles = set(passage.chunk.section.split(" › "))
            in_toc = any(_TOC.match(title) for title in titles)
            for span in sentence_spans(text):
                sentence = text[span.start : span.end]
                if len(sentence) > MAX_QUOTE_CHARS:
                    continue
                if blocked and any(span.start < e and s < span.end for s, e in blocked):
                    continue
                s_terms = set(analyze(sentence))
                matched = {t for t in q_terms if t in s_terms}
                # Terms found only in the heading path count half: they place
                # the sentence, they do not make it an answer.
                in_section = {t for t in q_terms if t in section_terms and t not in matched}
                coverage = (sum(weights[t] for t in matched) + 0.5 * sum(weights[t] for t in in_section)) / total
                figures = [n for n in numbers_in(sentence) if not _YEAR_ONLY.match(n)]
                score = coverage
                if query.wants_number and figures:
                    score += 0.25
                if query.answer_type in ANSWER_TYPES and ANSWER_TYPES[query.answer_type].search(sentence):
                    score += 0.2
                n_words = len(re.findall(r"\w+", sentence))
                if n_words < 3 or (n_words < 5 and not figures):
                    score -= 0.5  # fragments and labels do not answer anything
                if sentence.strip(" :") in titles or in_toc:
                    score -= 0.5  # a heading or a contents line only names the topic
                score += 0.15 / (1 + rank)
                out.append(Candidate(passage, rank, span.start, span.end, score, coverage, frozenset(matched)))
        out.sort(key=lambda c: (-c.score, c.passage_rank, c.start))
        return out

    # -- composing ----------------------------------------------------------
    def answer(self, query: Query, passages: list[Passage], *, dense_top: float | None = None, exclude=()) -> Answer:
        policy = self.policy
        if query.unknown_municipalities and not query.municipalities:
            return self.abstain(query, passages, reason="unknown")
        ranked = self.candidates(query, passages, exclude)
        if not ranked or self._weak(query, passages, ranked, dense_top):
            return self.abstain(query, passages)

        spanning = query.spanning or len(query.municipalities) > 1
        if not spanning:
            return self._compose(query, self._select(query, ranked, policy.max_quotes))
        # Several municipalities: each is answered from its own passages with
        # its own yardstick, so a quiet plan is not cut by a loud one.
        groups: dict[str, list[Candidate]] = {}
        for cand in ranked:
            groups.setdefault(cand.passage.chunk.municipality, []).append(cand)
        chosen: list[Candidate] = []
        wanted_text = wanted_by(query)
        wanted = (lambda text, _chunk: wanted_text(text)) if wanted_text else None  # noqa: E731
        for _muni, group in sorted(groups.items(), key=lambda kv: -kv[1][0].score):
            if group[0].coverage < policy.min_group_coverage:
                continue  # this plan is silent on the question
            if wanted is not None:  # the asked figure or date, from this plan's own sentences that cover the question
                filling = [c for c in group if c.coverage >= policy.min_slot_coverage and _fills(wanted, c)]
                group = filling or group
            picked = self._select(query, group, policy.per_municipality_quotes)
            if wanted is None or any(_fills(wanted, c) for c in picked):
                chosen.extend(picked)
        if not chosen and wanted is not None and len(query.municipalities) > 1:
            return self.abstain(query, passages)  # no named plan states what is asked
        return self._compose(query, chosen or self._select(query, ranked, policy.max_quotes))

    def answer_filling(self, query: Query, passages: list[Passage], accept, exclude=()) -> Answer | None:
        """The answer from the best sentences ``accept`` takes (those holding
        the asked date or figure: retrieval/slots.py), or None when none of
        them covers the question well enough."""
        ranked = [c for c in self.candidates(query, passages, exclude) if _fills(accept, c)]
        if not ranked or ranked[0].coverage < self.policy.min_slot_coverage:
            return None
        return self._compose(query, self._select(query, ranked, self.policy.max_quotes))

    def _select(self, query: Query, ranked: list[Candidate], limit: int) -> list[Candidate]:
        """The best candidate, then up to ``limit - 1`` more that come close
        and add something (new terms, new figures, or more of the same passage)."""
        best = ranked[0].score
        chosen: list[Candidate] = []
        covered: set[str] = set()
        covered_figures: set[str] = set()
        for cand in ranked:
            if len(chosen) >= limit:
                break
            if chosen and cand.score < self.policy.relative_cutoff * best:
                break
            if any(_overlaps(cand, other) or cand.text == other.text for other in chosen):
                continue
            figures = set(numbers_in(cand.text))
            adds_figures = query.wants_number and bool(figures - covered_figures)
            same_chunk = any(c.passage.chunk.chunk_id == cand.passage.chunk.chunk_id for c in chosen)
            if chosen and cand.terms <= covered and not adds_figures and not same_chunk:
                continue
            chosen.append(cand)
            covered |= cand.terms
            covered_figures |= figures
        return chosen

    def _weak(self, query: Query, passages: list[Passage], ranked: list[Candidate], dense_top) -> bool:
        policy = self.policy
        if ranked[0].coverage < policy.min_best_coverage:
            return True
        if dense_top is None:  # lexical retrieval only
            return ranked[0].coverage < policy.min_coverage_lexical_only
        if dense_top < policy.min_dense_similarity:
            return True
        if dense_top >= policy.confident_dense_similarity:
            return False
        return self.passage_coverage(query, passages) < policy.min_passage_coverage

    def term_weights(self, terms: list[str]) -> dict[str, float]:
        """idf per term; terms no plan uses weigh nothing (they are
        paraphrase or foreign words: no passage can cover them)."""
        return {t: (self.idf(t) if self.known(t) else 0.0) for t in terms}

    def passage_coverage(self, query: Query, passages: list[Passage]) -> float:
        terms = content_terms(query)
        weights = self.term_weights(terms)
        total = sum(weights.values()) or 1.0
        best = 0.0
        for p in passages:
            found = set(analyze(p.chunk.text)) | set(analyze(p.chunk.section)) | set(analyze(p.chunk.context))
            best = max(best, sum(w for t, w in weights.items() if t in found) / total)
        return best

    def _compose(self, query: Query, chosen: list[Candidate]) -> Answer:
        # Order: municipalities by their best quote; within one, best first.
        order: list[str] = []
        for cand in chosen:
            if cand.passage.chunk.municipality not in order:
                order.append(cand.passage.chunk.municipality)
        citations: list[Citation] = []
        lines = []
        for muni in order:
            group = [c for c in chosen if c.passage.chunk.municipality == muni]
            quotes = []
            for cand in group:
                start, end = extend_quote(cand.passage.chunk.text, cand.start, cand.end, query.wants_number,
                                          wanted=wanted_by(query), paragraph=query.answer_type == "how")  # fmt: skip
                cited = [(c.start - cand.passage.chunk.start, c.end - cand.passage.chunk.start)
                         for c in citations if c.chunk_id == cand.passage.chunk.chunk_id]  # fmt: skip
                if any(start < e and s < end for s, e in cited):  # grown into a quote already given
                    if any(cand.start < e and s < cand.end for s, e in cited):
                        continue
                    start, end = cand.start, cand.end
                citation = citation_for(len(citations) + 1, cand.passage, start, end, "evidence")
                citations.append(citation)
                quotes.append(f"«{citation.quote}» [{citation.n}]")
            lines.append(render("answer_line", query.lang, municipality=muni, quotes=" ".join(quotes)))
        if len(query.municipalities) > 1:  # each named plan answers, or the answer says it is silent
            lines += [
                render("answer_silent", query.lang, municipality=m) for m in query.municipalities if m not in order
            ]
        answer = Answer(answer="\n".join(lines), abstained=False, citations=citations)
        verify(answer)
        return answer

    def abstain(
        self, query: Query, passages: list[Passage], reason: str = "weak", missing: str | None = None
    ) -> Answer:
        """ "Det fremgår ikke af planerne …" with the closest passages as
        see-also; ``missing`` names what the plan does not state, when the
        topic is there but the asked figure, date or name is not."""
        if reason == "unknown":
            text = render(
                "abstain_unknown_municipality",
                query.lang,
                unknown=" og ".join(query.unknown_municipalities),
                known=", ".join(query.corpus_municipalities) or "-",
            )
        elif query.municipalities:
            text = render("abstain_filtered", query.lang, municipalities=" og ".join(query.municipalities))
        else:
            text = render("abstain", query.lang)
        if missing and reason != "unknown":
            text = f"{text} {render('abstain_slot', query.lang, what=missing)}"
        citations: list[Citation] = []
        for passage in passages[:3]:
            start, end = _lead(passage.chunk.text)
            citations.append(citation_for(len(citations) + 1, passage, start, end, "see_also"))
        if citations and reason != "unknown":
            refs = ", ".join(f"[{c.n}]" for c in citations)
            text = f"{text} {render('see_also', query.lang, refs=refs)}"
        answer = Answer(answer=text, abstained=True, citations=citations if reason != "unknown" else [])
        verify(answer)
        return answer


def content_terms(query: Query) -> list[str]:
    """The question's terms less the names of the municipalities it was
    filtered to (every passage already belongs to them)."""
    names = set(analyze(" ".join(query.municipalities)))
    return [t for t in dict.fromkeys(query.terms) if t not in names]


def _fills(accept, cand: Candidate) -> bool:
    """Does the candidate hold what is asked (``accept(text, chunk)``)? A
    fragment («2.», «3») holds nothing."""
    return len(re.findall(r"\w+", cand.text)) >= 3 and bool(accept(cand.text, cand.passage.chunk))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.passage.chunk.chunk_id == b.passage.chunk.chunk_id and a.start < b.end and b.start < a.end


def _lead(text: str, limit: int = 300) -> tuple[int, int]:
    """The opening sentences of a passage, up to ``limit`` characters."""
    spans = sentence_spans(text)
    if not spans:
        return 0, min(len(text), limit)
    end = spans[0].end
    for span in spans[1:]:
        if span.end - spans[0].start > limit:
            break
        end = span.end
    return spans[0].start, min(end, spans[0].start + max(limit, spans[0].end - spans[0].start))
