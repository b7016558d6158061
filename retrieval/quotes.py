"""How a chosen sentence grows into the quote a reader needs, staying one
contiguous span of its chunk (retrieval/answer.py composes the answer from
these quotes):

- a sentence that introduces a list («… følgende systemer:») takes the items;
- a sentence broken by the layout runs on to its end;
- a how-question's sentence takes the rest of its paragraph (the practice);
- a sentence that lacks what is asked (a reason, the asked figure or date:
  ``wanted_by``) takes the next sentence of its paragraph when that holds it;
- a sentence without figures, when the question asks for one, takes the
  next sentence if that one has them.

``ANSWER_TYPES`` says what a sentence answering "when", "how often", "who",
"why" or a target question looks like; the answerer scores by it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from planchat.danish import sentence_spans

from .query import Query
from .slots import TARGET_STATEMENT, fills, slot_of

_FIGURE = re.compile(
    r"\d+(?:[.,]\d+)*\s*(?:%|pct|procent|mio|mia|kr|personer|uger|timer|dage|måneder)|(?<!\d)(?!(?:19|20)\d\d(?!\d))\d+(?:[.,]\d+)*"
)
# What a sentence that answers "when", "how often", "who", "why" or a target question looks like.
ANSWER_TYPES = {
    "when": re.compile(
        r"(?i)\b(januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december|"
        r"udgangen af|inden|senest|primo|ultimo|medio|\d{1,2}\.\s?\w+\s(?:19|20)\d\d)\b"
    ),
    "how_often": re.compile(
        r"(?i)\b(gange?|dagligt?|ugentligt?|månedligt?|kvartalsvis|kvartalsmæssigt|halvårligt?|årligt?|"
        r"hver\s+\d*\.?\s*(?:uge|måned|år)|løbende)\b"
    ),
    "who": re.compile(r"(?i)(chef|leder|direktør|udvalg|byråd|medarbejder|rådgiver|konsulent|team|afdeling|ansvarlig)"),
    # A reason: «Tilgangen skyldes dels …», «fordi», «på grund af», «derfor».
    "why": re.compile(r"(?i)\b(skyldes|skyldtes|fordi|på grund af|pga\.?|årsag\w*|derfor|som følge af|grundet|idet)\b"),
    "target": TARGET_STATEMENT,
}
_LIST_ITEM = re.compile(r"^\s*(?:[-–•➤▪●■◦]|\d{1,2}[.)])\s*\S")


def wanted_by(query: Query) -> Callable[[str], bool] | None:
    """What a quote must hold to answer the question, where that can be
    told from its words: a reason for "Hvorfor …", the asked slot (a figure,
    a date, a length of time: retrieval/slots.py)."""
    if query.answer_type == "why":
        return lambda text: ANSWER_TYPES["why"].search(text) is not None
    slot = slot_of(query)
    if slot is None:
        return None
    return lambda text: fills(slot, text, query.text)


def extend_quote(
    text: str,
    start: int,
    end: int,
    wants_number: bool,
    limit: int = 420,
    wanted: Callable[[str], bool] | None = None,
    paragraph: bool = False,
) -> tuple[int, int]:
    """Grow a chosen sentence into the quote a reader needs, staying one
    contiguous span of the chunk: a sentence that introduces a list
    ("... følgende systemer:") takes the list items after it; a sentence
    without figures, when the question asks for one, takes the next
    sentence of its paragraph if that one has them."""
    sentence = text[start:end]
    spans = [s for s in sentence_spans(text) if s.start >= end]
    if sentence.rstrip().endswith(":"):
        new_end = end
        for span in spans:
            gap = text[new_end : span.start]
            if gap.count("\n") > 2 or span.end - start > limit:
                break
            piece = text[span.start : span.end]
            if "\n\n" in gap and not _LIST_ITEM.match(piece) and new_end != end:
                break
            new_end = span.end
        return start, new_end
    if paragraph and spans and not sentence.rstrip().endswith(":"):
        new_end = end  # a practice is described by its paragraph, not by one sentence of it
        for span in spans:
            if "\n" in text[new_end : span.start] or span.end - start > limit:
                break
            new_end = span.end
        if new_end != end:
            return start, new_end
    if wanted and spans and not wanted(sentence) and "\n\n" not in text[end : spans[0].start]:
        if wanted(text[spans[0].start : spans[0].end]) and spans[0].end - start <= limit:
            return start, spans[0].end  # «… en kraftig stigning …» «Tilgangen skyldes dels …»: what is asked follows
    open_ended = not sentence.rstrip().endswith((".", "!", "?", ":", "»", '"', "”", ")", "|"))
    if spans and open_ended and "\n\n" not in text[end : spans[0].start] and len(sentence.split()) >= 4:
        nxt_text = text[spans[0].start : spans[0].end].rstrip()
        if spans[0].end - start <= limit and nxt_text.endswith((".", "!", "?")) and re.match(r"[^\W\d_]{2}", nxt_text):
            return start, spans[
                0
            ].end  # «… godkendt af Fredericia Kommunes» ⏎ «Byråd.»: one sentence, broken by the layout
    if spans and not _FIGURE.search(sentence):
        nxt = spans[0]
        gap = text[end : nxt.start]
        # A sentence cut off by the layout ("... finansieres med") runs on
        # into the next unit; otherwise only within the paragraph.
        open_ended = not sentence.rstrip().endswith((".", "!", "?", ":", "»", '"', "”", ")"))
        if (
            (open_ended or "\n\n" not in gap)
            and (wants_number or open_ended)
            and _FIGURE.search(text[nxt.start : nxt.end])
            and nxt.end - start <= limit
        ):
            return start, nxt.end
    return start, end
