"""List blocks of a document's outline (ingest/outline.py builds the rest).

A list block is two or more consecutive items marked "•", "➤", "✓", "▪",
"-", "–", "*" or "1." / "1)", as verbatim spans of their words (the marker
left out): numbered items run together on one line ("1. Arbejde …
2. Gennemføre …", as PDF extraction leaves them), an item wrapped over lines
(the next line goes on in lower case, or follows an item that has no end
stop: «… i Jobcenter» + «Fredericia behersker …»), numbered items with
paragraphs between them («Mål 1. …», text, «Mål 2. …»: a sparse list; items
that are headings announced by a line ending with ":" may stand any distance
apart). Its introduction is the line above ending with ":" (past an icon
label or a page number), or else the heading right above.
"""

from __future__ import annotations

import re

from planchat.records import CleanText, ListBlock, OutlineHeading

BULLET = re.compile(r"^([•➤✓▪●■◦\-–*])\s+(?=\S)")
NUMBER = re.compile(r"^(?:Mål\s+)?(\d{1,2})[.)]\s+(?=\S)")
_INLINE_NUMBER = r"(?<=\s){n}[.)]\s+(?=[A-ZÆØÅ])"

Line = tuple[int, int, str]  # (start, end, text) of a line, end before the newline


def find_lists(clean: CleanText, lines: list[Line], heading_starts: set[int], headings: list[OutlineHeading]):
    """The list blocks of ``lines`` (two items or more), in reading order."""
    return _ListScan(clean, lines, heading_starts, headings).run()


class _ListScan:
    """Reads the lines once, gathering list blocks of two or more items."""

    def __init__(self, clean: CleanText, lines: list[Line], heading_starts: set[int], headings: list[OutlineHeading]):
        self.clean, self.text, self.lines = clean, clean.text, lines
        self.heading_starts, self.headings = heading_starts, headings
        self.blocks: list[ListBlock] = []
        self.items: list[tuple[int, int]] = []
        self.numbered, self.expected, self.first_line, self.sparse = False, 1, 0, False
        self.announced = False  # numbered headings after «… som følger:»: items, however far apart
        self.gap = False  # a blank line since the last item's line

    def run(self) -> list[ListBlock]:
        for i, (start, end, line) in enumerate(self.lines):
            if not line.strip():
                self.gap = True
                continue
            self._read(i, start, end, line)
            self.gap = False
        self._close()
        return [b for b in self.blocks if len(b.items) >= 2]

    def _read(self, i: int, start: int, end: int, line: str) -> None:
        is_heading = start in self.heading_starts
        expected = self.expected if self.numbered and self.items else None
        found = _items_on_line(self.text, start, end, expected, is_heading)
        if found is not None and self.items and found[1] == self.numbered:
            self.items.extend(found[0])
            self.expected += len(found[0])
            return
        if found is None and self.items and not is_heading and self._wraps(line):
            self.items[-1] = (self.items[-1][0], _rstrip(self.text, start, end))
            return
        if found is None and self.items and self.numbered and self._continues_after(i):
            self.sparse = True  # «Mål 1. …», a paragraph about it, «Mål 2. …»: one list
            return
        self._close()
        if found is not None:
            self.items, self.numbered, self.first_line, self.sparse = list(found[0]), found[1], i, False
            intro = _intro(self.lines, i, self.headings)
            self.announced = is_heading and intro is not None and self.text[intro[0] : intro[1]].endswith(":")
            self.expected = _first_number(line) + len(self.items) if self.numbered else 1

    def _wraps(self, line: str) -> bool:
        """Does ``line`` go on with the last item: it continues in lower case,
        or follows it directly while the item has no end stop («… i Jobcenter»
        + «Fredericia behersker …»)?"""
        if " | " in line or self.sparse:
            return False
        item = self.text[self.items[-1][0] : self.items[-1][1]]
        stripped = line.strip()
        return stripped[:1].islower() or (not self.gap and not item.endswith((".", "!", "?", ":", ";")))

    def _continues_after(self, i: int, lookahead: int = 3) -> bool:
        """Is line ``i`` a paragraph between numbered items: does the expected
        item follow within ``lookahead`` non-blank lines (announced heading
        items: before the next heading)?"""
        seen = 0
        for start, end, line in self.lines[i + 1 :]:
            if not line.strip():
                continue
            if _items_on_line(self.text, start, end, self.expected, True) is not None:
                return True
            if start in self.heading_starts:
                return False
            seen += 1
            if seen >= lookahead and not self.announced:
                return False
        return False

    def _close(self) -> None:
        if self.items:
            self.blocks.append(self._block())
        self.items = []

    def _block(self) -> ListBlock:
        start = line_start(self.text, self.items[0][0])
        return ListBlock(
            sparse=self.sparse,
            start=start,
            end=self.items[-1][1],
            items=tuple(self.items),
            intro=_intro(self.lines, self.first_line, self.headings),
            numbered=self.numbered,
            page=self.clean.page_at(start),
            page_label=self.clean.label_at(start),
        )


def _first_number(line: str) -> int:
    m = NUMBER.match(line)
    return int(m.group(1)) if m else 1


def _items_on_line(text: str, start: int, end: int, expected: int | None, is_heading: bool = False):
    """The items a line holds (spans of their words) and whether numbered;
    None if it is no list line. A numbered line continues a list only with
    the expected number; a heading is an item only when it is numbered
    («1. Langtidsledige og Sygemeldte», «Mål 2. …»)."""
    line = text[start:end]
    bullet = None if is_heading else BULLET.match(line)
    if bullet:
        return [(start + bullet.end(), end)], False
    number = NUMBER.match(line)
    if number is None or (expected is not None and int(number.group(1)) != expected):
        return None
    spans, n, item_start = [], int(number.group(1)), start + number.end()
    while True:
        nxt = re.compile(_INLINE_NUMBER.format(n=n + 1)).search(text, item_start, end)
        if nxt is None:
            break
        spans.append((item_start, _rstrip(text, item_start, nxt.start())))
        item_start, n = nxt.end(), n + 1
    spans.append((item_start, end))
    return spans, True


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _intro(lines: list[Line], first_line: int, headings: list[OutlineHeading]) -> tuple[int, int] | None:
    """The line right above the list (blank lines skipped) when it ends with
    ":" or is a heading; past up to two one-word lines (an icon label, a page
    number: «… sigter mod at:», «4», «Arbejdsmål»), the line that ends with ":"."""
    skipped = 0
    for start, _end, line in reversed(lines[:first_line]):
        stripped = line.rstrip()
        if not stripped.strip():
            continue
        if stripped.endswith(":"):
            return start, start + len(stripped)
        heading = next((h for h in headings if h.start <= start < h.end + 1), None)
        if skipped == 0 and heading is not None:
            return heading.start, heading.end
        skipped += 1
        if len(stripped.split()) > 1 or skipped > 2:
            return None
    return None


_ORDINALS = {"første": 1, "anden": 2, "andet": 2, "tredje": 3, "fjerde": 4, "femte": 5, "sjette": 6, "syvende": 7,
             "ottende": 8, "niende": 9, "tiende": 10}  # fmt: skip
_ORDINAL = re.compile(r"^(?:Den|Det|For det)\s+(" + "|".join(_ORDINALS) + r")\b", re.IGNORECASE)


MAX_PARAGRAPHS_BETWEEN = 3  # paragraphs that go on explaining an ordinal item before the next one


def find_ordinal_lists(clean: CleanText, lines: list[Line], headings: list[OutlineHeading]) -> list[ListBlock]:
    """Paragraphs counted in words, «Der er fire hjørnesten …:» then «Den
    første hjørnesten er …», «Den anden hjørnesten er …»: a sparse list whose
    items are the paragraphs (two or more, numbered 1, 2, 3 … in order)."""
    paragraphs = _paragraphs(lines, {h.start for h in headings})
    blocks: list[ListBlock] = []
    run: list[tuple[int, int, int]] = []
    between = 0
    for start, end, first in paragraphs + [(len(clean.text), len(clean.text), -1)]:
        m = _ORDINAL.match(clean.text[start:end])
        n = _ORDINALS[m.group(1).lower()] if m else 0
        if n and n == len(run) + 1:
            run.append((start, end, first))
            between = 0
            continue
        if run and not n and first >= 0 and between < MAX_PARAGRAPHS_BETWEEN:
            between += 1  # the item's explanation goes on: the next ordinal may still follow
            continue
        if len(run) >= 2:
            blocks.append(_ordinal_block(clean, lines, run, headings))
        run, between = ([(start, end, first)] if n == 1 else []), 0
    return blocks


def _paragraphs(lines: list[Line], heading_starts: set[int]) -> list[tuple[int, int, int]]:
    """(start, end, index of its first line) of each run of non-blank lines
    (a heading ends a paragraph and belongs to none)."""
    out, current = [], None
    for i, (start, end, line) in enumerate(lines):
        if not line.strip() or start in heading_starts:
            current = None
            continue
        if current is None:
            current = [start, end, i]
            out.append(current)
        current[1] = start + len(line.rstrip())
    return [(p[0], p[1], p[2]) for p in out]


def _ordinal_block(clean: CleanText, lines: list[Line], run, headings: list[OutlineHeading]) -> ListBlock:
    start = run[0][0]
    return ListBlock(
        sparse=True,
        start=start,
        end=run[-1][1],
        items=tuple((s, e) for s, e, _ in run),
        intro=_intro(lines, run[0][2], headings),
        numbered=True,
        page=clean.page_at(start),
        page_label=clean.label_at(start),
    )
