"""Word (.docx) loader: bytes -> LoadedText, the document's own structure kept.

Read with python-docx (the package, its styles and numbering), walking the
body's XML in reading order:

- a paragraph whose style is a heading (Word's built-in "heading N", whatever
  the interface language calls it, "Title", or any style or paragraph with an
  outline level) is a heading of that level;
- a numbered or bulleted paragraph is a list item: "1." (Word's own count,
  per list and level) for decimal numbering, "•" for bullets and other marks;
- a table is its rows, cells tab-separated (a one-column table is a box of
  paragraphs); text in cells, nested tables and text boxes counts, a text box
  read once (Word stores a fallback copy of each, which is skipped);
- headers, footers, footnotes, comments and deleted revisions are not read.

A file that is no Word document gets a DocumentError that says what it is: an
old binary .doc, an RTF or an OpenDocument file saved under .docx is a 415
that says to save it as .docx or PDF; a zip without a Word document, a
damaged one, is a 422. The text is written out by ingest/structured_text.py.
"""

from __future__ import annotations

import io
import re
import zipfile

from planchat.errors import DocumentError, EmptyDocument, UnsupportedFileType
from planchat.records import LoadedText, PageText

from .clean import superscript
from .structured_text import BULLET, Block, render, table_blocks

DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TEXT_BOX = f"{_W}txbxContent"
# Not text a reader sees in the body: properties, deleted revisions, field codes, comment marks.
_SKIPPED = {f"{_W}{tag}" for tag in ("pPr", "rPr", "del", "moveFrom", "instrText", "delInstrText", "commentReference")}
_SKIPPED.add(_FALLBACK)
_CHARS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}
_HEADING_NAME = re.compile(r"(?i)^(?:heading|overskrift)\s*([1-9])$")
_TOC_NAME = re.compile(r"(?i)^(?:toc|indholdsfortegnelse)\s*\d")
MAX_UNPACKED_MB = 256  # a zip that unpacks past this is refused before python-docx reads it
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .doc (and .xls, .msg)
_SAVE_AS = "Open it in Word or LibreOffice, save it as .docx or PDF and upload that."


def _unsupported(name: str, what: str) -> UnsupportedFileType:
    return UnsupportedFileType(f"{name}: this is {what}, not a .docx Word document. {_SAVE_AS}")


def _damaged(name: str, exc: Exception) -> DocumentError:
    return DocumentError(
        f"{name}: the Word document is damaged and cannot be read ({type(exc).__name__}). "
        "Open it in Word or LibreOffice, save it again as .docx and try again."
    )


def _open(data: bytes, name: str):
    """The python-docx Document, or the DocumentError that says what the file is."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes). Nothing was ingested.")
    if data.startswith(_OLE):
        raise _unsupported(name, "an old binary Word file (.doc)")
    if data.lstrip().startswith(b"{\\rtf"):
        raise _unsupported(name, "a Rich Text Format file (.rtf)")
    not_word = (
        f"{name}: this is not a Word document (a .docx is a zip archive holding word/document.xml). "
        "Save it from Word or LibreOffice as .docx and try again."
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
            raise _unsupported(name, "an OpenDocument file (.odt)")
        unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentError(not_word) from exc
    except UnsupportedFileType:
        raise
    except Exception as exc:  # a damaged zip: unsupported compression, bad headers, truncated members
        raise _damaged(name, exc) from exc
    if unpacked > MAX_UNPACKED_MB * 1024 * 1024:
        raise DocumentError(
            f"{name}: the document unpacks to {unpacked // (1024 * 1024)} MB, more than {MAX_UNPACKED_MB} MB. "
            "Remove large images or embedded files and try again."
        )
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, ValueError, KeyError) as exc:  # no package, or another Office file's package
        raise DocumentError(not_word) from exc
    except Exception as exc:  # damaged XML or zip members surface as many exception types
        raise _damaged(name, exc) from exc


def load_docx(data: bytes, name: str) -> LoadedText:
    document = _open(data, name)
    try:
        blocks = _Reader(document).blocks(document.element.body)
    except Exception as exc:  # a package python-docx opens but whose parts break the reading
        raise _damaged(name, exc) from exc
    text = render(blocks)
    if not text.strip():
        raise EmptyDocument(
            f"{name}: the Word document has no text (headers and footers are not read). Nothing was ingested."
        )
    return LoadedText(pages=(PageText(number=None, text=text),), media_type=DOCX_MEDIA_TYPE)


def _val(element, path: str) -> str | None:
    found = element.find(path) if element is not None else None
    return found.get(f"{_W}val") if found is not None else None


_WRAPPERS = {f"{_W}{tag}" for tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo")}


def _children(element, tag: str):
    """The element's children with this tag, looking inside content controls and inserted revisions."""
    for child in element:
        if child.tag == f"{_W}{tag}":
            yield child
        elif child.tag in _WRAPPERS:
            yield from _children(child, tag)


class _Reader:
    """Reads the body once: styles and numbering looked up, list counters kept."""

    def __init__(self, document):
        self.styles = {s.get(f"{_W}styleId"): s for s in document.styles.element.findall(f"{_W}style")}
        self.default_style = next(
            (sid for sid, s in self.styles.items() if s.get(f"{_W}default") in ("1", "true") and
             s.get(f"{_W}type") == "paragraph"), None,
        )  # fmt: skip
        self.numbering = document.part.numbering_part.element
        self.counters: dict[str, list[int]] = {}

    def blocks(self, container) -> list[Block]:
        out: list[Block] = []
        for child in container:
            if child.tag == f"{_W}p":
                out.extend(self._paragraph(child))
            elif child.tag == f"{_W}tbl":
                out.extend(self._table(child))
            elif child.tag in _WRAPPERS:
                out.extend(self.blocks(child))  # content controls (a cover page, a table of contents)
        return out

    def _paragraph(self, p) -> list[Block]:
        parts, boxes = self._runs(p)
        style = _val(p, f"{_W}pPr/{_W}pStyle") or self.default_style
        text = "".join(parts)
        if not _TOC_NAME.match(self._name(style)):
            text = text.replace("\t", " ")  # a tab aligns words; only a table of contents' tabs divide cells
        blocks: list[Block] = []
        if text.strip():
            level = self._heading_level(p, style)
            marker = None if level else self._list_marker(p, style)
            if level:
                blocks.append(Block("heading", text=text, level=level))
            elif marker:
                blocks.append(Block("item", text=text, marker=marker))
            else:
                blocks.append(Block("paragraph", text=text))
        for box in boxes:
            blocks.extend(self.blocks(box))
        return blocks

    def _runs(self, p) -> tuple[list[str], list]:
        """The paragraph's own text, and the text boxes anchored in it (read after it)."""
        parts: list[str] = []
        boxes = []
        stack = list(reversed(p))
        while stack:
            element = stack.pop()
            tag = element.tag
            if tag in _SKIPPED or not isinstance(tag, str):
                continue
            if tag == _TEXT_BOX:
                boxes.append(element)
            elif tag == f"{_W}t":
                raised = _val(element.getparent(), f"{_W}rPr/{_W}vertAlign") == "superscript"
                parts.append(
                    superscript(element.text or "") if raised and (element.text or "").strip() else element.text or ""
                )
            elif tag in _CHARS:
                parts.append(_CHARS[tag])
            else:
                stack.extend(reversed(element))
        return parts, boxes

    def _table(self, tbl) -> list[Block]:
        rows = []
        for tr in _children(tbl, "tr"):  # a nested table's rows are read as part of their cell
            rows.append([" ".join(block.plain() for block in self.blocks(tc)) for tc in _children(tr, "tc")])
        return table_blocks(rows)

    # -- styles and numbering ------------------------------------------------

    def _style_chain(self, style_id: str | None):
        seen = set()
        while style_id and style_id in self.styles and style_id not in seen:
            seen.add(style_id)
            yield self.styles[style_id]
            style_id = _val(self.styles[style_id], f"{_W}basedOn")

    def _name(self, style_id: str | None) -> str:
        style = self.styles.get(style_id) if style_id else None
        return (_val(style, f"{_W}name") or "") if style is not None else ""

    def _heading_level(self, p, style_id: str | None) -> int:
        level = _val(p, f"{_W}pPr/{_W}outlineLvl")
        if level is None:
            for style in self._style_chain(style_id):
                name = _val(style, f"{_W}name") or ""
                if match := _HEADING_NAME.match(name):
                    return int(match.group(1))
                if name.lower() == "title":
                    return 1
                level = _val(style, f"{_W}pPr/{_W}outlineLvl")
                if level is not None:
                    break
        # Outline level 9 is body text.
        return int(level) + 1 if level is not None and level.isdigit() and int(level) < 9 else 0

    def _list_marker(self, p, style_id: str | None) -> str | None:
        num_id, ilvl = _val(p, f"{_W}pPr/{_W}numPr/{_W}numId"), _val(p, f"{_W}pPr/{_W}numPr/{_W}ilvl")
        for style in self._style_chain(style_id):
            if num_id is not None:
                break
            num_id = _val(style, f"{_W}pPr/{_W}numPr/{_W}numId")
            ilvl = ilvl or _val(style, f"{_W}pPr/{_W}numPr/{_W}ilvl")
        if num_id in (None, "0"):
            return None
        level = int(ilvl) if ilvl and ilvl.isdigit() else 0
        fmt, start = self._format(num_id, level)
        if fmt == "none":
            return None
        counts = self.counters.setdefault(num_id, [])
        del counts[level + 1 :]  # a higher-level item restarts the levels below it
        while len(counts) <= level:
            counts.append(start - 1)
        counts[level] += 1
        return f"{counts[level]}." if fmt in ("decimal", "decimalZero") else BULLET

    def _format(self, num_id: str, level: int) -> tuple[str, int]:
        """(numFmt, start) of a list's level: "bullet", "decimal", "lowerLetter", ..."""
        num = next((n for n in self.numbering.findall(f"{_W}num") if n.get(f"{_W}numId") == num_id), None)
        if num is None:
            return "bullet", 1
        abstract_id = _val(num, f"{_W}abstractNumId")
        lvl = None
        for override in num.findall(f"{_W}lvlOverride"):
            if override.get(f"{_W}ilvl") == str(level) and override.find(f"{_W}lvl") is not None:
                lvl = override.find(f"{_W}lvl")
        for abstract in self.numbering.findall(f"{_W}abstractNum"):
            if lvl is None and abstract.get(f"{_W}abstractNumId") == abstract_id:
                lvl = next((x for x in abstract.findall(f"{_W}lvl") if x.get(f"{_W}ilvl") == str(level)), None)
        if lvl is None:
            return "bullet", 1
        start = _val(lvl, f"{_W}start")
        return _val(lvl, f"{_W}numFmt") or "decimal", int(start) if start and start.isdigit() else 1
