"""Condensing a follow-up: chat history + question -> a standalone Danish question.

With an LLM configured, a follow-up ("og i 2022?") is rewritten by the
model into a question that stands alone, for retrieval: the plans and the
query analyser are Danish, so the rewrite is always Danish, and the caller
keeps the language of the original question for the answer
(retrieval/chat.py). The follow-up rules of retrieval/conversation.py still
run on the rewrite.

Guarantees of ``condense`` (it never raises a ``GenerationError``):
- without history the question is returned unchanged and the LLM is not
  asked;
- the model sees at most the last ``HISTORY_MESSAGES`` messages, each cut
  to ``HISTORY_CHARS`` and fenced like passages (retrieval/llm_prompts.py);
- the rewrite is used only when it looks like a question: its first
  non-empty line, without a leading label or quotes, at most
  ``MAX_CONDENSED_CHARS`` long, carrying no [n] marker and no abstention,
  ending in "?" or starting with a question word. Otherwise, or when the
  LLM fails, the original question is returned.
"""

from __future__ import annotations

import logging
import re

from prompts import render

from .llm_client import GenerationError, Generator
from .llm_prompts import ABSTAIN, fence
from .truth import MARKER

log = logging.getLogger(__name__)

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
    if not line or len(line) > MAX_CONDENSED_CHARS or MARKER.search(line) or ABSTAIN.search(line):
        return ""
    if not (line.endswith("?") or _QUESTION_START.match(line)):
        return ""  # an answer or a remark, not a question
    return line
