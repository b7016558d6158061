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
- the LLM is asked only where ``asks_llm`` holds: the extractive answer
  does not abstain and there are passages;
- the reply is served only when retrieval/judge.py accepts it: it answers
  where the extractive answer answers (no false "not in the plans"), fills
  the asked slot from its cited quotes, each sentence is backed by the
  passages it cites, and the truth rules of retrieval/truth.py hold (every
  marker names a passage; quotes are verbatim spans of their chunks,
  renumbered 1..m in order of first use; every number is in a cited quote
  or is the plan year of a cited passage);
- otherwise the extractive answer is returned with ``fallback_reason`` set
  (judge.py ``FALLBACK_REASONS``: "llm_abstained_on_evidence", "timeout:
  ...", "unverified: ...", ...), and ``fallback_notice`` gives the sentence
  to show the user.

Decisions:
- When the extractive answerer abstains (off-topic, unknown municipality, a
  slot the plans do not fill) the LLM is not asked: that gate is measured
  (abstention precision 0.85 / 1.00 core / held-out), and weak passages
  are where a fluent model invents support.
- An LLM that says the plans do not answer, where the extractive answerer
  found the answer, is not believed (issue 18: a small model copies the
  abstention sentence of its prompt, and that served a false "the plans do
  not say" for questions the plans answer). The extractive answer is served.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from planchat.records import Answer, Passage

# The names this module offered before it was split, for importers not yet
# moved to their new homes.
from .condense import clean_rewrite, condense, condense_messages  # noqa: F401
from .judge import judge
from .llm_client import GenerationError, Generator, OpenAIChatGenerator, UnverifiedAnswer, generator_from_settings  # noqa: F401
from .llm_prompts import ABSTAIN, build_messages, fallback_notice, fence, passage_block  # noqa: F401
from .query import Query
from .truth import split_claims  # noqa: F401

log = logging.getLogger(__name__)


def asks_llm(extractive: Answer, passages: list[Passage]) -> bool:
    """Is the LLM asked at all? Not where the extractive answer abstains (judge.py rule 1)."""
    return bool(passages) and not extractive.abstained


def generate_answer(generator: Generator, query: Query, passages: list[Passage], extractive: Answer) -> Answer:
    """The LLM's answer when the judge accepts it, else ``extractive`` with the reason."""
    t0 = time.perf_counter()
    if not asks_llm(extractive, passages):
        return _with_timing(extractive, t0)
    try:
        reply = generator.complete(build_messages(query.text, query.lang, passages))
        answer = judge(reply, query, passages, extractive, generator.name)
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
