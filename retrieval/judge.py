"""The verdict on an LLM's reply: served only when it answers as well as the
extractive answer does, and says only what its cited passages say.

``judge`` is the one place an LLM reply becomes an answer; every LLM path
(/v1/ask, /v1/ask/stream, /v1/chat/completions, ``planchat ask``) reaches it
through retrieval/generate.py. The rules, in order, each with the
``fallback_reason`` a reply that breaks it gets (the extractive answer is
served instead; ``FALLBACK_REASONS`` lists them all):

1. Where the extractive answer abstains, the LLM may not answer
   (``llm_answered_where_extractive_abstained``). generate.py does not even
   ask it there; the rule stands here so no caller can serve one.
2. An LLM abstention ("Det fremgår ikke af planerne", anywhere in the reply,
   with or without a marker) is accepted only where the extractive answer
   also abstains; where it answered, the plans hold evidence the model did
   not use (``llm_abstained_on_evidence``). A small model copies the
   abstention sentence of its system prompt; this is what issue 18 saw.
3. The truth rules of retrieval/truth.py: markers name passages, quotes
   are verbatim, every number is in a cited quote (``unverified: …``).
4. Each sentence shares enough of its content words with the passages it
   cites (``llm_unsupported_sentence: …``, truth.py ``unsupported_sentence``).
5. A question asking for a figure, a share, an amount, a date, a duration,
   a frequency or a name (retrieval/slots.py ``slot_of``) is answered only
   when the reply's own text and one of its cited quotes fill that slot, as
   an extractive answer must (``llm_slot_unfilled: <slot>``). A list
   question (the extractive answer is a list) is answered only by a reply
   naming at least two items of the cited lists
   (``llm_slot_unfilled: list``).
"""

from __future__ import annotations

import re
from dataclasses import replace

from planchat.records import Answer, Passage

from .llm_client import GenerationError
from .llm_prompts import ABSTAIN
from .query import Query
from .slots import fills, slot_of, unfilled_slot
from .truth import MARKER, UnsupportedAnswer, unsupported_sentence, verify_generated

# Every value ``Answer.fallback_reason`` takes: "<code>" or "<code>: <detail>".
FALLBACK_REASONS = {
    "llm_abstained_on_evidence": "the LLM said the plans do not answer, but the extractive answer found it",
    "llm_answered_where_extractive_abstained": "the LLM answered a question the plans do not answer",
    "llm_slot_unfilled": "the question asks for a figure, date, name or list the reply's cited quotes do not give",
    "llm_unsupported_sentence": "a sentence shares too few content words with the passages it cites",
    "unverified": "a truth rule broke: no marker, a marker naming no passage, a number in no cited quote",
    "timeout": "the LLM did not answer within PLANCHAT_LLM_TIMEOUT_S",
    "unreachable": "the LLM server could not be reached",
    "http_error": "the LLM server answered with an HTTP error",
    "malformed": "the LLM server's reply was not a chat completion",
    "empty": "the LLM returned no text",
    "error": "an unexpected error in the generator (logged)",
}


class Rejected(GenerationError):
    """The LLM answered, but the answer may not replace the extractive one."""

    def __init__(self, code: str, detail: str = ""):
        Exception.__init__(self, f"{code}: {detail}" if detail else code)
        self.code, self.message = code, detail


def abstains(reply: str) -> bool:
    """Does the reply say, anywhere, that the plans do not answer?"""
    return bool(ABSTAIN.search(reply))


def judge(reply: str, query: Query, passages: list[Passage], extractive: Answer, name: str) -> Answer:
    """The answer ``reply`` may be served as, or ``Rejected``/``UnverifiedAnswer`` naming the rule it broke."""
    text = reply.strip()
    if extractive.abstained:
        if abstains(text):
            return extractive  # both abstain: the project's own words and see-also, not the model's
        raise Rejected("llm_answered_where_extractive_abstained")
    if abstains(text):
        raise Rejected("llm_abstained_on_evidence")
    try:
        checked, citations = verify_generated(text, passages)
    except UnsupportedAnswer as err:
        raise Rejected("unverified", str(err)) from None
    weak = unsupported_sentence(text, passages)
    if weak:
        raise Rejected("llm_unsupported_sentence", weak)
    answer = replace(
        extractive, answer=checked, abstained=False, citations=citations, generator=name, fallback_reason=None
    )
    slot = unfilled_slot(query, answer) or _unfilled_in_text(query, checked) or _unfilled_list(extractive, answer)
    if slot:
        raise Rejected("llm_slot_unfilled", slot)
    return replace(answer, kind=extractive.kind if extractive.kind != "list" else "fact")


def _unfilled_in_text(query: Query, text: str) -> str | None:
    """The slot, when the reply's own words do not fill it (a cited quote with the figure is not enough:
    the answer must give it)."""
    slot = slot_of(query)
    if slot is None or query.spanning or len(query.municipalities) > 1 or slot in ("name", "result"):
        return None
    return None if fills(slot, MARKER.sub(" ", text), query.text) else slot


_ITEM = re.compile(r"«([^«»]{3,})»")


def _unfilled_list(extractive: Answer, answer: Answer) -> str | None:
    """A list question: the extractive answer quoted a list; the reply must name two of its items
    (an item counts when most of its content words are in the reply)."""
    if extractive.kind != "list":
        return None
    items = _ITEM.findall(extractive.answer)
    if len(items) < 2:
        return None
    reply = set(_terms(answer.answer))
    named = sum(1 for item in items if (terms := _terms(item)) and len(terms & reply) >= 0.5 * len(terms))
    return None if named >= 2 else "list"


def _terms(text: str) -> set[str]:
    from planchat.danish import analyze

    return set(analyze(text))
