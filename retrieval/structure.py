"""Answers that follow the document's structure (the outline of
ingest/outline.py), for questions that may want a list (``Query.wants_list``):

- a list of the plan in scope whose heading, introduction and items match
  the question well answers it on its own (``MIN_BLOCK_SCORE``);
- otherwise a quote that introduces, heads or sits inside a list grows to
  the whole list (small-to-big at the answer): the retrieved sentence is
  usually the introduction («Vi vil:», «De 4 beskæftigelsespolitiske
  ministermål for 2014 er:») or one item.

Quotes stay verbatim spans of the clean text: the introduction and the
items, at most ``MAX_ITEMS``; a list with paragraphs between its items is
quoted item by item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ingest.snapshot import IndexSnapshot
from planchat.danish import analyze
from planchat.records import Answer, Citation, ListBlock
from prompts import render

from .query import Query
from .truth import verify

MAX_ITEMS = 10
# A quote ending this close above a list introduces it (a blank line, a colon).
MAX_GAP = 3
# A list answers the question on its own when its heading and introduction
# (weighted 0.6) and its items (0.4) hold this share of the question's idf
# mass. Measured (hybrid, facts): 0.3 practice 0.423 / core 0.745; 0.4
# 0.408 / 0.735; 0.5 0.394 / 0.755; 0.6 0.380 / 0.755; 0.7+ 0.366 / 0.755
# (no block answers). Below 0.5 a list wins over the right sentence on core.
MIN_BLOCK_SCORE = 0.5


def list_answer(query: Query, answer: Answer, snapshot: IndexSnapshot, idf, known) -> Answer:
    """For a question about one plan that may want a list: the best-matching
    list block of the plans in scope (those filtered to, else those the
    answer cites: never every plan of a large corpus), when it matches well
    and the answer does not already quote it; else ``answer`` with its
    quotes grown to their lists (``expand_lists``)."""
    if answer.abstained:
        return answer
    scope = query.doc_ids if query.doc_ids is not None else sorted({c.doc_id for c in answer.citations})
    best = _best_block(query, scope, snapshot, idf, known) if len(query.municipalities) <= 1 else None
    if best is not None:
        doc_id, block = best
        if not any(c.doc_id == doc_id and c.start < block.end and c.end > _top(block) for c in answer.citations):
            return _block_answer(query, doc_id, block, snapshot)
    return expand_lists(answer, snapshot, query.lang)


def _top(block: ListBlock) -> int:
    return block.intro[0] if block.intro else block.start


def _best_block(query: Query, scope, snapshot: IndexSnapshot, idf, known) -> tuple[str, ListBlock] | None:
    names = set(analyze(" ".join(query.municipalities)))
    weights = {t: idf(t) for t in dict.fromkeys(query.terms) if t not in names and known(t)}
    total = sum(weights.values())
    if not total:
        return None
    best, best_score = None, MIN_BLOCK_SCORE
    for doc_id in scope:
        for block, (head, items) in _analysed_blocks(snapshot, doc_id):
            score = sum(w * (0.6 * (t in head) + 0.4 * (t in items)) for t, w in weights.items()) / total
            if score > best_score:
                best, best_score = (doc_id, block), score
    return best


def _analysed_blocks(snapshot: IndexSnapshot, doc_id: str) -> list:
    """[(block, (terms of its heading + introduction, terms of its items))]
    of one document, analysed once per snapshot."""
    cache = snapshot.derived(_block_terms_cache)
    found = cache.get(doc_id)
    if found is None:
        outline, text = snapshot.outlines.get(doc_id), snapshot.clean_text(doc_id) or ""
        found = []
        headings = outline.headings if outline else []
        for block in outline.lists if outline else ():
            heading = next((h for h in reversed(headings) if h.start < _top(block)), None)
            intro = text[_top(block) : block.intro[1]] if block.intro else ""
            head = frozenset(analyze(intro)) | frozenset(analyze(heading.title if heading else ""))
            found.append((block, (head, frozenset(analyze(" ".join(text[s:e] for s, e in block.items))))))
        cache[doc_id] = found
    return found


def _block_terms_cache(snapshot: IndexSnapshot, previous) -> dict:
    return {}


def _block_answer(query: Query, doc_id: str, block: ListBlock, snapshot: IndexSnapshot) -> Answer:
    meta = snapshot.documents[doc_id]
    seed = Citation(n=1, doc_id=doc_id, title=meta.title, municipality=meta.municipality, year=meta.year,
                    section="", page=None, quote="", score=1.0, chunk_id="", start=_top(block), end=_top(block),
                    role="evidence")  # fmt: skip
    grown = grow(seed, block, snapshot)
    assert grown is not None, "a block from the snapshot's outline has the snapshot's text"
    citations = [replace(c, n=n) for n, c in enumerate(grown.citations, 1)]
    lines = grown.lines(query.lang, iter(range(1, len(citations) + 1)))
    text = render("answer_line", query.lang, municipality=meta.municipality, quotes=lines)
    answer = Answer(answer=text, abstained=False, citations=citations, kind="list")
    verify(answer)
    return answer


@dataclass
class GrownList:
    """A quote grown to its list: the introduction (or what the quote holds
    above the list), then each item shown as its own quote(s), and how many
    items the plan's list has."""

    head: list[Citation]
    items: list[list[Citation]]  # per item shown: its citations (two when it crosses a chunk boundary)
    total: int

    @property
    def citations(self) -> list[Citation]:
        return [*self.head, *(c for item in self.items for c in item)]

    def lines(self, lang: str, numbers) -> str:
        """The list as answer text: the head's quotes on the current line,
        then one "- «item» [n]" line per item, then how many more the plan
        lists. ``numbers`` yields the citation numbers in order."""

        def quoted(cs: list[Citation]) -> str:
            return " ".join(f"«{c.quote}» [{next(numbers)}]" for c in cs)

        out = [quoted(self.head)] if self.head else []
        out.extend(f"- {quoted(item)}" for item in self.items)
        if self.total > len(self.items):
            out.append(render("list_more", lang, total=number_word(self.total, lang),
                              shown=number_word(len(self.items), lang)))  # fmt: skip
        return "\n".join(out)


_WORDS = {
    "da": "nul en to tre fire fem seks syv otte ni ti elleve tolv tretten fjorten femten seksten sytten atten "
    "nitten tyve".split(),
    "en": "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split(),
}


def number_word(n: int, lang: str) -> str:
    """A count in words: the answer's own words carry no digits (every digit
    in an answer comes from a cited quote)."""
    words = _WORDS.get(lang, _WORDS["da"])
    if n < len(words):
        return words[n]
    return "over tyve" if lang != "en" else "over twenty"


def expand_lists(answer: Answer, snapshot: IndexSnapshot, lang: str = "da") -> Answer:
    """The answer with each evidence quote that belongs to a list grown to
    that list, one item per line; unchanged when none does. One list is
    quoted once."""
    if answer.abstained:
        return answer
    text, citations, used = answer.answer, [], set()
    shown: list[tuple[str, int, int]] = []
    for c in answer.citations:
        marker = f"«{c.quote}» [{c.n}]"
        if c.role == "evidence" and any(d == c.doc_id and s <= c.start and c.end <= e for d, s, e in shown):
            text = _drop(text, marker)  # an item of a list the answer already shows whole
            continue
        block = _block_for(c, snapshot) if c.role == "evidence" else None
        grown = grow(c, block, snapshot) if block is not None and (c.doc_id, block.start) not in used else None
        if not grown or block is None or marker not in text:
            citations.append(c)
            text = text.replace(marker, f"«{c.quote}» [#{len(citations)}]", 1)
            continue
        used.add((c.doc_id, block.start))
        parts = [grown]
        for sibling in _sibling_lists(
            c, block, snapshot
        ):  # «… følgende mål og indsatsområder:» MINISTERMÅL … INDSATSOMRÅDER …
            used.add((c.doc_id, sibling.start))
            grown_sibling = grow(replace(c, start=_top(sibling), end=_top(sibling)), sibling, snapshot)
            if grown_sibling is not None:
                parts.append(grown_sibling)
        first = len(citations) + 1
        for part in parts:
            citations.extend(part.citations)
            shown.append((c.doc_id, min(x.start for x in part.citations), max(x.end for x in part.citations)))
        numbers = (f"#{n}" for n in range(first, len(citations) + 1))
        text = _replace_on_own_lines(text, marker, "\n".join(part.lines(lang, numbers) for part in parts))
    if len(citations) == len(answer.citations) and all(a is b for a, b in zip(citations, answer.citations)):
        return answer
    return _renumbered(answer, text, citations, kind="list")


# Sibling lists: how far (in characters of blank space) the next list's heading may stand.
MAX_SIBLING_GAP = 4


def _sibling_lists(c: Citation, block: ListBlock, snapshot: IndexSnapshot) -> list[ListBlock]:
    """The lists that follow ``block`` under the same colon introduction:
    ``c`` ends with ":" above ``block``, whose introduction is a heading, and
    each next list starts right below the previous one with a heading of
    its own."""
    outline, text = snapshot.outlines.get(c.doc_id), snapshot.clean_text(c.doc_id) or ""
    if outline is None or not c.quote.rstrip().endswith(":") or c.end > _top(block) or not block.intro:
        return []
    out, previous = [], block
    for nxt in [b for b in outline.lists if b.start > block.start]:
        gap = text[previous.end : _top(nxt)]
        if not nxt.intro or text[nxt.intro[0] : nxt.intro[1]].rstrip().endswith(":"):
            break
        if gap.strip() or len(gap) > MAX_SIBLING_GAP:
            break
        out.append(nxt)
        previous = nxt
    return out


def _renumbered(answer: Answer, text: str, citations: list[Citation], **changes) -> Answer:
    """``answer`` with ``text`` (its markers written [#n] while citations were rebuilt) and ``citations``
    numbered 1..m, checked by the truth rules."""
    for n in range(len(citations), 0, -1):
        text = text.replace(f"[#{n}]", f"[{n}]")
    rebuilt = replace(answer, answer=text, citations=[replace(c, n=n) for n, c in enumerate(citations, 1)], **changes)
    verify(rebuilt)
    return rebuilt


def _drop(text: str, marker: str) -> str:
    """``text`` without ``marker`` (which may span lines: a quote keeps its
    line breaks) and the space or the line it leaves."""
    at = text.find(marker)
    if at < 0:
        return text
    before, after = text[:at], text[at + len(marker) :]
    if before.endswith("\n") or not before:
        after = after.lstrip(" ")
        if after.startswith("\n"):
            after = after[1:]  # the marker was a line of its own
    elif after.startswith((" ", "\n")) or not after:
        before = before.rstrip(" ")
    return (before + after).rstrip("\n ") if not after.strip() else before + after


def _replace_on_own_lines(text: str, marker: str, lines: str) -> str:
    """``text`` with ``marker`` replaced by ``lines``; what followed the
    marker on its line continues on a new line after the list."""
    at = text.index(marker)
    before, after = text[:at], text[at + len(marker) :]
    if lines.startswith("- ") and before and not before.endswith("\n"):
        before = before.rstrip(" ") + "\n"  # «Vejle:» then the items, one per line
    if after.startswith(" ") and not after.startswith(" \n"):
        after = "\n" + after.lstrip(" ")
    return before + lines + after


def _block_for(c: Citation, snapshot: IndexSnapshot) -> ListBlock | None:
    outline = snapshot.outlines.get(c.doc_id)
    if outline is None:
        return None
    for block in outline.lists:
        top = block.intro[0] if block.intro else block.start
        if c.start < block.end and c.end > top:  # the quote is the intro or inside the list
            return block
        if 0 <= block.start - c.end <= MAX_GAP or (block.intro and 0 <= block.intro[0] - c.end <= MAX_GAP):
            return block  # the quote ends right above it
    return None


def grow(c: Citation, block: ListBlock, snapshot: IndexSnapshot) -> GrownList | None:
    """``c`` grown to ``block``: the head is the list's introduction (or the
    part of ``c`` above the list, from where ``c`` starts), then the first
    ``MAX_ITEMS`` items, each quoted on its own."""
    text = snapshot.clean_text(c.doc_id)
    if text is None:
        return None
    shown = block.items[:MAX_ITEMS]
    start = min(c.start, block.intro[0] if block.intro else block.start)
    head_end = block.intro[1] if block.intro else block.start
    head = _cite(c, snapshot, text, start, head_end) if start < head_end else []
    if block.sparse and not head and c.end > c.start and not any(s < c.end and c.start < e for s, e in shown):
        head = [c]  # a paragraph between the items: it is what matched the question
    items = [cited for s, e in shown if (cited := _cite(c, snapshot, text, s, e))]
    if not items:
        return None
    return GrownList(head=head, items=items, total=len(block.items))


def _cite(c: Citation, snapshot: IndexSnapshot, text: str, start: int, end: int) -> list[Citation]:
    """Citations like ``c`` for text[start:end]: one per chunk the span
    crosses (a quote is a span of its chunk), with that chunk's section and
    page."""
    out = []
    for chunk in snapshot.document_chunks(c.doc_id):
        s, e = max(start, chunk.start), min(end, chunk.end)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(replace(c, quote=text[s:e], start=s, end=e, chunk_id=chunk.chunk_id, section=chunk.section,
                               page=chunk.page, page_label=chunk.page_label, ocr=chunk.ocr))  # fmt: skip
    return out


# A how-question's best quote grows to the prose paragraphs around it when together they are this short.
MAX_SECTION_CHARS = 900


def expand_section(answer: Answer, snapshot: IndexSnapshot) -> Answer:
    """Small-to-big for a how-question: the first evidence quote grows to
    the run of prose paragraphs around it in its section, when that is
    short, so the practice is quoted whole (three short paragraphs on how a
    revalidering is planned); later quotes inside it are dropped. Unchanged
    when the run is long or the quote is no prose."""
    if answer.abstained or answer.kind == "list":
        return answer
    first = next((c for c in answer.citations if c.role == "evidence"), None)
    span = _section_span(first, snapshot) if first is not None else None
    if first is None or span is None or (span[0] >= first.start and span[1] <= first.end):
        return answer
    grown = _cite(first, snapshot, snapshot.clean_text(first.doc_id) or "", *span)
    if not grown:
        return answer
    citations, text = [], answer.answer
    for c in answer.citations:
        marker = f"«{c.quote}» [{c.n}]"
        if c is first:
            citations.extend(grown)
            quotes = " ".join(f"«{g.quote}» [#{len(citations) - len(grown) + i}]" for i, g in enumerate(grown, 1))
            text = text.replace(marker, quotes, 1)
        elif c.role == "evidence" and c.doc_id == first.doc_id and span[0] <= c.start and c.end <= span[1]:
            text = _drop(text, marker)
        else:
            citations.append(c)
            text = text.replace(marker, f"«{c.quote}» [#{len(citations)}]", 1)
    return _renumbered(answer, text, citations)


def _section_span(c: Citation, snapshot: IndexSnapshot) -> tuple[int, int] | None:
    """The run of prose paragraphs around ``c`` within its section: from
    ``c``'s paragraph back and forward while each paragraph is prose (ends
    like a sentence, six words or more) and no heading of the outline
    intervenes, at most ``MAX_SECTION_CHARS`` long. None when ``c``'s own
    paragraph is no prose (a table row, a label)."""
    outline, text = snapshot.outlines.get(c.doc_id), snapshot.clean_text(c.doc_id)
    if outline is None or text is None:
        return None
    paragraphs = [(m.start(), m.end()) for m in re.finditer(r"\S(?:.|\n(?!\s*\n))*", text)]
    at = next((i for i, (s, e) in enumerate(paragraphs) if s <= c.start < e), None)
    if at is None or not _prose(text, *paragraphs[at]) or not _prose(text, c.start, c.end):
        return None
    headings = [h.start for h in outline.headings]
    lo = hi = at
    while lo > 0 and _joins(text, paragraphs[lo - 1], paragraphs[lo], headings):
        lo -= 1
    while hi + 1 < len(paragraphs) and _joins(text, paragraphs[hi], paragraphs[hi + 1], headings):
        hi += 1
    start, end = paragraphs[lo][0], paragraphs[hi][1]
    return (start, end) if end - start <= MAX_SECTION_CHARS else None


def _joins(text: str, a: tuple[int, int], b: tuple[int, int], headings: list[int]) -> bool:
    """Do paragraphs ``a`` and ``b`` (in order) belong to one run of prose?"""
    return _prose(text, *a) and _prose(text, *b) and not any(a[0] < h <= b[0] for h in headings)


def _prose(text: str, start: int, end: int) -> bool:
    piece = text[start:end].rstrip()
    return (
        piece.endswith((".", "!", "?")) and len(piece.split()) >= 6 and not piece.lstrip().startswith(("|", "-", "•"))
    )
