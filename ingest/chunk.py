"""Structure-aware chunking: CleanText (+ its Outline) + DocumentMeta -> [Chunk].

Guarantees:
- every chunk's ``text`` is exactly ``clean.text[start:end]``;
- the heading path is the outline's (ingest/outline.py: all-caps and
  «Mål 1.» headings too; tables of contents and list introductions are no
  sections), and a chunk never crosses a heading unless what came before was
  only headings (a bare heading joins the section it introduces);
- chunks stay within ``max_tokens`` cl100k tokens (about 0.7 XLM-R tokens
  each, so well inside e5's 512), splitting by paragraph, then line, then
  sentence, then whitespace, so a number or a table row is never cut;
- a list item (ingest/outline.py) is never cut: one that wraps over lines
  stays in one chunk, a line of items run together splits between items
  only; only an item alone over the budget is split like a long line. When
  a list starts a new chunk, the line that introduces it moves along;
- a table's caption («Tabel 1: …») starts a chunk; a chunk that starts
  inside a table carries the table's header row (a " | " table), or its
  caption and header lines (a table flattened to lines: up to its first row
  of figures), as retrieval ``context`` (never as quotable text);
- the table of contents is no section, but its chunks are filed under its
  title, so answers can tell a contents line from text;
- text recognised by OCR (a scanned page, ingest/ocr.py) and text from a
  text layer never share a chunk, so a chunk's ``ocr`` holds for every
  quote taken from it;
- ids are stable: the same document text gives the same chunk ids.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from planchat.danish import sentence_spans
from planchat.records import Chunk, CleanText, DocumentMeta, Outline

from .outline import build_outline, table_spans, toc_span
from .tokens import count_tokens

SECTION_SEPARATOR = " › "
# The table of contents is no section of the outline; its chunks are filed
# under its title («Indholdsfortegnelse»), below any heading, so the answerer
# can still tell a contents line from text (retrieval/answer.py).
_TOC_LEVEL = 99


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    is_heading: bool = False
    paragraph_break_before: bool = False
    table_end: int = -1  # a table's caption («Tabel 1: …»): where the table ends
    table_header_end: int = -1  # ... and where its header lines end (its first row of figures)


def _lines(text: str, start: int, end: int) -> list[tuple[int, int, bool]]:
    """(start, end, blank_line_before) of the non-empty lines in text[start:end]."""
    out = []
    pos = start
    blank = False
    for line in text[start:end].split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, pos + lead + len(stripped), blank))
            blank = False
        else:
            blank = True
        pos += len(line) + 1
    return out


def _split_long(text: str, start: int, end: int, max_tokens: int, count: Callable[[str], int]) -> list[tuple[int, int]]:
    """Split one over-long line into sentence groups, then whitespace groups."""
    pieces: list[tuple[int, int]] = []
    for span in sentence_spans(text[start:end]):
        a, b = start + span.start, start + span.end
        if count(text[a:b]) <= max_tokens:
            pieces.append((a, b))
            continue
        # A single sentence beyond the budget: cut at whitespace, so tokens
        # such as "1.200" or "3,7" stay whole.
        words = [(m.start() + a, m.end() + a) for m in re.finditer(r"\S+", text[a:b])]
        group_start = words[0][0]
        prev_end = words[0][1]
        for w_start, w_end in words[1:]:
            if count(text[group_start:w_end]) > max_tokens:
                pieces.append((group_start, prev_end))
                group_start = w_start
            prev_end = w_end
        pieces.append((group_start, prev_end))
    return pieces


def chunk_document(
    clean: CleanText,
    meta: DocumentMeta,
    *,
    max_tokens: int = 220,
    count: Callable[[str], int] = count_tokens,
    outline: Outline | None = None,
) -> list[Chunk]:
    outline = outline if outline is not None else build_outline(clean)
    headings = _headings(clean, outline)
    packer = _ChunkPacker(clean, meta, headings, max_tokens, count)
    for unit in _plan_units(clean, headings, outline, max_tokens, count):
        packer.add(unit)
    return packer.finish()


@dataclass(frozen=True)
class _Heading:
    end: int
    level: int
    title: str


def _headings(clean: CleanText, outline: Outline) -> dict[int, _Heading]:
    """start -> heading: the outline's, and the table of contents' title line."""
    found = {h.start: _Heading(h.end, h.level, h.title) for h in outline.headings}
    toc_start, toc_end = toc_span(clean.text)
    if toc_end > toc_start:
        line_end = clean.text.find("\n", toc_start, toc_end)
        end = toc_end if line_end == -1 else line_end
        found[toc_start] = _Heading(end, _TOC_LEVEL, clean.text[toc_start:end].strip())
    return found


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _item_spans(text: str, outline: Outline) -> list[tuple[int, int, tuple[int, ...]]]:
    """(start, end, marker starts) of the text no cut may enter: each list
    item from the start of its line (its marker) to its end, items that
    share a line merged."""
    spans: list[tuple[int, int, tuple[int, ...]]] = []
    for block in outline.lists:
        for start, end in block.items:
            line_start = text.rfind("\n", 0, start) + 1
            marker = _marker_start(text, line_start, start)
            if spans and line_start < spans[-1][1]:
                last = spans[-1]
                spans[-1] = (last[0], max(last[1], end), last[2] + (marker,))
            else:
                spans.append((line_start, end, (marker,)))
    return sorted(spans)


def _marker_start(text: str, line_start: int, item_start: int) -> int:
    """Where an item's marker begins: the line start, or for an item run
    together with others on one line («… 2. Gennemføre …») its number."""
    head = text[line_start:item_start].rstrip()
    m = re.search(r"\s(\d{1,2}[.)])$", head)
    return line_start + m.start(1) if m and m.start() > 0 else line_start


def _plan_units(clean: CleanText, headings: dict[int, _Heading], outline: Outline, max_tokens: int,
                count: Callable[[str], int]) -> list[_Unit]:  # fmt: skip
    """The document as units in reading order: lines (an over-long line pre-split
    into sentence or word groups), each heading a unit of its own, each list
    item whole (an over-long line of items split between items)."""
    text = clean.text
    boundaries = sorted(set(headings) | {0, len(text)})
    items = iter(_item_spans(text, outline))
    item = next(items, None)
    units: list[_Unit] = []
    for a, b in zip(boundaries, boundaries[1:]):
        covered = a
        for line_start, line_end, blank in _lines(text, a, b):
            while item is not None and item[1] <= line_start:
                item = next(items, None)
            if line_start < covered:
                continue  # inside a heading or an item already taken
            if line_start in headings:
                units.append(_Unit(line_start, headings[line_start].end, is_heading=True, paragraph_break_before=True))
                covered = headings[line_start].end
            elif item is not None and item[0] <= line_start:
                units.extend(_item_units(text, item[0], _rstrip(text, item[0], min(item[1], b)), item[2], blank,
                                         max_tokens, count))  # fmt: skip
                covered = item[1]
            else:
                units.extend(_line_units(text, line_start, line_end, blank, max_tokens, count))
    tables = {start: (header, end) for start, header, end in table_spans(text, set(headings))}
    return [replace(u, table_end=tables[u.start][1], table_header_end=tables[u.start][0])
            if u.start in tables and not u.is_heading else u for u in units]  # fmt: skip


def _line_units(text: str, start: int, end: int, blank: bool, max_tokens: int, count) -> list[_Unit]:
    if count(text[start:end]) <= max_tokens:
        return [_Unit(start, end, paragraph_break_before=blank)]
    pieces = _split_long(text, start, end, max_tokens, count)
    return [_Unit(a, b, paragraph_break_before=blank and i == 0) for i, (a, b) in enumerate(pieces)]


def _item_units(text: str, start: int, end: int, markers: tuple[int, ...], blank: bool, max_tokens: int, count):
    """One unit for an item (or a line of items); over the budget, groups of
    whole items, and an item alone over the budget split like a long line."""
    if count(text[start:end]) <= max_tokens:
        return [_Unit(start, end, paragraph_break_before=blank)]
    cuts = (start,) + markers[1:] + (end,)
    spans: list[tuple[int, int]] = []
    group: tuple[int, int] | None = None
    for a, b in ((a, _rstrip(text, a, b)) for a, b in zip(cuts, cuts[1:])):
        if group is not None and count(text[group[0] : b]) <= max_tokens:
            group = (group[0], b)
            continue
        if group is not None:
            spans.append(group)
        group = (a, b) if count(text[a:b]) <= max_tokens else None
        if group is None:
            spans.extend(_split_long(text, a, b, max_tokens, count))
    if group is not None:
        spans.append(group)
    return [_Unit(a, b, paragraph_break_before=blank and i == 0) for i, (a, b) in enumerate(spans)]


def _chunk_record(
    clean: CleanText, meta: DocumentMeta, start: int, end: int, ordinal: int, section: str, context: str
) -> Chunk:
    body = clean.text[start:end]
    # The id names everything BM25 indexes (heading path, table header, text):
    # a saved BM25 is reused only while its chunk ids match, so a heading
    # edited above an unchanged chunk must give that chunk a new id.
    digest = hashlib.sha256(f"{start}:{end}:{section}\0{context}\0{body}".encode()).hexdigest()[:12]
    return Chunk(
        chunk_id=f"{meta.doc_id}:{ordinal:04d}:{digest}",
        doc_id=meta.doc_id,
        municipality=meta.municipality,
        year=meta.year,
        years=meta.covered_years,
        title=meta.title,
        section=section,
        page=clean.page_at(start),
        page_label=clean.label_at(start),
        ocr=clean.ocr_at(start),
        start=start,
        end=end,
        text=body,
        ordinal=ordinal,
        context=context,
    )


class _ChunkPacker:
    """Packs units into chunks in reading order: a chunk closes at a heading or
    a table caption (unless it holds only headings) or when the next unit would
    cross the token budget. Tracks the heading path each chunk is filed under,
    and the header row or caption of the table being read, which a chunk
    starting mid-table carries."""

    def __init__(self, clean: CleanText, meta: DocumentMeta, headings: dict[int, _Heading], max_tokens: int, count):
        self.clean, self.meta, self.max_tokens, self.count = clean, meta, max_tokens, count
        self.text = clean.text
        self.heading_at = headings
        self.chunks: list[Chunk] = []
        self.path: list[tuple[int, str]] = []  # (level, title) stack
        self.current: list[_Unit] = []
        self.current_path = ""
        self.table_header = ""
        self.current_context = ""
        self.caption, self.caption_end = "", -1  # caption and header lines of the «Tabel N: …» being read

    def add(self, unit: _Unit) -> None:
        if self.current and self.clean.ocr_at(unit.start) != self.clean.ocr_at(self.current[0].start):
            self._flush()  # OCR text and a text layer never share a chunk: a citation's ``ocr`` is its chunk's
        if unit.is_heading:
            self._add_heading(unit)
        else:
            self._add_line(unit)

    def finish(self) -> list[Chunk]:
        self._flush()
        return self.chunks

    def _section_path(self) -> str:
        return SECTION_SEPARATOR.join(title for _, title in self.path)

    def _overflows_with(self, unit: _Unit) -> bool:
        """Whether the current chunk, extended to the end of ``unit``, is over the budget."""
        return bool(self.current) and self.count(self.text[self.current[0].start : unit.end]) > self.max_tokens

    def _add_heading(self, unit: _Unit) -> None:
        heading = self.heading_at[unit.start]
        while self.path and self.path[-1][0] >= heading.level:
            self.path.pop()
        self.path.append((heading.level, heading.title))
        if not all(u.is_heading for u in self.current) or self._overflows_with(unit):
            self._flush()
        self.current_path = self._section_path()
        self.table_header = ""
        self.current.append(unit)

    def _add_line(self, unit: _Unit) -> None:
        unit_text = self.text[unit.start : unit.end]
        is_row = " | " in unit_text or unit_text.startswith("| ")
        if unit.table_end >= 0:
            if not all(u.is_heading for u in self.current):
                self._flush()  # a table starts a chunk with its caption
            header = self.text[unit.start : unit.table_header_end].split("\n")
            self.caption, self.caption_end = "\n".join(x.strip() for x in header if x.strip()), unit.table_end
        elif unit.start >= self.caption_end:
            self.caption = ""
        if self._overflows_with(unit):
            carried = self._carried_introduction(unit)
            self._flush()
            self.current.extend(carried)
            if is_row and self.table_header and self.table_header != unit_text:
                self.current_context = self.table_header
        if is_row and not self.table_header:
            self.table_header = unit_text
        elif not is_row:
            self.table_header = ""
        if not self.current:
            self.current_path = self._section_path()
            if self.caption and not self.current_context and unit.table_end < 0:
                self.current_context = self.caption  # a chunk that starts inside a captioned table
        self.current.append(unit)

    def _carried_introduction(self, unit: _Unit) -> list[_Unit]:
        """A line that introduces what follows ("... følgende systemer:") moves
        to the next chunk, so it is never quoted without its list."""
        last = self.current[-1]
        if (
            len(self.current) > 1
            and not last.is_heading
            and self.text[last.start : last.end].endswith(":")
            and self.count(self.text[last.start : unit.end]) <= self.max_tokens
        ):
            return [self.current.pop()]
        return []

    def _flush(self) -> None:
        if not self.current:
            return
        start, end = self.current[0].start, self.current[-1].end
        self.chunks.append(
            _chunk_record(self.clean, self.meta, start, end, len(self.chunks), self.current_path, self.current_context)
        )
        self.current = []
        self.current_context = ""
