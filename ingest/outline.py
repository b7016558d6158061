"""Document structure: CleanText -> Outline (headings and list blocks).

Everything is a verbatim span of the clean text, so a list item or a
heading can be quoted as it stands. Found here:

- headings: the cleaner's (markdown '#', <hN>, numbered headings), all-caps
  lines (Fredericia's «LANGTIDSLEDIGHED OG SYGEMELDTE», «UNGE»; a heading
  broken over two all-caps lines is one heading), and «Mål 1.»-style lines;
- list blocks: consecutive items marked "•", "➤", "✓", "▪", "-", "–", "*"
  or "1." / "1)", also numbered items run together on one line ("1. Arbejde
  … 2. Gennemføre …", as PDF extraction leaves them); the line that
  introduces the list (ending with ":"), or else the heading right above.

Not headings (outline noise): tables-of-contents lines (ending in a page
number), dates ("DECEMBER 2020"), table rows, and all-caps lines of fewer
than four letters (broken fragments such as "IGELSE" are joined by the
cleaner already; «UNGE» is a heading).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional

from planchat.records import CleanText, ListBlock, Outline, OutlineHeading

_CAPS_LINE = re.compile(r"[A-ZÆØÅ][A-ZÆØÅ0-9 ,&/()'-]{2,90}")
_MONTH_YEAR = re.compile(
    r"(?i)(januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)\s+\d{4}"
)
_GOAL_LINE = re.compile(r"^(?:Mål|Fokusmål|Delmål|Ministermål|Indsatsområde|Målsætning)\s+\d{1,2}\b[.:]?[^.!?]{0,90}$")
_TOC_LINE = re.compile(r"(?:\|\s*|\s{2,}|\s)\d{1,3}$")
_BULLET = re.compile(r"^([•➤✓▪●■◦\-–*])\s+(?=\S)")
_NUMBER = re.compile(r"^(?:Mål\s+)?(\d{1,2})[.)]\s+(?=\S)")
_INLINE_NUMBER = r"(?<=\s){n}[.)]\s+(?=[A-ZÆØÅ])"


def build_outline(clean: CleanText) -> Outline:
    lines = list(_lines(clean.text))
    headings = _headings(clean, lines)
    heading_starts = {h.start for h in headings}
    lists = _lists(clean, lines, heading_starts, headings)
    return Outline(headings=tuple(headings), lists=tuple(lists))


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, line) for every line, end excluding the newline."""
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line), line
        start += len(line) + 1


def _headings(clean: CleanText, lines: list[tuple[int, int, str]]) -> list[OutlineHeading]:
    by_start = {start: (end, line) for start, end, line in lines}
    marked = {h.start: h.level for h in clean.headings}
    found: list[OutlineHeading] = []
    for start, end, line in lines:
        stripped = line.strip()
        level = marked.get(start)
        if level is None and _is_caps_heading(stripped):
            level = 2
        elif level is None and _GOAL_LINE.match(stripped):
            level = 3
        if level is None or _is_noise(stripped):
            continue
        previous = found[-1] if found else None
        if previous is not None and _continues(previous, start, stripped, by_start):
            found[-1] = _heading(clean, previous.start, end, previous.level)
            continue
        found.append(_heading(clean, start, end, level))
    return found


def _is_caps_heading(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(_CAPS_LINE.fullmatch(line)) and len(letters) >= 4 and "|" not in line


def _is_noise(line: str) -> bool:
    return bool(_TOC_LINE.search(line) and re.search(r"[A-Za-zÆØÅæøå]", line)) or bool(_MONTH_YEAR.fullmatch(line))


def _continues(previous: OutlineHeading, start: int, line: str, by_start: dict) -> bool:
    """An all-caps heading broken over two lines: «FLERE FLYGTNINGE … SKAL» +
    «VÆRE SELVFORSØRGENDE»."""
    return (
        previous.end + 1 == start
        and previous.title.isupper()
        and line.isupper()
        and not previous.title.rstrip().endswith((".", ":", "!", "?"))
    )


def _heading(clean: CleanText, start: int, end: int, level: int) -> OutlineHeading:
    title = " ".join(clean.text[start:end].split())
    return OutlineHeading(start, end, level, title, clean.page_at(start), clean.label_at(start))


def _lists(
    clean: CleanText, lines: list[tuple[int, int, str]], heading_starts: set[int], headings: list[OutlineHeading]
) -> list[ListBlock]:
    blocks: list[ListBlock] = []
    items: list[tuple[int, int]] = []
    numbered, expected, first_line, sparse = False, 1, 0, False
    for i, (start, end, line) in enumerate(lines):
        if not line.strip():
            continue
        found = _items_on_line(clean.text, start, end, expected if numbered and items else None, start in heading_starts)
        if found is not None and items and found[1] == numbered:
            items.extend(found[0])
            expected += len(found[0])
            continue
        if found is None and items and numbered and _continues_after(clean.text, lines, i, expected):
            sparse = True  # «Mål 1. …», a paragraph about it, «Mål 2. …»: one list
            continue
        if items:
            blocks.append(_block(clean, lines, first_line, items, numbered, headings, sparse))
            items = []
        if found is not None:
            items, numbered, first_line, sparse = list(found[0]), found[1], i, False
            expected = _first_number(line) + len(items) if numbered else 1
    if items:
        blocks.append(_block(clean, lines, first_line, items, numbered, headings, sparse))
    return [b for b in blocks if len(b.items) >= 2]


def _continues_after(text: str, lines, i: int, expected: int, lookahead: int = 3) -> bool:
    """Is line ``i`` a paragraph between numbered items: does item
    ``expected`` follow within ``lookahead`` non-blank lines?"""
    seen = 0
    for start, end, line in lines[i + 1 :]:
        if not line.strip():
            continue
        if _items_on_line(text, start, end, expected, True) is not None:
            return True
        seen += 1
        if seen >= lookahead:
            return False
    return False


def _first_number(line: str) -> int:
    m = _NUMBER.match(line)
    return int(m.group(1)) if m else 1


def _items_on_line(
    text: str, start: int, end: int, expected: Optional[int], is_heading: bool = False
) -> Optional[tuple[list, bool]]:
    """The items a line holds (spans of their words) and whether numbered;
    None if it is no list line. A numbered line continues a list only with
    the expected number; a heading is an item only when it is numbered
    («1. Langtidsledige og Sygemeldte», «Mål 2. …»)."""
    line = text[start:end]
    bullet = None if is_heading else _BULLET.match(line)
    if bullet:
        return [(start + bullet.end(), end)], False
    number = _NUMBER.match(line)
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


def _block(
    clean, lines, first_line: int, items: list, numbered: bool, headings: list[OutlineHeading], sparse: bool = False
) -> ListBlock:
    start = _line_start(clean.text, items[0][0])
    return ListBlock(
        sparse=sparse,
        start=start,
        end=items[-1][1],
        items=tuple(items),
        intro=_intro(lines, first_line, headings),
        numbered=numbered,
        page=clean.page_at(start),
        page_label=clean.label_at(start),
    )


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _intro(lines, first_line: int, headings: list[OutlineHeading]) -> Optional[tuple[int, int]]:
    """The line right above the list (blank lines skipped) when it ends with
    ":" or is a heading."""
    for start, end, line in reversed(lines[:first_line]):
        if not line.strip():
            continue
        if line.rstrip().endswith(":"):
            return start, start + len(line.rstrip())
        heading = next((h for h in headings if h.start <= start < h.end + 1), None)
        return (heading.start, heading.end) if heading is not None else None
    return None
