"""Structure-aware chunking: CleanText + DocumentMeta -> [Chunk].

Guarantees:
- every chunk's ``text`` is exactly ``clean.text[start:end]``;
- a chunk never crosses a heading boundary unless what came before was only
  headings (a bare heading joins the section it introduces);
- chunks stay within ``max_tokens`` cl100k tokens (about 0.7 XLM-R tokens
  each, so well inside e5's 512), splitting by paragraph, then line, then
  sentence, then whitespace, so a number or a table row is never cut;
- a chunk that starts inside a table carries the table's header row as
  retrieval ``context`` (never as quotable text);
- ids are stable: the same document text gives the same chunk ids.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable

from planchat.danish import sentence_spans
from planchat.records import Chunk, CleanText, DocumentMeta

from .tokens import count_tokens

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    is_heading: bool = False
    paragraph_break_before: bool = False


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
) -> list[Chunk]:
    packer = _ChunkPacker(clean, meta, max_tokens, count)
    for unit in _plan_units(clean, max_tokens, count):
        packer.add(unit)
    return packer.finish()


def _plan_units(clean: CleanText, max_tokens: int, count: Callable[[str], int]) -> list[_Unit]:
    """The document as units in reading order: lines (an over-long line pre-split
    into sentence or word groups), each heading a unit of its own."""
    text = clean.text
    boundaries = sorted({h.start for h in clean.headings} | {0, len(text)})
    heading_starts = {h.start for h in clean.headings}
    units: list[_Unit] = []
    for a, b in zip(boundaries, boundaries[1:]):
        for line_start, line_end, blank in _lines(text, a, b):
            if line_start in heading_starts:
                units.append(_Unit(line_start, line_end, is_heading=True, paragraph_break_before=True))
            elif count(text[line_start:line_end]) > max_tokens:
                for i, (p_start, p_end) in enumerate(_split_long(text, line_start, line_end, max_tokens, count)):
                    units.append(_Unit(p_start, p_end, paragraph_break_before=blank and i == 0))
            else:
                units.append(_Unit(line_start, line_end, paragraph_break_before=blank))
    return units


def _chunk_record(clean: CleanText, meta: DocumentMeta, start: int, end: int, ordinal: int, section: str,
                  context: str) -> Chunk:
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
        start=start,
        end=end,
        text=body,
        ordinal=ordinal,
        context=context,
    )


class _ChunkPacker:
    """Packs units into chunks in reading order: a chunk closes at a heading
    (unless it holds only headings) or when the next unit would cross the token
    budget. Tracks the heading path each chunk is filed under, and the header
    row of the table being read, which a chunk starting mid-table carries."""

    def __init__(self, clean: CleanText, meta: DocumentMeta, max_tokens: int, count: Callable[[str], int]):
        self.clean, self.meta, self.max_tokens, self.count = clean, meta, max_tokens, count
        self.text = clean.text
        self.heading_at = {h.start: h for h in clean.headings}
        self.chunks: list[Chunk] = []
        self.path: list[tuple[int, str]] = []  # (level, title) stack
        self.current: list[_Unit] = []
        self.current_path = ""
        self.table_header = ""
        self.current_context = ""

    def add(self, unit: _Unit) -> None:
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
