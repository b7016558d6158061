"""Optional LLM generation: passages -> a written answer, kept only if it verifies.

With ``PLANCHAT_LLM_BASE_URL`` and ``PLANCHAT_LLM_MODEL`` set, an
OpenAI-compatible chat server (Ollama, llama.cpp, vLLM, ...) writes the
answer from the same passages the extractive answerer read. The extractive
answer is always computed first and is what the user gets whenever the LLM
answer cannot be trusted, so enabling an LLM can change the wording of an
answer but never weaken its truth rules.

This module is the orchestration only: the HTTP client is
retrieval/llm_client.py, the prompts retrieval/llm_prompts.py, follow-up
condensing retrieval/condense.py and the truth rules retrieval/truth.py.

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
- When the extractive answerer abstains (off-topic, unknown municipality)
  the LLM is not asked: that gate is measured (abstention precision 0.85 /
  1.00 core / held-out), and weak passages are where a fluent model invents
  support. When the LLM says the plans do not answer, we abstain too, with
  the extractive quotes as see-also: it read the passages and found no
  answer, the known weakness of the extractive answerer.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from planchat.records import Answer, Passage
from prompts import render

# The names this module offered before it was split, for importers not yet
# moved to their new homes.
from .condense import clean_rewrite, condense, condense_messages  # noqa: F401
from .llm_client import GenerationError, Generator, OpenAIChatGenerator, UnverifiedAnswer, generator_from_settings  # noqa: F401
from .llm_prompts import ABSTAIN, build_messages, fallback_notice, fence, passage_block  # noqa: F401
from .query import Query
from .truth import (
    MARKER,
    UnsupportedAnswer,
    split_claims,  # noqa: F401
    verify_generated,
)

log = logging.getLogger(__name__)


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
    if not MARKER.search(text) and ABSTAIN.search(text):
        return _abstention(query, extractive, name)
    try:
        text, citations = verify_generated(text, passages)
    except UnsupportedAnswer as err:
        raise UnverifiedAnswer(str(err)) from None
    return replace(extractive, answer=text, abstained=False, citations=citations, generator=name, fallback_reason=None)


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
        extractive,
        answer=text,
        abstained=True,
        citations=see_also,
        targets=[],
        generator=name,
        fallback_reason=None,
        kind="abstain",
    )
