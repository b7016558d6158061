"""Optional LLM generation: passages -> a written answer, kept only if it verifies.

With ``PLANCHAT_LLM_BASE_URL`` and ``PLANCHAT_LLM_MODEL`` set, an
OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, ...) writes the
answer from the same passages the extractive answerer read. The extractive
answer is always computed first and is what the user gets whenever the LLM
answer cannot be trusted, so enabling an LLM can change the wording of an
answer but never weaken its truth rules.

Guarantees of ``generate_answer`` (it never raises):
- the answer carries at least one [n] marker, and every marker names a
  passage the model was shown; markers are renumbered 1..m in order of
  first use, matching the citations;
- each citation's quote is a verbatim span of its chunk's stored text (the
  sentences that best share words with the claims citing it, and every
  sentence holding a number those claims use), so the API's
  ``clean_text[start:end] == quote`` check holds as for extractive answers;
- every number in the answer text appears in a cited quote, or is the plan
  year of a cited passage (the citation carries that year as provenance;
  the model sees it in the passage header and names it naturally);
- otherwise the extractive answer is returned with ``fallback_reason`` set
  ("timeout: ...", "unverified: ..."), and ``fallback_notice`` gives the
  sentence to show the user.

Decisions:
- The model sees exactly the chunk text that can be quoted (not the
  retrieval-only ``context``), so every claim can be checked against it.
- Passages are fenced by ``<<<KILDE n | ...>>>`` / ``<<<SLUT KILDE n>>>``
  and the system prompt says their text is data. Runs of angle brackets
  are removed from passage text first, so a document cannot close its own
  block and speak as the user; a prompt injection that still persuades the
  model must then also survive the number and citation checks.
- When the extractive answerer abstains (off-topic, unknown municipality)
  the LLM is not asked: that gate is measured (abstention precision 0.85 /
  1.00 core / held-out), and weak passages are where a fluent model invents
  support. When the LLM says the plans do not answer, we abstain too, with
  the extractive quotes as see-also: it read the passages and found no
  answer, the known weakness of the extractive answerer.
- The HTTP client ignores proxy environment variables (configuration is the
  Settings class only). ``llm_timeout_s`` is httpx's per-operation timeout
  (connect, each read), which bounds a server that does not answer.
- Follow-up questions are condensed into a standalone Danish question for
  retrieval (the plans and the analyser are Danish); the caller keeps the
  language of the original question for the answer.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Optional, Protocol

import httpx

from planchat.danish import analyze, numbers_in, sentence_spans
from planchat.records import Answer, Citation, Passage

from prompts import render

from .answer import _citation
from .query import Query

log = logging.getLogger(__name__)

# --- the generator role ----------------------------------------------------


class GenerationError(Exception):
    """The LLM gave no usable answer. ``str()`` is "<code>: <message>", the
    form ``Answer.fallback_reason`` takes."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class UnverifiedAnswer(GenerationError):
    """The LLM answered, but the answer broke a truth rule."""

    def __init__(self, message: str):
        super().__init__("unverified", message)


class Generator(Protocol):
    name: str  # "llm:<model>", reported as Answer.generator

    def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str: ...


_THINKING = re.compile(r"(?s)<think>.*?</think>")  # reasoning models (deepseek-r1 on Ollama) put this in content


class OpenAIChatGenerator:
    """POST {base_url}/chat/completions, temperature 0."""

    def __init__(
        self, base_url: str, model: str, api_key: str = "", timeout_s: float = 30.0, max_tokens: int = 600
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.name = f"llm:{model}"
        self.timeout_s = timeout_s
        self.max_tokens = max_tokens
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=httpx.Timeout(timeout_s), headers=headers, trust_env=False)

    def complete(self, messages: list[dict], *, max_tokens: int | None = None) -> str:
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": max_tokens or self.max_tokens,
        }
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise GenerationError("timeout", f"LLM did not answer within {self.timeout_s:g} s") from None
        except httpx.HTTPError as err:
            raise GenerationError("unreachable", f"cannot reach the LLM at {self.url} ({type(err).__name__})") from None
        if not response.is_success:
            raise GenerationError("http_error", f"LLM server answered HTTP {response.status_code}")
        return _content(response)

    def close(self) -> None:
        self._client.close()


def _content(response: httpx.Response) -> str:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except ValueError:
        raise GenerationError("malformed", "LLM reply is not JSON") from None
    except (KeyError, IndexError, TypeError):
        raise GenerationError("malformed", "LLM reply has no choices[0].message.content") from None
    if not isinstance(content, str) or not _THINKING.sub("", content).strip():
        raise GenerationError("empty", "LLM returned an empty answer")
    return _THINKING.sub("", content).strip()


def generator_from_settings(settings) -> Optional[Generator]:
    """The configured generator, or None when no LLM is configured."""
    if not settings.llm_enabled:
        return None
    return OpenAIChatGenerator(
        settings.llm_base_url,
        settings.llm_model,
        api_key=settings.llm_api_key,
        timeout_s=settings.llm_timeout_s,
        max_tokens=settings.llm_max_tokens,
    )


# --- prompts ---------------------------------------------------------------

# Angle-bracket runs (ASCII, full-width, guillemets) could forge a delimiter.
_DELIMITER_LOOKALIKE = re.compile(r"[<>＜＞‹›«»〈〉《》]{2,}")


def fence(text: str) -> str:
    """``text`` with anything that could pass for a passage delimiter removed."""
    return _DELIMITER_LOOKALIKE.sub(" ", text)


def passage_block(n: int, passage: Passage) -> str:
    chunk = passage.chunk
    header = [f"{chunk.municipality} {chunk.year}"]
    if chunk.page is not None:
        header.append(f"s. {chunk.page_label or chunk.page}")
    if chunk.section:
        header.append(chunk.section)
    head = fence(" | ".join(header)).replace("\n", " ")
    return f"<<<KILDE {n} | {head}>>>\n{fence(chunk.text)}\n<<<SLUT KILDE {n}>>>"


def build_messages(question: str, lang: str, passages: list[Passage]) -> list[dict]:
    """System rules + the passages numbered 1..len, fenced, and the question."""
    blocks = "\n\n".join(passage_block(n, p) for n, p in enumerate(passages, 1))
    return [
        {"role": "system", "content": render("llm_system", lang, abstain=render("abstain", lang))},
        {"role": "user", "content": render("llm_user", lang, passages=blocks, question=fence(question.strip()))},
    ]


def fallback_notice(lang: str) -> str:
    """The sentence shown above an extractive answer that replaced an LLM answer."""
    return render("llm_fallback", lang)


# --- condensing follow-ups -------------------------------------------------

HISTORY_MESSAGES = 6  # the last three exchanges carry the municipality/year a follow-up leans on
HISTORY_CHARS = 500  # per message; long quoted answers add nothing the rewrite needs
MAX_CONDENSED_CHARS = 400
_ROLE_LABELS = {"da": {"user": "Bruger", "assistant": "Assistent"}, "en": {"user": "User", "assistant": "Assistant"}}
_QUESTION_START = re.compile(
    r"(?i)^(hvad|hvilke|hvilken|hvilket|hvor|hvordan|hvornår|hvem|hvorfor|hvis|er|har|kan|skal|vil|må|findes|"
    r"gælder|nævner|beskriver|what|which|how|when|who|why|is|are|does|do)\b"
)
_LEAD_LABEL = re.compile(
    r"(?i)^(selvstændigt spørgsmål|omskrevet spørgsmål|spørgsmål|standalone question|question)\s*:\s*"
)
_QUOTES = "\"'“”„«»‘’`"


def condense_messages(history: list[dict], question: str, lang: str = "da") -> list[dict]:
    """One user message asking for ``question`` rewritten as a standalone
    Danish question, with the recent history as a transcript."""
    labels = _ROLE_LABELS.get(lang, _ROLE_LABELS["da"])
    lines = []
    for message in history[-HISTORY_MESSAGES:]:
        label = labels.get(message.get("role", ""), labels["user"])
        content = " ".join(str(message.get("content", "")).split())[:HISTORY_CHARS]
        lines.append(f"{label}: {fence(content)}")
    transcript = "\n".join(lines) or "-"
    return [{"role": "user", "content": render("llm_condense", lang, history=transcript, question=fence(question))}]


def condense(generator: Generator, history: list[dict], question: str) -> str:
    """``question`` as a standalone Danish question, or unchanged when there
    is no history or the rewrite fails or does not look like a question."""
    if not history:
        return question
    try:
        reply = generator.complete(condense_messages(history, question), max_tokens=120)
    except GenerationError as err:
        log.info("condense fell back to the original question: %s", err)
        return question
    return clean_rewrite(reply) or question


def clean_rewrite(reply: str) -> str:
    """The first line of ``reply`` stripped of labels and quotes, or "" when
    it is not a plausible rewritten question."""
    line = next((ln.strip() for ln in reply.splitlines() if ln.strip()), "")
    line = _LEAD_LABEL.sub("", line).strip().strip(_QUOTES).strip()
    if not line or len(line) > MAX_CONDENSED_CHARS or _MARKER.search(line) or _ABSTAIN.search(line):
        return ""
    if not (line.endswith("?") or _QUESTION_START.match(line)):
        return ""  # an answer or a remark, not a question
    return line


# --- generating and verifying an answer ------------------------------------

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_ABSTAIN = re.compile(r"(?i)fremgår\s+ikke\s+af\s+planerne|plans\s+do\s+not\s+say")
_YEAR = re.compile(r"^(19|20)\d\d$")


@dataclass
class _Claim:
    text: str  # answer text up to its markers (markers removed)
    refs: list[int]  # the passage numbers it cites (1-based, as the model wrote them)


def generate_answer(generator: Generator, query: Query, passages: list[Passage], extractive: Answer) -> Answer:
    """The LLM's answer when it verifies, else ``extractive`` with the reason."""
    t0 = time.perf_counter()
    if extractive.abstained or not passages:
        return _with_timing(extractive, t0)
    try:
        reply = generator.complete(build_messages(query.text, query.lang, passages))
        answer = _verified_answer(reply, query, passages, extractive, generator.name)
    except GenerationError as err:
        answer = replace(extractive, generator="extractive", fallback_reason=str(err))
    except Exception as err:  # a generator backend's own bug must not cost the user the answer
        log.exception("LLM generation failed")
        answer = replace(extractive, generator="extractive", fallback_reason=f"error: {type(err).__name__}: {err}")
    return _with_timing(answer, t0)


def _with_timing(answer: Answer, t0: float) -> Answer:
    ms = round((time.perf_counter() - t0) * 1000, 2)
    timings = dict(answer.timings_ms)
    timings["generate"] = ms
    if "total" in timings:
        timings["total"] = round(timings["total"] + ms, 2)
    return replace(answer, timings_ms=timings)


def _verified_answer(reply: str, query: Query, passages: list[Passage], extractive: Answer, name: str) -> Answer:
    text = reply.strip()
    if not _MARKER.search(text) and _ABSTAIN.search(text):
        return _abstention(query, extractive, name)
    text, citations = verify_generated(text, passages)
    return replace(
        extractive, answer=text, abstained=False, citations=citations, generator=name, fallback_reason=None
    )


def verify_generated(text: str, passages: list[Passage]) -> tuple[str, list[Citation]]:
    """Check an LLM answer against ``passages`` (numbered 1..len) and build
    its citations. Returns the text with markers renumbered 1..m in order of
    first use; raises ``UnverifiedAnswer`` naming the first broken rule."""
    if not re.search(r"\w", _MARKER.sub("", text)):
        raise UnverifiedAnswer("the answer is empty")
    claims = split_claims(text)
    order = list(dict.fromkeys(ref for claim in claims for ref in claim.refs))
    if not order:
        raise UnverifiedAnswer("the answer cites no passage")
    for ref in order:
        if not 1 <= ref <= len(passages):
            raise UnverifiedAnswer(f"[{ref}] refers to no passage")
    chosen = _support(claims, passages)
    _cover_numbers(claims, passages, order, chosen)
    renumber = {ref: n for n, ref in enumerate(order, 1)}
    citations = [_quote_citation(renumber[ref], passages[ref - 1], chosen[ref]) for ref in order]
    return _renumber(text, renumber), citations


def split_claims(text: str) -> list[_Claim]:
    """The answer cut after each group of markers: each piece is the claim
    those markers back. Text after the last marker is a claim citing nothing."""
    claims: list[_Claim] = []
    pos = 0
    for match in _MARKER.finditer(text):
        refs = [int(n) for n in re.findall(r"\d+", match.group(1))]
        piece = text[pos : match.start()]
        if claims and not re.search(r"\w", piece):
            claims[-1].refs.extend(refs)  # "[1][2]" or "[1], [2]": one claim, two sources
        else:
            claims.append(_Claim(piece, refs))
        pos = match.end()
    if re.search(r"\w", text[pos:]):
        claims.append(_Claim(text[pos:], []))
    return claims


def _support(claims: list[_Claim], passages: list[Passage]) -> dict[int, set[tuple[int, int]]]:
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
    claims: list[_Claim], passages: list[Passage], order: list[int], chosen: dict[int, set[tuple[int, int]]]
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
                raise UnverifiedAnswer(f"number {number} is in no cited passage")
            ref, start, end = span
            chosen[ref].add((start, end))


def _quoted(number: str, passages: list[Passage], chosen: dict[int, set[tuple[int, int]]]) -> bool:
    for ref, spans in chosen.items():
        start, end = _hull(spans)
        if number in numbers_in(passages[ref - 1].chunk.text[start:end]):
            return True
    return False


def _sentence_with(number: str, passages: list[Passage], order: list[int]) -> Optional[tuple[int, int, int]]:
    for ref in order:
        text = passages[ref - 1].chunk.text
        for span in sentence_spans(text):
            if number in numbers_in(text[span.start : span.end]):
                return ref, span.start, span.end
    return None


def _hull(spans: set[tuple[int, int]]) -> tuple[int, int]:
    return min(s for s, _ in spans), max(e for _, e in spans)


def _quote_citation(n: int, passage: Passage, spans: set[tuple[int, int]]) -> Citation:
    """One contiguous quote per passage, from its first to its last chosen sentence."""
    start, end = _hull(spans)
    return _citation(n, passage, start, end, "evidence")


def _renumber(text: str, renumber: dict[int, int]) -> str:
    def substitute(match: re.Match[str]) -> str:
        return "[" + re.sub(r"\d+", lambda m: str(renumber[int(m.group(0))]), match.group(1)) + "]"

    return _MARKER.sub(substitute, text)


def _abstention(query: Query, extractive: Answer, name: str) -> Answer:
    """The LLM found no answer in the passages: abstain in the project's own
    words, with the extractive quotes as see-also."""
    if query.municipalities:
        text = render("abstain_filtered", query.lang, municipalities=" og ".join(query.municipalities))
    else:
        text = render("abstain", query.lang)
    see_also = [replace(c, n=n, role="see_also") for n, c in enumerate(extractive.citations[:3], 1)]
    if see_also:
        refs = ", ".join(f"[{c.n}]" for c in see_also)
        text = f"{text} {render('see_also', query.lang, refs=refs)}"
    return replace(
        extractive, answer=text, abstained=True, citations=see_also, targets=[], generator=name, fallback_reason=None
    )
