"""Where an answer's [n] citation markers are, from the answer's structure,
never from a pattern over its text.

An answer's text mixes the answer path's own words, plan text (the quotes)
and [n] markers, and plan text may itself hold "[1]" or «[2]». Only the
markers the answer path wrote are markers:

- an extractive answer (not abstained) writes each evidence citation as
  «quote» [n], in the order of n (retrieval/answer.py, retrieval/structure.py):
  each is looked up after the one before, so a "[1]" inside a quote, which
  lies before its own citation's marker, is never taken for one;
- an abstention's text is the project's own words (prompts/), holding no
  plan text, and its see-also markers: every marker there is one;
- an LLM answer's markers are the ones the truth rules read, checked and
  renumbered (retrieval/truth.py ``MARKER``): each of them is a marker, as
  the verification took it. A group "[1, 2]" gives one marker per number,
  spanning its digits.

A marker is (n, start, end): ``text[start:end]`` is "[n]" (or n's digits in
a group), offsets in code points like every start/end of the API. Only
markers that name one of the answer's citations are returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import NamedTuple

from retrieval.truth import MARKER


class Marker(NamedTuple):
    n: int
    start: int
    end: int


def find_markers(text: str, citations: Iterable[tuple[int, str, str]], generator: str, abstained: bool) -> list[Marker]:
    """The markers of ``text``; ``citations`` are its (n, quote, role) triples."""
    citations = list(citations)
    if abstained or generator != "extractive":
        return written_markers(text, {n for n, _, _ in citations})
    return quote_markers(text, sorted((n, quote) for n, quote, role in citations if role == "evidence"))


def quote_markers(text: str, evidence: list[tuple[int, str]]) -> list[Marker]:
    """The marker after each «quote» [n], looked up in the order of n, each after the one before."""
    found, pos = [], 0
    for n, quote in evidence:
        written = f"«{quote}» [{n}]"
        at = text.find(written, pos)
        if at < 0:  # not written as the answer paths write it: no marker rather than a guess
            continue
        pos = at + len(written)
        found.append(Marker(n, pos - len(f"[{n}]"), pos))
    return found


def written_markers(text: str, known: set[int]) -> list[Marker]:
    """Every marker in a text whose words are the answer path's own (an abstention, an LLM answer)."""
    found: list[Marker] = []
    for match in MARKER.finditer(text):
        numbers = list(re.finditer(r"\d+", match.group()))
        if len(numbers) == 1:
            spans = [(int(numbers[0].group()), match.start(), match.end())]
        else:
            spans = [(int(d.group()), match.start() + d.start(), match.start() + d.end()) for d in numbers]
        found.extend(Marker(n, start, end) for n, start, end in spans if n in known)
    return found


def markers_of(body: dict) -> list[Marker]:
    """The markers of an /v1/ask body (a stored turn's too)."""
    citations = [(c["n"], c["quote"], c.get("role", "evidence")) for c in body.get("citations") or []]
    return find_markers(body.get("answer") or "", citations, body.get("generator") or "extractive",
                        bool(body.get("abstained")))  # fmt: skip
