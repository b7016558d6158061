"""The truth rules, in one place, for every answer path (extractive and LLM).

An answer may say only what the plans say, and a reader must be able to
check it:

- **Verbatim quotes.** A citation's quote is a span of its chunk's stored
  text: ``citation_for`` is the only place a Citation is built from a
  passage, and it takes the quote as ``chunk.text[start:end]`` with the
  span in clean-text offsets, so ``clean_text[citation.start:citation.end]
  == citation.quote`` holds for every citation of every path.
- **Numbers only from cited quotes.** Every number in an answer appears in
  a cited quote. ``verify`` checks a composed (extractive) answer: there
  the answer's own words carry no digits at all. ``verify_generated`` checks
  an LLM answer, whose words are the model's: a number in it must be in a
  cited passage (the sentence holding it joins that passage's quote), or be
  the plan year of a passage the claim cites (the citation carries that year
  as provenance).
- **Sentences backed by what they cite.** Each sentence of an LLM answer
  must share its content words with the passages it cites
  (``unsupported_sentence``): the Danish analyser's stems, a compound's
  parts counted, at least ``SUPPORT_THRESHOLD`` of them (measured:
  bench/support_threshold.py). A sentence after the last marker is read
  against every cited passage.
- **Citation numbers.** ``[n]`` markers (``MARKER``) name citations 1..m;
  an LLM answer's markers, which number the passages it was shown, are
  renumbered 1..m in order of first use (``renumber_markers``), matching its
  citations.

A broken rule raises ``UnsupportedAnswer`` naming the first rule broken. In
the extractive path that is a bug (the API answers 500); the LLM path turns
it into a fallback to the extractive answer (retrieval/generate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from planchat.danish import STOPWORDS, analyze, numbers_in, sentence_spans, words
from planchat.records import Answer, Citation, Passage


class UnsupportedAnswer(Exception):
    """An answer broke a truth rule; the message names the rule."""


# --- citations: verbatim spans of a passage's chunk ------------------------


def citation_for(n: int, passage: Passage, start: int, end: int, role: str) -> Citation:
    """Citation ``n`` quoting ``passage.chunk.text[start:end]`` (offsets in the
    chunk text), with the span in clean-text offsets and the passage's
    provenance. ``role`` is "evidence" or "see_also"."""
    chunk = passage.chunk
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        title=chunk.title,
        municipality=chunk.municipality,
        year=chunk.year,
        section=chunk.section,
        page=chunk.page,
        page_label=chunk.page_label,
        quote=chunk.text[start:end],
        score=round(float(passage.score), 6),
        chunk_id=chunk.chunk_id,
        start=chunk.start + start,
        end=chunk.start + end,
        role=role,
        ocr=chunk.ocr,
    )


def hull(spans: set[tuple[int, int]]) -> tuple[int, int]:
    """The one span from the first start to the last end of ``spans``."""
    return min(s for s, _ in spans), max(e for _, e in spans)


# --- citation markers ------------------------------------------------------

# "[1]", "[1, 2]", "[1;2]": the citations a claim rests on.
MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


def renumber_markers(text: str, renumber: dict[int, int]) -> str:
    """``text`` with every number inside a marker mapped through ``renumber``."""

    def substitute(match: re.Match[str]) -> str:
        return "[" + re.sub(r"\d+", lambda m: str(renumber[int(m.group(0))]), match.group(1)) + "]"

    return MARKER.sub(substitute, text)


@dataclass
class Claim:
    text: str  # answer text up to its markers (markers removed)
    refs: list[int]  # the passage numbers it cites (1-based, as the model wrote them)


def split_claims(text: str) -> list[Claim]:
    """The answer cut after each group of markers: each piece is the claim
    those markers back. Text after the last marker is a claim citing nothing."""
    claims: list[Claim] = []
    pos = 0
    for match in MARKER.finditer(text):
        refs = [int(n) for n in re.findall(r"\d+", match.group(1))]
        piece = text[pos : match.start()]
        if claims and not re.search(r"\w", piece):
            claims[-1].refs.extend(refs)  # "[1][2]" or "[1], [2]": one claim, two sources
        else:
            claims.append(Claim(piece, refs))
        pos = match.end()
    if re.search(r"\w", text[pos:]):
        claims.append(Claim(text[pos:], []))
    return claims


# --- a composed answer: its words are quotes --------------------------------


def verify(answer: Answer) -> None:
    """Every number in ``answer.answer`` (markers aside) is in a cited quote,
    and every evidence quote appears in the answer; raises
    ``UnsupportedAnswer`` otherwise."""
    quotes = " \n ".join(c.quote for c in answer.citations)
    quoted_numbers = set(numbers_in(quotes))
    for number in numbers_in(re.sub(r"\[\d+\]", "", answer.answer)):
        if number not in quoted_numbers:
            raise UnsupportedAnswer(f"number {number} in the answer is in no cited quote")
    for c in answer.citations:
        if not c.quote or c.quote not in answer.answer and c.role == "evidence":
            raise UnsupportedAnswer(f"citation [{c.n}] quote is not in the answer")


# --- a generated answer: its words are the model's --------------------------

_YEAR = re.compile(r"^(19|20)\d\d$")


def verify_generated(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Check an LLM answer against ``passages`` (numbered 1..len) and build
    its citations. Returns the text with markers renumbered 1..m in order of
    first use; raises ``UnsupportedAnswer`` naming the first broken rule."""
    if not re.search(r"\w", MARKER.sub("", text)):
        raise UnsupportedAnswer("the answer is empty")
    claims = split_claims(text)
    order = list(dict.fromkeys(ref for claim in claims for ref in claim.refs))
    if not order:
        raise UnsupportedAnswer("the answer cites no passage")
    for ref in order:
        if not 1 <= ref <= len(passages):
            raise UnsupportedAnswer(f"[{ref}] refers to no passage")
    chosen = _support(claims, passages)
    _cover_numbers(claims, passages, order, chosen)
    renumber = {ref: n for n, ref in enumerate(order, 1)}
    citations = [_quote_citation(renumber[ref], passages[ref - 1], chosen[ref]) for ref in order]
    return renumber_markers(text, renumber), citations


def _support(claims: list[Claim], passages: list[Passage]) -> dict[int, set[tuple[int, int]]]:
    """Per cited passage, the sentence spans (in its chunk text) that back
    the claims citing it: the best word overlap per claim, plus every
    sentence holding a number the claim uses (plan years aside)."""
    chosen: dict[int, set[tuple[int, int]]] = {}
    for claim in claims:
        terms = set(analyze(claim.text, expand_english=True))
        numbers = set(numbers_in(claim.text))
        for ref in claim.refs:
            passage = passages[ref - 1]
            text = passage.chunk.text
            spans = sentence_spans(text)
            picked = chosen.setdefault(ref, set())
            plan_years = {str(y) for y in passage.chunk.covered_years}
            for span in spans:
                if (set(numbers_in(text[span.start : span.end])) & numbers) - plan_years:
                    picked.add((span.start, span.end))
            if spans:
                best = max(spans, key=lambda s: (len(terms & set(analyze(text[s.start : s.end]))), -s.start))
                if not picked or len(terms & set(analyze(text[best.start : best.end]))) > 0:
                    picked.add((best.start, best.end))
            elif text.strip():
                picked.add((0, len(text)))
    return chosen


def _cover_numbers(
    claims: list[Claim], passages: list[Passage], order: list[int], chosen: dict[int, set[tuple[int, int]]]
) -> None:
    """Every number in the answer must be in a cited quote. A number its own
    claim's sources lack may still come from another cited passage (the
    sentence holding it joins that quote); a plan year of a cited passage
    needs no quote; anything else fails."""
    for claim in claims:
        refs = claim.refs or order  # an uncited sentence may lean on any cited passage
        years = {str(y) for ref in refs for y in passages[ref - 1].chunk.covered_years}
        for number in numbers_in(claim.text):
            if _quoted(number, passages, chosen) or (_YEAR.match(number) and number in years):
                continue
            span = _sentence_with(number, passages, order)
            if span is None:
                raise UnsupportedAnswer(f"number {number} is in no cited passage")
            ref, start, end = span
            chosen[ref].add((start, end))


def _quoted(number: str, passages: list[Passage], chosen: dict[int, set[tuple[int, int]]]) -> bool:
    for ref, spans in chosen.items():
        start, end = hull(spans)
        if number in numbers_in(passages[ref - 1].chunk.text[start:end]):
            return True
    return False


def _sentence_with(number: str, passages: list[Passage], order: list[int]) -> tuple[int, int, int] | None:
    for ref in order:
        text = passages[ref - 1].chunk.text
        for span in sentence_spans(text):
            if number in numbers_in(text[span.start : span.end]):
                return ref, span.start, span.end
    return None


def _quote_citation(n: int, passage: Passage, spans: set[tuple[int, int]]) -> Citation:
    """One contiguous quote per passage, from its first to its last chosen sentence."""
    start, end = hull(spans)
    return citation_for(n, passage, start, end, "evidence")


# --- a generated answer's sentences: each backed by the passages it cites ----

# The share of a sentence's content words its cited passages must hold. Measured on
# bench/support_examples.jsonl (bench/support_threshold.py, 35 paraphrases, 43 invented or mis-cited
# claims): paraphrases of their passage score 0.56-1.0 in Danish, 0.50-0.62 in English; invented
# claims 0.14-0.43; at 0.5 all 35 are kept and 39 of the 43 refused (the 4 left are mis-cited claims
# whose words the other passage shares; 3 of them carry a number that passage lacks).
SUPPORT_THRESHOLD = 0.5
# A sentence with fewer content words than this is not judged ("Ja [1].").
MIN_JUDGED_WORDS = 2
# How an answer talks about a plan, in words no passage needs to hold.
FRAME_WORDS = frozenset(
    analyze(
        "kommune kommunen kommunens plan planen planens beskæftigelsesplan beskæftigelsesplanen mål målet målsætning "
        "ifølge nævner skriver angiver fremgår beskriver står ønsker municipality plan plans target aims according "
        "states says goal"
    )
)


def content_words(text: str) -> list[set[str]]:
    """Per content word of ``text`` (no stopword, no number, no frame word), its stem and compound parts."""
    out = []
    for word in words(MARKER.sub(" ", text)):
        if word in STOPWORDS or word[0].isdigit() or len(word) < 2:
            continue
        stems = set(analyze(word, expand_english=True))  # an English answer's plan terms, in Danish
        if stems and not stems <= FRAME_WORDS:
            out.append(stems)
    return out


def passage_terms(passage: Passage) -> set[str]:
    """What a passage can back: its text and the header the model saw (municipality, year, section, title)."""
    chunk = passage.chunk
    return set(analyze(" ".join([chunk.text, chunk.municipality, chunk.section or "", chunk.title or ""])))


def support(sentence: str, terms: set[str]) -> float:
    """The share of ``sentence``'s content words that ``terms`` hold (a word counts when its stem or
    one of its compound parts does); 1.0 for a sentence with none."""
    wanted = content_words(sentence)
    if not wanted:
        return 1.0
    return sum(1 for stems in wanted if stems & terms) / len(wanted)


def unsupported_sentence(text: str, passages: list[Passage], threshold: float = SUPPORT_THRESHOLD) -> str | None:
    """The first sentence of an LLM answer its cited passages do not back, described; None when all are.
    ``text`` numbers passages as the model saw them (1..len)."""
    claims = split_claims(text)
    cited = sorted({ref for claim in claims for ref in claim.refs if 1 <= ref <= len(passages)})
    terms = {ref: passage_terms(passages[ref - 1]) for ref in cited}
    for claim in claims:
        refs = [ref for ref in claim.refs if ref in terms] or cited
        backing = set().union(*(terms[ref] for ref in refs)) if refs else set()
        for span in sentence_spans(claim.text):
            sentence = claim.text[span.start : span.end].strip()
            if len(content_words(sentence)) < MIN_JUDGED_WORDS:
                continue
            share = support(sentence, backing)
            if share < threshold:
                cites = ", ".join(f"[{r}]" for r in refs) or "no passage"
                shown = sentence if len(sentence) <= 100 else sentence[:99] + "…"
                return f"«{shown}» shares {share:.0%} of its content words with {cites}"
    return None
