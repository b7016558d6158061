"""The text a structured document (Word, HTML) is written out as, for the cleaner.

The Word and HTML loaders read their document into blocks (headings, list
items, table rows, paragraphs) and this module writes the blocks as the
markup the rest of the pipeline already reads (ingest/clean.py,
ingest/outline.py): a heading is a markdown '#' line, a list item a line
starting "•" or "3.", a table row one line of tab-separated cells (the
cleaner joins them with " | ", as it does a PDF's rows), a paragraph its
lines, blocks apart by a blank line.

The document's own characters '&', '<' and '>' are written as entities, so
the cleaner's one decoding step gives back exactly the author's text: a
"<b>" or "&amp;" typed in a Word document or shown on a web page stays what
the reader saw, never markup.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

BULLET = "•"
_WHITESPACE = re.compile(r"\s+")
_RUNS = re.compile(r"[^\S\n\t]+")  # spaces inside a line; its line breaks and tabs stay

BlockKind = Literal["heading", "paragraph", "item", "row"]


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""
    level: int = 0  # a heading's level, 1-6
    marker: str = ""  # a list item's marker: "•" or "3."
    cells: tuple[str, ...] = ()  # a table row's cells

    def plain(self) -> str:
        """The block's words on one line (a block inside a table cell)."""
        words = " ".join(self.cells) if self.kind == "row" else f"{self.marker} {self.text}"
        return inline(words)


def inline(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def paragraph_text(text: str) -> str:
    """A paragraph's lines (a soft line break stays one), each without extra spaces."""
    lines = (_RUNS.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def table_blocks(rows: list[list[str]]) -> list[Block]:
    """A table's rows. A one-column table is a box around text (a layout
    table, a fact box; no row has two filled cells): its cells are
    paragraphs, not rows."""
    rows = [[inline(cell) for cell in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if all(sum(1 for cell in row if cell) <= 1 for row in rows):
        return [Block("paragraph", text=cell) for row in rows for cell in row if cell]
    return [Block("row", cells=tuple(row)) for row in rows]


def _line(block: Block) -> str:
    if block.kind == "heading":
        return f"{'#' * min(max(block.level, 1), 6)} {html.escape(inline(block.text), quote=False)}"
    if block.kind == "item":
        return f"{block.marker} {html.escape(inline(block.text), quote=False)}"
    if block.kind == "row":
        return "\t".join(html.escape(inline(cell), quote=False) for cell in block.cells)
    return html.escape(paragraph_text(block.text), quote=False)


def render(blocks: list[Block]) -> str:
    """The blocks as text: the items of one list and the rows of one table
    line by line, everything else a blank line apart."""
    out: list[str] = []
    previous: tuple[BlockKind, bool] | None = None
    for block in blocks:
        if not inline(block.text) and not any(inline(cell) for cell in block.cells):
            continue
        # A bulleted list right after a numbered one (or the reverse) is another list.
        kind = (block.kind, block.marker[:1].isdigit())
        if out:
            out.append("\n" if kind == previous and block.kind in ("item", "row") else "\n\n")
        out.append(_line(block))
        previous = kind
    return "".join(out) + ("\n" if out else "")
