"""Loaders: bytes of a .txt, .md, .pdf, .docx or .html file -> LoadedText (pages of raw text).

Guarantees: a file either loads with some text or raises a DocumentError
subclass whose message says what is wrong and what to do. PDFs keep their
page numbers (and printed page labels where the PDF defines them); a PDF
page's text is pypdf's plain extraction, with table rows cell-separated by
tabs and interleaved columns re-read in order where the layout shows them
(ingest/pdf_layout.py). Word and HTML documents have their own loaders
(ingest/loaders_docx.py, loaders_html.py); .doc, .odt and .rtf are a 415
that says to save the file as .docx or PDF. Given an OCR engine (ingest/ocr.py), pages without
a text layer are read from their image instead, flagged ``ocr``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

from planchat.errors import (
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    NoTextLayer,
    UnsupportedFileType,
)
from planchat.records import LoadedText, PageText

from .loaders_docx import load_docx
from .loaders_html import load_html
from .ocr import PageOcr, no_text_message
from .pdf_layout import arrange_page

log = logging.getLogger(__name__)
# pypdf logs a warning for every font it cannot fully decode or xref it repairs:
# thousands of lines for one real-world upload (../shared/pdfs), in the server's
# log, for problems it recovers from. What a user must know is in the ingest
# report (empty pages, warnings) or the 4xx; raise it again to debug a file.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def _decode_text(data: bytes, name: str) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{name}: the file is neither UTF-8 nor Windows-1252 text. Save it as UTF-8 and try again.")


def load_text(data: bytes, name: str, media_type: str = "text/plain") -> LoadedText:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # UTF-16 with a byte-order mark (Notepad's "Unicode")
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{name}: the file claims to be UTF-16 but is not. Save it as UTF-8 and try again."
            ) from exc
    if b"\x00" in data[:4096]:
        raise DocumentError(f"{name}: this looks like a binary file, not text. Upload a .txt, .md or .pdf file.")
    text = _decode_text(data, name)
    if not text.strip():
        raise EmptyDocument(f"{name}: the file is empty. Nothing was ingested.")
    return LoadedText(pages=(PageText(number=None, text=text),), media_type=media_type)


def load_markdown(data: bytes, name: str) -> LoadedText:
    return load_text(data, name, media_type="text/markdown")


def load_pdf(data: bytes, name: str, ocr: PageOcr | None = None) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    if not data:
        raise EmptyDocument(f"{name}: the file is empty (0 bytes). Nothing was ingested.")
    if b"%PDF" not in data[:1024]:
        raise DocumentError(f"{name}: this is not a PDF (no %PDF header). Upload a PDF, .txt or .md file.")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An empty user password opens "protected" PDFs that only restrict printing/copying.
            try:
                opened = bool(reader.decrypt(""))
            except Exception:  # pypdf raises several kinds for unsupported crypto
                opened = False
            if not opened:
                raise EncryptedDocument(
                    f"{name}: the PDF is encrypted with a password. Remove the password (or export an "
                    "unprotected copy) and upload it again."
                )
        pages = []
        labels = _page_labels(reader)
        for index, page in enumerate(reader.pages):
            try:
                text = page.extract_text() or ""
            except FileNotDecryptedError:
                raise
            except Exception as exc:  # one broken page must not lose the rest
                log.warning("%s: page %d could not be read: %s", name, index + 1, exc)
                text = ""
            if text.strip():
                text = _arranged(page, text, name, index + 1)
            pages.append(PageText(number=index + 1, text=text, label=labels[index] if labels else None))
    except (EncryptedDocument, FileNotDecryptedError) as exc:
        raise EncryptedDocument(
            f"{name}: the PDF is encrypted with a password. Remove the password (or export an unprotected copy) "
            "and upload it again."
        ) from exc
    except PdfReadError as exc:
        raise DocumentError(
            f"{name}: the PDF is damaged and cannot be read ({exc}). Re-export it and try again."
        ) from exc
    except DocumentError:
        raise
    except Exception as exc:  # pypdf surfaces broken files as many exception types
        raise DocumentError(
            f"{name}: the PDF is damaged and cannot be read ({type(exc).__name__}: {exc}). Re-export it and try again."
        ) from exc
    if not pages:
        raise EmptyDocument(f"{name}: the PDF has no pages. Nothing was ingested.")
    if ocr is not None:
        pages = ocr.read_empty_pages(pages, data, name)
    if not any(p.text.strip() for p in pages):
        raise NoTextLayer(no_text_message(name, pages, ocr))
    return LoadedText(pages=tuple(pages), media_type="application/pdf")


def _arranged(page, plain: str, name: str, number: int) -> str:
    """Table rows cell-separated and columns in reading order, where pypdf's
    layout extraction shows them (ingest/pdf_layout.py); else the plain text."""
    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception as exc:  # layout mode fails on some pages plain mode reads
        log.info("%s: page %d has no layout text (%s); keeping the plain text", name, number, exc)
        return plain
    return arrange_page(plain, layout)


def _page_labels(reader) -> list[str] | None:
    try:
        labels = list(reader.page_labels)
    except Exception:
        return None
    # pypdf invents "1", "2", ... when the PDF defines no labels; keep only real ones.
    if labels == [str(i + 1) for i in range(len(labels))]:
        return None
    return labels


LOADERS: dict[str, Callable[[bytes, str], LoadedText]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".pdf": load_pdf,
    ".docx": load_docx,  # ingest/loaders_docx.py
    ".html": load_html,  # ingest/loaders_html.py
    ".htm": load_html,
}
# Formats people bring that we do not read, with what to do instead (a 415).
CONVERT_FIRST = {
    ".doc": "an old binary Word file (.doc)",
    ".odt": "an OpenDocument text file (.odt)",
    ".rtf": "a Rich Text Format file (.rtf)",
}


def load_bytes(data: bytes, name: str, ocr: PageOcr | None = None) -> LoadedText:
    """Load by the file name's extension (``name`` is only ever used as a label).
    ``ocr`` reads a PDF's pages that have no text layer (None: they stay empty)."""
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":
        return load_pdf(data, name, ocr)
    loader = LOADERS.get(suffix)
    if suffix in CONVERT_FIRST:
        raise UnsupportedFileType(
            f"{name}: {CONVERT_FIRST[suffix]} cannot be read. Open it in Word or LibreOffice, "
            "save it as .docx or PDF and upload that."
        )
    if loader is None:
        raise UnsupportedFileType(
            f"{name}: files of type '{suffix or '(none)'}' are not supported. Use .pdf, .docx, .html, .txt or .md."
        )
    return loader(data, name)


def load_path(path: Path) -> LoadedText:
    return load_bytes(path.read_bytes(), path.name)
