"""Web page (.html, .htm) loader: bytes -> LoadedText, the page's own structure kept.

Parsed by Lexbor (selectolax), an HTML5 parser that repairs broken nesting
the way browsers do. Read from the page's <main> (or its one <article>, else
<body>):

- <h1>-<h6> are headings; <li> are list items ("3." in an <ol>, counted from
  its start and values, "•" in a <ul>); a table is its rows, cells
  tab-separated (a one-column table is a box of paragraphs; a nested table is
  part of its cell); every other block element is a paragraph, <br> a line
  break.
- Boilerplate is dropped: script, style, noscript, template, iframe, svg,
  navigation (<nav>, role=navigation), footers (<footer>, role=contentinfo),
  the site's header and sidebars (a <header> outside main/article, an <aside>
  outside article),
  dialogs, form controls, hidden elements, and cookie/consent banners (an id
  or class naming cookie, consent or GDPR).

The encoding is the byte-order mark's, else the page's <meta charset> (or its
http-equiv Content-Type), else UTF-8, else Windows-1252 (what a Danish page
without a declaration was most likely saved in); "iso-8859-1" means
Windows-1252, as in browsers. The text is written out by
ingest/structured_text.py.
"""

from __future__ import annotations

import codecs
import re

from planchat.errors import DocumentError, EmptyDocument
from planchat.records import LoadedText, PageText

from .clean import superscript
from .structured_text import BULLET, Block, inline, render, table_blocks

_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_LATIN1_LABELS = {"iso8859-1", "latin-1", "ascii", "cp1252"}  # WHATWG: all of these decode as Windows-1252
_DROPPED_TAGS = {
    "script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas", "math",
    "nav", "footer", "dialog", "button", "select", "input", "textarea", "option", "head", "title", "meta", "link",
}  # fmt: skip
# The site's, except a header inside <main>/<article> (the page's title) and an aside inside <article> (a fact box).
_KEPT_INSIDE = {"header": ("main", "article"), "aside": ("article",)}
_DROPPED_ROLES = {"navigation", "contentinfo", "banner", "search", "dialog", "alertdialog", "complementary"}
_BANNER = re.compile(r"(?i)cookie|consent|gdpr|samtykke")
_NEVER_BANNER = {"html", "body", "main", "article"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = {
    "p", "div", "section", "article", "main", "header", "blockquote", "dl", "dt", "dd", "figure", "figcaption",
    "address", "hr", "details", "summary", "pre", "center", "fieldset", "legend", "caption", "form", "body",
}  # fmt: skip
_CELLS = {"td", "th"}
_BOUNDARIES = {*_BLOCKS, *_HEADINGS, *_CELLS, "li", "ul", "ol", "menu", "table", "tr", "br"}  # a space inside a cell


def decode_html(data: bytes, name: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = [*_declared(data), "utf-8", "cp1252"]
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError(
        f"{name}: the page is not in the encoding it declares, nor UTF-8 or Windows-1252. Save it as UTF-8 and try again."
    )


def _declared(data: bytes) -> list[str]:
    match = _META_CHARSET.search(data[:2048])
    if not match:
        return []
    try:
        encoding = codecs.lookup(match.group(1).decode("ascii")).name
    except LookupError:
        return []  # an unknown label: as if none were given
    return ["cp1252"] if encoding in _LATIN1_LABELS or encoding == "iso8859-1" else [encoding]


def load_html(data: bytes, name: str) -> LoadedText:
    from selectolax.lexbor import LexborHTMLParser

    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes). Nothing was ingested.")
    text = decode_html(data, name)
    if "\x00" in text[:4096]:
        raise DocumentError(f"{name}: this looks like a binary file, not a web page. Upload the page's .html file.")
    tree = LexborHTMLParser(text)
    root = tree.css_first("main, [role=main]")
    if root is None:
        articles = tree.css("article")
        root = articles[0] if len(articles) == 1 else tree.body
    rendered = render(_PageReader().read(root)) if root is not None else ""
    if not rendered.strip():
        raise EmptyDocument(
            f"{name}: the page has no text outside navigation, banners and footers. Nothing was ingested."
        )
    return LoadedText(pages=(PageText(number=None, text=rendered),), media_type="text/html")


def _dropped(node) -> bool:
    tag = node.tag
    if tag.startswith("-"):  # comments, processing instructions; "-text" is never dropped
        return tag != "-text"
    if tag in _DROPPED_TAGS or (tag in _KEPT_INSIDE and not _inside(node, _KEPT_INSIDE[tag])):
        return True
    attrs = node.attributes
    if (attrs.get("role") or "").lower() in _DROPPED_ROLES or "hidden" in attrs:
        return True
    if (attrs.get("aria-hidden") or "").lower() == "true":
        return True
    if tag in _NEVER_BANNER:
        return False
    return bool(_BANNER.search(f"{attrs.get('id') or ''} {attrs.get('class') or ''}"))


def _inside(node, tags: tuple[str, ...]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _walk(root):
    """("open" | "close", node) in document order, boilerplate left out; no recursion, so any depth reads."""
    depth, node = 0, root.child
    while node is not None:
        if not _dropped(node):
            yield "open", node
            if node.child is not None and node.tag != "-text":
                depth, node = depth + 1, node.child
                continue
            yield "close", node
        while node.next is None:
            depth, node = depth - 1, node.parent
            if depth < 0 or node is None:
                return
            yield "close", node
        node = node.next


class _PageReader:
    """Turns the walk into blocks: the text gathered since the last block
    boundary becomes a heading, a list item or a paragraph."""

    def __init__(self):
        self.blocks: list[Block] = []
        self.buffer: list[str] = []
        self.heading = 0  # the level of the heading being read
        self.marker = ""  # the marker of the list item being read
        self.lists: list[list] = []  # [ordered, next number] per open list
        self.tables = 0  # open tables; only the outermost one's rows and cells are structure
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None
        self.pre = 0
        self.raised: list[int] = []  # where each open <sup>'s text starts in the buffer or cell

    def read(self, root) -> list[Block]:
        for event, node in _walk(root):
            (self._open if event == "open" else self._close)(node)
        self._flush()
        return self.blocks

    def _text(self, text: str) -> None:
        self._target().append(text if self.pre else re.sub(r"[ \t\r\n\f]+", " ", text))

    def _target(self) -> list[str]:
        return self.cell if self.cell is not None else self.buffer

    def _open(self, node) -> None:
        tag = node.tag
        if tag == "-text":
            self._text(node.text_content or "")
        elif tag == "sup":
            self.raised.append(len(self._target()))
        elif self.cell is not None:  # inside a cell a block is a space
            self.cell.append(" " if tag in _BOUNDARIES else "")
            self.tables += tag == "table"
        elif tag == "br":
            self.buffer.append("\n")
        elif tag in _HEADINGS:
            self._flush()
            self.heading = _HEADINGS[tag]
        elif tag == "li":
            self._flush()
            self.marker = self._next_marker(node)
        elif tag in ("ul", "ol", "menu"):
            self._flush()
            self.lists.append([tag == "ol" and (node.attributes.get("type") or "1") == "1", _start(node)])
        elif tag == "table":
            self._flush()
            self.tables += 1
            if self.tables == 1:
                self.rows = []
        elif tag == "tr" and self.tables == 1:
            self.rows.append([])
        elif tag in _CELLS and self.tables == 1:
            self.cell = []
        elif tag in _BLOCKS:
            self._flush()
            self.pre += tag == "pre"

    def _close(self, node) -> None:
        tag = node.tag
        if tag == "-text":
            return
        if tag == "sup":
            target, start = self._target(), self.raised.pop() if self.raised else 0
            raised = "".join(target[start:])
            target[start:] = [superscript(raised) if raised.strip() else raised]
        elif self.cell is not None:
            if tag in _CELLS and self.tables == 1:
                if self.rows:
                    self.rows[-1].append(inline("".join(self.cell)))
                self.cell = None
            else:
                self.cell.append(" " if tag in _BOUNDARIES else "")
                self.tables -= tag == "table"
        elif tag in _HEADINGS or tag == "li":
            self._flush()
            self.heading, self.marker = 0, ""
        elif tag in ("ul", "ol", "menu"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "table":
            self._flush()
            self.tables -= 1
            if self.tables == 0:
                self.blocks.extend(table_blocks(self.rows))
                self.rows = []
        elif tag in _BLOCKS:
            self._flush()
            self.pre -= tag == "pre"

    def _next_marker(self, node) -> str:
        if not self.lists or not self.lists[-1][0]:
            return BULLET
        value = node.attributes.get("value")
        if value and value.strip().isdigit():
            self.lists[-1][1] = int(value)
        number = self.lists[-1][1]
        self.lists[-1][1] += 1
        return f"{number}."

    def _flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        if not text.strip():
            return
        if self.heading:
            self.blocks.append(Block("heading", text=text, level=self.heading))
        elif self.marker:
            self.blocks.append(Block("item", text=text, marker=self.marker))
            self.marker = ""  # a second paragraph in the item is a paragraph
        else:
            self.blocks.append(Block("paragraph", text=text))


def _start(node) -> int:
    start = (node.attributes.get("start") or "").strip()
    return int(start) if start.isdigit() else 1
