"""Scanned pages made here: a Danish plan page rendered to pixels, turned a
little, speckled with noise, saved as JPEG inside a PDF with no text layer,
as a flatbed scanner or a fax-to-PDF service would leave it; and a mixed PDF
(text pages with one such scan between them).

Used by the OCR tests (tests/ingest/test_ocr.py, tests/api/test_ocr_api.py)
and bench/ocr.py. Needs Pillow (the dev extra) and Debian's fonts-dejavu-core
(``make ocr`` installs it with tesseract). Deterministic: the same arguments
give the same bytes with the same Pillow and libjpeg.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")
DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
MARGIN = 260

# A page of a fictional Thisted plan: each paragraph is one entry; a heading starts with "# ".
THISTED_PAGE = (
    "# 3. Langtidsledighed",
    "Jobcenter Thisted vil i 2025 nedbringe antallet af langtidsledige borgere. Målet er, at antallet af "
    "langtidsledige højst må være 145 personer i december 2025. Det svarer til et fald på 12 pct. i "
    "forhold til december 2023.",
    "Indsatsen sker gennem tæt kontakt med virksomhederne, flere samtaler med de ledige og målrettet "
    "opkvalificering. Særligt ledige over 50 år skal have hjælp til at finde job i lokalområdet, og "
    "jobcentret følger op på hver enkelt borger hver tredje måned.",
    "# 4. Unge uden uddannelse",
    "Andelen af unge under 30 år, der modtager uddannelseshjælp, skal falde. Jobcentret samarbejder med "
    "ungdomsuddannelserne og erhvervsskolerne om at få flere unge i gang med en uddannelse.",
)
THISTED_FIGURE = "145 personer"  # the target figure a question asks for
THISTED_PHRASE = "145 personer i december 2025"


@dataclass(frozen=True)
class Scan:
    """How a page is degraded: degrees of rotation, noise (standard deviation
    in grey levels), a blur radius in pixels, JPEG quality and font size in
    points. The defaults are an ordinary office scan."""

    rotation: float = 0.7
    noise: float = 18.0
    blur: float = 0.0
    quality: int = 60
    points: float = 11.0
    seed: int = 16


def page_text(paragraphs: tuple[str, ...] = THISTED_PAGE) -> str:
    """The page's source text as a reader would type it: paragraphs (and
    headings, without their '#') separated by blank lines. The character
    error rate of OCR is measured against this."""
    return "\n\n".join(p.removeprefix("# ") for p in paragraphs)


def _wrapped(draw, text: str, font, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def render_page(paragraphs: tuple[str, ...] = THISTED_PAGE, scan: Scan = Scan()):
    """The page as a greyscale Pillow image, degraded as ``scan`` says."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    size = round(scan.points * DPI / 72)
    body, head = ImageFont.truetype(str(FONT), size), ImageFont.truetype(str(BOLD), round(size * 1.3))
    image = Image.new("L", A4, 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for paragraph in paragraphs:
        heading = paragraph.startswith("# ")
        font = head if heading else body
        for line in _wrapped(draw, paragraph.removeprefix("# "), font, A4[0] - 2 * MARGIN):
            draw.text((MARGIN, y), line, font=font, fill=0)
            y += round(font.size * 1.45)
        y += round(size * 0.9)
    image = image.rotate(scan.rotation, resample=Image.Resampling.BICUBIC, fillcolor=255)
    if scan.blur:
        image = image.filter(ImageFilter.GaussianBlur(scan.blur))
    if scan.noise:
        rng = np.random.default_rng(scan.seed)
        pixels = np.asarray(image, dtype=np.float32) + rng.normal(0.0, scan.noise, (A4[1], A4[0]))
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return image


def scanned_pdf(paragraphs: tuple[str, ...] = THISTED_PAGE, scan: Scan = Scan()) -> bytes:
    """One A4 page holding only a JPEG image of the page (DCTDecode), no text layer."""
    out = io.BytesIO()
    render_page(paragraphs, scan).save(out, "PDF", resolution=DPI, quality=scan.quality)
    return out.getvalue()


TEXT_PAGES = (
    ("Beskæftigelsesplan 2025 for Thisted Kommune", "Planen beskriver de politiske mål for beskæftigelsesindsatsen."),
    ("5. Virksomhedsservice", "Jobcentret besøger 400 virksomheder om året og hjælper dem med at rekruttere."),
)


def _text_page(title: str, body: str) -> bytes:
    """A one-page PDF with a real text layer (Helvetica, WinAnsi: æ ø å included)."""
    stream = f"BT /F1 16 Tf 72 760 Td ({title}) Tj ET\nBT /F1 11 Tf 72 730 Td ({body}) Tj ET\n".encode("cp1252")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def merged(*parts: bytes) -> bytes:
    """The pages of the given PDFs, in order, as one PDF."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def mixed_pdf(scan: Scan = Scan()) -> bytes:
    """Three pages: a text page, the scanned Thisted page, a text page."""
    return merged(_text_page(*TEXT_PAGES[0]), scanned_pdf(scan=scan), _text_page(*TEXT_PAGES[1]))
