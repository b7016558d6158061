"""PDF page layout: table rows and column reading order from pypdf's two extractions.

pypdf's plain extraction follows the content stream: usually the reading
order, but table cells run together ("HandgunLong Gun") and a page whose
stream goes row by row reads across two columns. Its layout extraction
places text by position (gaps become runs of spaces) but its characters
can run together where plain has a gap ("1,95712189" for "1,957 121 8 9").
``arrange_page`` takes the plain text and changes it only where the layout
text proves a structure and both extractions agree on the characters:

- a table (a block of lines with >= 3 cells at gaps of >= 2 spaces, at
  least 3 and half of them rows of figures): each plain line that is such
  a row, character for character, becomes its cells joined by tabs (the
  cleaner turns tabs into " | "); a gap plain saw between two figures that
  layout ran together also separates cells;
- columns (a vertical gutter of spaces down most lines, wrapped prose on
  both sides) that the plain text reads across (the two halves of a row
  follow each other): the page is rebuilt from the layout text, each column
  top to bottom, left to right; lines that cross a gutter (titles) stay
  where they are, between the column blocks. A page with a table is not
  re-read by columns (a table's cells would look like narrow columns).

Anything else (no structure found, or the plain text already reads down
the columns, as pypdf's does for sf-026 and the Federal Register) is
returned unchanged.
"""

from __future__ import annotations

import re
import unicodedata

_GAP = re.compile(r" {2,}")
_FIGURE = re.compile(r"[-+−–(]?\d(?:[\d.,\u00a0 ]*\d)?\s?%?\)?")  # 1.234 · -22 · 98 452 · 3,7 % · (12)
_LEADER = re.compile(r"[.… ]{4,}")
MIN_TABLE_ROWS = 3  # figure rows in one block of layout lines
MIN_GUTTER = 2  # characters of layout text
MIN_COLUMN_WIDTH = 15  # mean characters per column line: narrower is a table, not prose
MIN_ACROSS_ROWS = 3  # rows the plain text reads across before the columns are re-read
MIN_WRAPS = 2  # lines per column that continue the line above in lower case


def arrange_page(plain: str, layout: str) -> str:
    """The plain text with table rows cell-separated, or the page re-read
    column by column where plain reads across the columns."""
    lines = [line.rstrip() for line in layout.replace("\t", " ").split("\n")]
    rows = table_rows(lines)
    if rows:
        return tabulate(plain, rows)
    columns = column_text(plain, lines)
    return plain if columns is None else columns


# -- tables -------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    return _GAP.split(line.strip()) if line.strip() else []


def _is_figure_row(cells: list[str]) -> bool:
    """>= 2 figures, and at least half the cells but one are figures
    (justified prose has wide gaps too, but mostly between words)."""
    content = [cell for cell in cells if not _LEADER.fullmatch(cell)]
    figures = sum(1 for cell in content if _FIGURE.fullmatch(cell))
    return figures >= 2 and 2 * figures >= len(content) - 1


def table_rows(lines: list[str]) -> list[str]:
    """Layout lines inside table blocks: runs of consecutive lines of >= 3
    cells, at least MIN_TABLE_ROWS and half of them figure rows."""
    out: list[str] = []
    block: list[str] = []
    for line in lines + [""]:
        if len(_cells(line)) >= 3:
            block.append(line)
            continue
        figure_rows = sum(1 for row in block if _is_figure_row(_cells(row)))
        if figure_rows >= MIN_TABLE_ROWS and 2 * figure_rows >= len(block):
            out.extend(block)
        block = []
    return out


def _spaceless(text: str) -> str:
    return "".join(text.split())


def _gaps(text: str) -> list[int]:
    """Spaces before each non-space character of ``text``."""
    out, run = [], 0
    for ch in text.strip():
        if ch.isspace():
            run += 1
        else:
            out.append(run)
            run = 0
    return out


def row_cells(layout_line: str, plain_line: str) -> list[str]:
    """Cells of one row whose extractions hold the same characters: split at
    layout's wide gaps, and where plain has a gap between two digits that
    layout ran together; other single spaces stay inside a cell."""
    chars = _spaceless(plain_line)
    layout_gaps, plain_gaps = _gaps(layout_line), _gaps(plain_line)
    cells: list[str] = [""]
    for i, ch in enumerate(chars):
        if i:
            ran_together = plain_gaps[i] and not layout_gaps[i] and chars[i - 1].isdigit() and ch.isdigit()
            if layout_gaps[i] >= 2 or ran_together:
                cells.append("")
            elif layout_gaps[i] or plain_gaps[i]:
                cells[-1] += " "
        cells[-1] += ch
    # A dot leader ("Stetigkeit . . . . 9") belongs to the cell it leads from.
    out: list[str] = []
    for cell in cells:
        if out and _LEADER.fullmatch(cell):
            out[-1] += " " + cell
        else:
            out.append(cell)
    return out


def tabulate(plain: str, rows: list[str]) -> str:
    """Each plain line that holds exactly a table row's characters becomes
    that row's cells joined by tabs; every other line is kept as it is."""
    by_chars: dict[str, str] = {}
    for row in rows:
        by_chars.setdefault(_spaceless(row), row)
    out = []
    for line in plain.split("\n"):
        found = by_chars.get(_spaceless(line)) if line.strip() else None
        out.append(line if found is None else "\t".join(row_cells(found, line)))
    return "\n".join(out)


# -- columns ------------------------------------------------------------------


def gutters(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) character ranges empty in (nearly) every text line, with
    text on both sides in most lines: the gaps between columns."""
    text_lines = [line for line in lines if line.strip()]
    if len(text_lines) < 6:
        return []
    width = max(len(line) for line in text_lines)
    used = [0] * width
    for line in text_lines:
        for x, ch in enumerate(line):
            if not ch.isspace():
                used[x] += 1
    crossing = max(1, len(text_lines) // 10)  # titles and page numbers may cross a gutter
    out = []
    x = 0
    while x < width:
        if used[x] > crossing:
            x += 1
            continue
        start = x
        while x < width and used[x] <= crossing:
            x += 1
        if start == 0 or x >= width or x - start < MIN_GUTTER:
            continue
        both_sides = sum(1 for line in text_lines if line[:start].strip() and line[x:].strip())
        if both_sides >= len(text_lines) // 2:
            out.append((start, x))
    return out


def _split(line: str, cuts: list[tuple[int, int]]) -> list[str] | None:
    """The line's part in each column, or None when text crosses a gutter."""
    if any(line[a:b].strip() for a, b in cuts):
        return None
    edges = [0] + [e for a, b in cuts for e in (a, b)] + [max(len(line), cuts[-1][1])]
    return [line[edges[i] : edges[i + 1]].strip() for i in range(0, len(edges), 2)]


def _reads_across(plain: str, parts: list[list[str]]) -> bool:
    """Does the plain text run from a column's line straight into the next
    column's line of the same row (rather than down the column)?"""
    text = _spaceless(unicodedata.normalize("NFKC", plain))
    across = down = 0
    for row in parts:
        for left, right in zip(row, row[1:]):
            a, b = (_spaceless(unicodedata.normalize("NFKC", s)) for s in (left, right))
            if len(a) < 8 or len(b) < 8:
                continue
            if a + b in text:
                across += 1
            elif a in text and b in text:
                down += 1
    return across >= MIN_ACROSS_ROWS and across > down


def column_text(plain: str, lines: list[str]) -> str | None:
    """The page column by column, or None when it has no prose columns or
    the plain text already reads down them."""
    cuts = gutters(lines)
    if not cuts:
        return None
    split = [(line, _split(line, cuts)) for line in lines]
    parts = [p for _, p in split if p is not None]
    for column in zip(*parts):
        filled = [s for s in column if s]
        if not filled or sum(map(len, filled)) / len(filled) < MIN_COLUMN_WIDTH:
            return None
        # Prose wraps mid-sentence; a column of labels or figures does not.
        wraps = sum(1 for a, b in zip(filled, filled[1:]) if b[0].islower() and not a.endswith((".", ":", "!", "?")))
        if wraps < MIN_WRAPS:
            return None
    if not _reads_across(plain, parts):
        return None
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        # The text flows from the foot of one column to the head of the next:
        # no paragraph break between them (blank lines inside a column stay).
        for column in zip(*block):
            kept = "\n".join(column).strip("\n")
            if kept:
                out.append(kept)
        block.clear()

    for line, p in split:
        if p is None:
            flush()
            out.append(line.strip())
        else:
            block.append(p)
    flush()
    return "\n".join(out).strip("\n")
