"""Is the asked slot filled? A question that asks for a quantity ("Hvor
mange …", "Hvor stor en andel …", "How much …") is answered only by a quote
that holds a figure other than a year (digits or a Danish number word).
Otherwise the plan discusses the topic but does not state the figure, and
the honest answer is that it does not say (the nearest passages are shown
as see-also).

Measured on the dev sets (hybrid): core abstention P/R 0.85/0.79 ->
0.86/0.86 with no answerable question lost; practice abstention recall
0.07 -> 0.21. A "Hvornår" rule (a date or period in the quote) was tried and
dropped: it refused "Hvornår i forløbet …" questions answered by a phase.
"""

from __future__ import annotations

import re
from typing import Optional

from planchat.danish import numbers_in
from planchat.records import Answer

from .query import Query

_QUANTITY = re.compile(
    r"(?i)\b(hvor mange|hvor stor(?:t|e)?(?: en)? (?:andel|del|budget|beløb)|hvor meget|hvor høj|hvor lav|"
    r"hvor mange procent|how many|how much|what share|what percentage)\b"
)
_YEAR = re.compile(r"^(19|20)\d\d$")
_NUMBER_WORDS = re.compile(
    r"(?i)\b(to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|tyve|halvdelen|en tredjedel|en fjerdedel|hundrede|tusinde)\b"
)


def unfilled_slot(query: Query, answer: Answer) -> Optional[str]:
    """"quantity" when the question asks for one and no evidence quote holds
    it; None when the answer fills the slot or none is asked."""
    if answer.abstained or query.spanning or len(query.municipalities) > 1:
        return None
    quotes = [c.quote for c in answer.citations if c.role == "evidence"]
    if _QUANTITY.search(query.text) and not any(_has_figure(q) for q in quotes):
        return "quantity"
    return None


_HOW = re.compile(r"(?i)\b(hvordan|på hvilken måde|how)\b")


def answer_kind(query: Query, answer: Answer) -> str:
    """What the answer gives, for clients that render by kind: "abstain",
    "list" (set by retrieval/structure.py when it quotes a list), else what
    the question asks: "when", "who", "number", "how" or "fact"."""
    if answer.abstained:
        return "abstain"
    if answer.kind == "list":
        return "list"
    if query.answer_type in ("when", "how_often"):
        return "when"
    if query.answer_type == "who":
        return "who"
    if _QUANTITY.search(query.text) or query.wants_number:
        return "number"
    if _HOW.search(query.text):
        return "how"
    return "fact"


def _has_figure(quote: str) -> bool:
    return any(not _YEAR.match(n) for n in numbers_in(quote)) or bool(_NUMBER_WORDS.search(quote))
