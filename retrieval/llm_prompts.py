"""Prompts for the optional LLM: passages fenced as data, the question, the notices.

The templates are data in ``prompts/<lang>/llm_*.txt``; this module only
fills them.

Guarantees:
- the model sees exactly the chunk text that can be quoted (not the
  retrieval-only ``context``), numbered 1..len in the order given, so every
  [n] it writes can be checked against passage n;
- each passage sits between ``<<<KILDE n | ...>>>`` and ``<<<SLUT KILDE n>>>``
  and the system prompt says their text is data. Runs of angle brackets
  (ASCII, full-width, guillemets) are removed from passage text, headers,
  the question and history first (``fence``), so a document cannot close
  its own block and speak as the user; a prompt injection that still
  persuades the model must then also survive the truth rules
  (retrieval/truth.py);
- ``ABSTAIN`` recognises the reply the system prompt asks for when the
  passages do not answer (the ``abstain`` template, Danish or English), and
  the other ways models were seen to say it («Kilderne nævner ikke …»,
  «Der er ingen oplysninger om …», "The sources do not mention …").
"""

from __future__ import annotations

import re

from planchat.records import Passage
from prompts import render

# Angle-bracket runs (ASCII, full-width, guillemets) could forge a delimiter.
_DELIMITER_LOOKALIKE = re.compile(r"[<>＜＞‹›«»〈〉《》]{2,}")

# The model's "the plans do not answer" reply (prompts/<lang>/abstain.txt).
ABSTAIN = re.compile(
    r"(?i)fremgår\s+ikke|plans\s+do\s+not\s+say|\b(?:kilderne|planerne|planen)\s+(?:nævner|indeholder|besvarer|siger|"
    r"oplyser)\s+ikke|ingen\s+oplysninger|kan\s+ikke\s+(?:finde|se|besvare)|\bdo(?:es)?\s+not\s+(?:say|state|mention)|"
    r"\bno\s+information\b|\bnot\s+(?:stated|mentioned)\b"
)


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
