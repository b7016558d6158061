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
    text = clean.text
    boundaries = sorted({h.start for h in clean.headings} | {0, len(text)})
    heading_at = {h.start: h for h in clean.headings}

    # Units: lines (with long lines pre-split); headings are their own units.
    units: list[_Unit] = []
    for a, b in zip(boundaries, boundaries[1:]):
        for line_start, line_end, blank in _lines(text, a, b):
            if line_start in heading_at:
                units.append(_Unit(line_start, line_end, is_heading=True, paragraph_break_before=True))
            elif count(text[line_start:line_end]) > max_tokens:
                for i, (p_start, p_end) in enumerate(_split_long(text, line_start, line_end, max_tokens, count)):
                    units.append(_Unit(p_start, p_end, paragraph_break_before=blank and i == 0))
            else:
                units.append(_Unit(line_start, line_end, paragraph_break_before=blank))

    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []  # (level, title) stack
    current: list[_Unit] = []
    current_path = ""
    table_header: str = ""
    current_context = ""

    def section_path() -> str:
        return SECTION_SEPARATOR.join(title for _, title in path)

    def flush() -> None:
        nonlocal current, current_context
        if not current:
            return
        start, end = current[0].start, current[-1].end
        body = text[start:end]
        ordinal = len(chunks)
        # The id names everything BM25 indexes (heading path, table header, text):
        # a saved BM25 is reused only while its chunk ids match, so a heading
        # edited above an unchanged chunk must give that chunk a new id.
        digest = hashlib.sha256(f"{start}:{end}:{current_path}\0{current_context}\0{body}".encode()).hexdigest()[:12]
        chunks.append(
            Chunk(
                chunk_id=f"{meta.doc_id}:{ordinal:04d}:{digest}",
                doc_id=meta.doc_id,
                municipality=meta.municipality,
                year=meta.year,
                years=meta.covered_years,
                title=meta.title,
                section=current_path,
                page=clean.page_at(start),
                page_label=clean.label_at(start),
                start=start,
                end=end,
                text=body,
                ordinal=ordinal,
                context=current_context,
            )
        )
        current = []
        current_context = ""

    def only_headings() -> bool:
        return all(u.is_heading for u in current)

    for unit in units:
        unit_text = text[unit.start : unit.end]
        is_row = " | " in unit_text or unit_text.startswith("| ")
        if unit.is_heading:
            heading = heading_at[unit.start]
            while path and path[-1][0] >= heading.level:
                path.pop()
            path.append((heading.level, heading.title))
            if not only_headings() or (current and count(text[current[0].start : unit.end]) > max_tokens):
                flush()
            current_path = section_path()
            table_header = ""
            current.append(unit)
            continue
        if current and count(text[current[0].start : unit.end]) > max_tokens:
            # A line that introduces what follows ("... følgende systemer:")
            # moves to the next chunk, so it is never quoted without its list.
            carried = []
            last = current[-1]
            if (
                len(current) > 1
                and not last.is_heading
                and text[last.start : last.end].endswith(":")
                and count(text[last.start : unit.end]) <= max_tokens
            ):
                carried = [current.pop()]
            flush()
            current.extend(carried)
            if is_row and table_header and table_header != unit_text:
                current_context = table_header
        if is_row and not table_header:
            table_header = unit_text
        elif not is_row:
            table_header = ""
        if not current:
            current_path = section_path()
        current.append(unit)
    flush()
    return chunks
