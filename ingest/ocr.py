"""OCR of scanned PDF pages: Debian's tesseract, Danish, on pages rendered by poppler's pdftoppm.

Only pages without a text layer are read (a mixed PDF keeps the text of its
other pages exactly). A page is rendered with ``pdftoppm -r 300 -gray
-jpeg`` and read with ``tesseract -l dan`` in TSV, one thread
(``OMP_THREAD_LIMIT=1``: about 1.5 s a page here, against 9-11 s with two
threads). The recognised words, joined line by line and paragraph by
paragraph, *are* the page's text from then on: it is cleaned, chunked,
stored and quoted verbatim like any text layer, and every quote from it is
a substring of it. Each OCR'd page carries the mean confidence of its words
(tesseract's 0-100), so the ingest report can warn about a poor scan instead
of indexing junk silently.

Without the programs (or with ``PLANCHAT_OCR=off``) nothing is read and
``unavailable`` says why, for the 422 of an all-scanned PDF.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from planchat.config import Settings
from planchat.errors import TooManyScannedPages
from planchat.records import PageText

log = logging.getLogger(__name__)
# The longest side a page is rendered at: A2 at 300 dpi. A PDF page may be 200 inches square
# (60,000 pixels a side at 300 dpi: 3.6 GB for pdftoppm, tens of GB for tesseract); a larger
# page is rendered to fit (a 10,000-pixel page already took tesseract 1 GB and 7 s).
MAX_SIDE_PX = 7016
PACKAGES = "tesseract-ocr tesseract-ocr-dan poppler-utils"
INSTALL_HINT = f"To read scanned pages at ingest, install Debian's {PACKAGES} (`make ocr`) and upload it again."


@dataclass(frozen=True)
class OcrPage:
    """What tesseract read on one page: its text and the mean confidence of
    its words (0-100; None when it found no word)."""

    text: str
    confidence: float | None
    words: int


def parse_tsv(tsv: str) -> OcrPage:
    """tesseract's TSV -> the page's text: words joined by spaces, lines by
    newlines, paragraphs and blocks by blank lines; the mean word confidence
    over the words kept (rows whose text is blank are layout, not words)."""
    paragraphs: list[list[list[str]]] = []
    confidences: list[float] = []
    where = None
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        block, par, line = cells[2], cells[3], cells[4]
        if where is None or where[:2] != (block, par):
            paragraphs.append([[]])
        elif where[2] != line:
            paragraphs[-1].append([])
        where = (block, par, line)
        paragraphs[-1][-1].append(cells[11].strip())
        confidences.append(float(cells[10]))
    text = "\n\n".join("\n".join(" ".join(words) for words in lines) for lines in paragraphs)
    mean = round(sum(confidences) / len(confidences), 1) if confidences else None
    return OcrPage(text=text, confidence=mean, words=len(confidences))


@cache
def _languages(tesseract: str) -> frozenset[str]:
    try:
        done = subprocess.run([tesseract, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:] if line.strip())


@cache
def _version(tesseract: str) -> str:
    try:
        done = subprocess.run([tesseract, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return (done.stdout or done.stderr).split("\n", 1)[0].strip()


@dataclass(frozen=True)
class PageOcr:
    """The OCR of scanned PDF pages, as the settings configure it."""

    enabled: bool = True
    language: str = "dan"
    dpi: int = 300
    max_pages: int = 50
    timeout_s: float = 30.0
    # Told (pages read, pages) after each OCR'd page, the text-layer pages counted as read: a job's progress.
    progress: Callable[[int, int], None] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> PageOcr:
        return cls(
            enabled=settings.ocr == "auto",
            language=settings.ocr_language,
            max_pages=settings.ocr_max_pages,
            timeout_s=settings.ocr_page_timeout_s,
        )

    def unavailable(self) -> str | None:
        """Why no page can be read here, as a sentence for the user; None when OCR can run."""
        if not self.enabled:
            return "OCR of scanned pages is switched off here (PLANCHAT_OCR=off)."
        tesseract, pdftoppm = shutil.which("tesseract"), shutil.which("pdftoppm")
        if tesseract is None or pdftoppm is None:
            missing = " and ".join(n for n, p in (("tesseract", tesseract), ("pdftoppm", pdftoppm)) if p is None)
            return f"This server has no {missing}. {INSTALL_HINT}"
        missing_langs = [lang for lang in self.language.split("+") if lang not in _languages(tesseract)]
        if missing_langs:
            return f"tesseract has no '{'+'.join(missing_langs)}' language data. {INSTALL_HINT}"
        return None

    def signature(self) -> str:
        """What decides the OCR text of a page: part of a PDF's content hash,
        so installing tesseract (or switching it off) re-reads stored PDFs."""
        if self.unavailable():
            return "ocr=none"
        return f"ocr={_version(shutil.which('tesseract') or '')};lang={self.language};dpi={self.dpi}"

    def resolution(self, size_pt: tuple[float, float] | None) -> list[str]:
        """pdftoppm's size arguments for a page of ``size_pt`` points: ``dpi``,
        or fit to MAX_SIDE_PX where that would be larger."""
        if size_pt and max(size_pt) / 72 * self.dpi > MAX_SIDE_PX:
            return ["-scale-to", str(MAX_SIDE_PX)]
        return ["-r", str(self.dpi)]

    def read_page(self, pdf: Path, number: int, workdir: Path, size_pt: tuple[float, float] | None = None) -> OcrPage:
        """Render page ``number`` (1-based, ``size_pt`` points) of the PDF file and read it."""
        prefix = workdir / f"page-{number}"
        subprocess.run(
            [shutil.which("pdftoppm") or "pdftoppm", *self.resolution(size_pt), "-gray", "-jpeg",
             "-f", str(number), "-l", str(number), "-singlefile", str(pdf), str(prefix)],
            check=True, capture_output=True, timeout=self.timeout_s,
        )  # fmt: skip
        image = prefix.with_suffix(".jpg")
        done = subprocess.run(
            [shutil.which("tesseract") or "tesseract", str(image), "stdout", "-l", self.language, "tsv"],
            check=True, capture_output=True, timeout=self.timeout_s,
            env={"OMP_THREAD_LIMIT": "1"},  # one thread: 1.5 s a page; two threads took 9-11 s here
        )  # fmt: skip
        image.unlink(missing_ok=True)
        return parse_tsv(done.stdout.decode("utf-8", errors="replace"))

    def read_empty_pages(self, pages: list[PageText], data: bytes, name: str) -> list[PageText]:
        """``pages`` with each page that has no text layer replaced by its
        OCR text (flagged ``ocr``, with its confidence). A page OCR finds no
        word on (or fails to read: logged) stays empty. Raises
        TooManyScannedPages over ``max_pages``, before reading any. A no-op
        when OCR is unavailable."""
        empty = [p.number for p in pages if not p.text.strip() and p.number is not None]
        if not empty or self.unavailable():
            return pages
        if len(empty) > self.max_pages:
            raise TooManyScannedPages(
                f"{name}: {len(empty)} of its {len(pages)} pages have no text layer and would need OCR, more than "
                f"this server reads for one document (PLANCHAT_OCR_MAX_PAGES={self.max_pages}; about 1.5 s a page). "
                "Upload the text, or ingest it where PLANCHAT_OCR_MAX_PAGES is higher."
            )
        read: dict[int, OcrPage] = {}
        sizes = page_sizes(data)
        with tempfile.TemporaryDirectory(prefix="planchat-ocr-") as tmp:
            pdf = Path(tmp) / "document.pdf"
            pdf.write_bytes(data)
            for done, number in enumerate(empty, start=len(pages) - len(empty) + 1):
                try:
                    read[number] = self.read_page(pdf, number, Path(tmp), sizes.get(number))
                except (OSError, subprocess.SubprocessError) as exc:  # the page stays empty; the report counts it
                    log.warning("%s: OCR could not read page %d: %s", name, number, exc)
                if self.progress is not None:
                    self.progress(done, len(pages))
        return [
            replace(p, text=read[p.number].text, ocr=True, confidence=read[p.number].confidence)
            if p.number in read and read[p.number].words
            else p
            for p in pages
        ]


def page_sizes(data: bytes) -> dict[int, tuple[float, float]]:
    """Each page's (width, height) in points, by 1-based number; {} if pypdf cannot tell."""
    import io

    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            reader.decrypt("")
        return {n: (float(p.mediabox.width), float(p.mediabox.height)) for n, p in enumerate(reader.pages, 1)}
    except Exception:  # pypdf already read this file once; a size it cannot give falls back to dpi
        return {}


def no_text_message(name: str, pages: list[PageText], ocr: PageOcr | None) -> str:
    """The 422 for a PDF with no text at all: why, and what to do."""
    if ocr is not None and ocr.unavailable() is None:
        return (
            f"{name}: the PDF has no text layer and OCR found no text on its {len(pages)} page(s) (a picture, or a "
            "scan too faint to read?). Upload the text instead."
        )
    message = (
        f"{name}: the PDF has no text layer ({len(pages)} page(s), 0 characters; scanned?). "
        "Run OCR first or upload the text."
    )
    return message if ocr is None else f"{message} {ocr.unavailable()}"
