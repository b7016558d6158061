"""OCR of scanned PDF pages (ingest/ocr.py): tesseract's TSV becomes the page's
text; a generated scanned Danish plan page is read with its exact text and
confidence; a mixed PDF gets OCR on its scanned page only, and its chunks
never mix OCR text with a text layer; a poor scan is warned about; without
tesseract (or with PLANCHAT_OCR=off) a scanned PDF is the 422 it was, with
why and what to install.

The pages are made by bench/scans.py (Pillow, DejaVu Serif). Tests that run
tesseract are skipped only where it is not installed (`make setup` installs
it, so CI runs them)."""

from __future__ import annotations

import pytest
import scans
from conftest import make_settings, requires_ocr
from expected import (
    LOW_CONFIDENCE,
    SCAN_CONFIDENCE,
    SCAN_OCR_TEXT,
    SCANNED_PDFS,
    no_ocr_message,
)

from ingest.clean import clean
from ingest.index import PlanIndex
from ingest.loaders import load_bytes
from ingest.ocr import PageOcr, parse_tsv
from ingest.pipeline import content_hash
from planchat.config import Settings
from planchat.errors import ConfigurationError, NoTextLayer, TooManyScannedPages
from planchat.records import DocumentMeta

HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def tsv(*rows: tuple) -> str:
    return "\n".join([HEADER, *("\t".join(map(str, row)) for row in rows)]) + "\n"


def word(block: int, par: int, line: int, n: int, conf: float, text: str) -> tuple:
    return (5, 1, block, par, line, n, 0, 0, 10, 10, conf, text)


def meta(doc_id: str) -> DocumentMeta:
    return DocumentMeta(doc_id=doc_id, municipality="Thisted", year=2025, title="Beskæftigelsesplan 2025")


# -- tesseract's TSV -> text (no tesseract needed) -------------------------------


def test_tsv_words_join_by_line_and_paragraph():
    page = parse_tsv(
        tsv(
            (1, 1, 0, 0, 0, 0, 0, 0, 2480, 3508, -1, ""),
            (2, 1, 1, 0, 0, 0, 0, 0, 600, 60, -1, ""),
            word(1, 1, 1, 1, 90.5, "3."),
            word(1, 1, 1, 2, 91.5, "Mål"),
            word(2, 1, 1, 1, 96.0, "Ledigheden"),
            word(2, 1, 1, 2, 94.0, "skal"),
            word(2, 1, 2, 1, 98.0, "falde."),
            word(2, 2, 1, 1, 80.0, "Næste"),
        )
    )
    assert page.text == "3. Mål\n\nLedigheden skal\nfalde.\n\nNæste"
    assert (page.words, page.confidence) == (6, round((90.5 + 91.5 + 96 + 94 + 98 + 80) / 6, 1))


def test_a_page_with_only_layout_rows_has_no_text():
    # sf-019's drawing: tesseract reports one "word" of a blank, confidence 95.
    page = parse_tsv(tsv((1, 1, 0, 0, 0, 0, 0, 0, 1013, 1407, -1, ""), word(1, 1, 1, 1, 95.0, " ")))
    assert (page.text, page.confidence, page.words) == ("", None, 0)


# -- without OCR: the 422 says why and what to install (no tesseract needed) ----------


@pytest.mark.parametrize("name", SCANNED_PDFS)
def test_without_tesseract_a_scanned_pdf_is_refused_with_the_install_hint(shared_pdfs, monkeypatch, tmp_path, name):
    monkeypatch.setenv("PATH", str(tmp_path))  # no tesseract, no pdftoppm
    with pytest.raises(NoTextLayer) as caught:
        load_bytes((shared_pdfs / name).read_bytes(), name, PageOcr())
    assert caught.value.message == no_ocr_message(name, "missing")


@pytest.mark.parametrize("name", SCANNED_PDFS)
def test_with_ocr_off_a_scanned_pdf_is_refused_saying_so(shared_pdfs, tmp_path, name):
    index = PlanIndex(make_settings(tmp_path, ocr="off"))
    with pytest.raises(NoTextLayer) as caught:
        index.ingest_bytes((shared_pdfs / name).read_bytes(), name, meta("scan"))
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        422, "no_text_layer", no_ocr_message(name, "off"))  # fmt: skip
    assert index.documents == {}


def test_an_unknown_ocr_mode_is_refused_at_start_up():
    with pytest.raises(
        ConfigurationError, match=r"^PLANCHAT_OCR='sometimes' is not an OCR mode; use one of auto, off\.$"
    ):
        Settings(ocr="sometimes")


def test_an_upload_without_tesseract_keeps_its_empty_page_and_says_what_to_install(monkeypatch, tmp_path):
    index = PlanIndex(make_settings(tmp_path / "data"))
    monkeypatch.setenv("PATH", str(tmp_path))
    report = index.ingest_bytes(scans.mixed_pdf(), "blandet.pdf", meta("thisted-2025"))
    assert (report.pages, report.empty_pages, report.ocr_pages, report.ocr_confidence) == (3, 1, 0, None)
    assert report.warnings == [
        "1 of 3 pages have no text layer (scanned?); they are not searchable. This server has no tesseract and "
        "pdftoppm. To read scanned pages at ingest, install Debian's tesseract-ocr tesseract-ocr-dan poppler-utils "
        "(`make ocr`) and upload it again."
    ]
    assert not any(c.ocr for c in index.docstore.chunks("thisted-2025"))


# -- with tesseract ------------------------------------------------------------------


@pytest.fixture(scope="module")
def scanned_page() -> bytes:
    return scans.scanned_pdf()


@pytest.fixture(scope="module")
def mixed() -> bytes:
    return scans.mixed_pdf()


@requires_ocr
def test_the_generated_scan_is_read_as_its_danish_text(scanned_page):
    loaded = load_bytes(scanned_page, "thisted-scan.pdf", PageOcr())
    (page,) = loaded.pages
    assert (page.number, page.ocr, page.confidence, page.text) == (1, True, SCAN_CONFIDENCE, SCAN_OCR_TEXT)
    # Every span of the clean text on that page is OCR text.
    text = clean(loaded)
    assert [(s.number, s.ocr) for s in text.pages] == [(1, True)]


@requires_ocr
def test_a_mixed_pdf_gets_ocr_on_its_scanned_page_only(mixed):
    with_ocr = load_bytes(mixed, "blandet.pdf", PageOcr())
    without = load_bytes(mixed, "blandet.pdf")
    assert [(p.number, p.ocr, p.confidence) for p in with_ocr.pages] == [
        (1, False, None), (2, True, SCAN_CONFIDENCE), (3, False, None)]  # fmt: skip
    assert [p.text for p in without.pages] == [with_ocr.pages[0].text, "", with_ocr.pages[2].text]
    assert with_ocr.pages[1].text == SCAN_OCR_TEXT


@requires_ocr
def test_a_mixed_pdf_ingests_with_ocr_chunks_apart(mixed, tmp_path):
    index = PlanIndex(make_settings(tmp_path))
    report = index.ingest_bytes(mixed, "blandet.pdf", meta("thisted-2025"))
    assert (report.pages, report.empty_pages, report.ocr_pages, report.ocr_confidence, report.warnings) == (
        3, 0, 1, SCAN_CONFIDENCE, [])  # fmt: skip
    chunks = index.docstore.chunks("thisted-2025")
    assert [(c.page, c.ocr, c.text.split("\n")[0]) for c in chunks] == [
        (1, False, "Beskæftigelsesplan 2025 for Thisted Kommune"),
        (2, True, "3. Langtidsledighed"),
        (2, True, "4. Unge uden uddannelse"),
        (3, False, "5. Virksomhedsservice"),
    ]
    clean_text = index.docstore.clean_text("thisted-2025")
    assert all(clean_text[c.start : c.end] == c.text for c in chunks)
    assert "145 personer i december 20235" in chunks[1].text


@requires_ocr
def test_a_poor_scan_is_ingested_with_a_warning(tmp_path):
    index = PlanIndex(make_settings(tmp_path))
    report = index.ingest_bytes(scans.scanned_pdf(scan=scans.Scan(noise=58.0)), "dårlig.pdf", meta("thisted-2025"))
    assert (report.ocr_pages, report.ocr_confidence) == (1, LOW_CONFIDENCE)
    assert report.warnings == [
        "page 1 was read by OCR with a low mean confidence (76 of 100, under 80): its text is likely to hold "
        "recognition errors. Check the scan, or upload the text."
    ]


@requires_ocr
def test_more_scanned_pages_than_the_cap_are_refused_before_any_is_read(shared_pdfs):
    two_scans = scans.merged(*((shared_pdfs / name).read_bytes() for name in SCANNED_PDFS))
    with pytest.raises(TooManyScannedPages) as caught:
        load_bytes(two_scans, "to-sider.pdf", PageOcr(max_pages=1))
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        422, "too_many_scanned_pages",
        "to-sider.pdf: 2 of its 2 pages have no text layer and would need OCR, more than this server reads for one "
        "document (PLANCHAT_OCR_MAX_PAGES=1; about 1.5 s a page). Upload the text, or ingest it where "
        "PLANCHAT_OCR_MAX_PAGES is higher.",
    )  # fmt: skip


@requires_ocr
def test_a_language_tesseract_lacks_is_named():
    assert PageOcr(language="dan+xyz").unavailable() == (
        "tesseract has no 'xyz' language data. To read scanned pages at ingest, install Debian's tesseract-ocr "
        "tesseract-ocr-dan poppler-utils (`make ocr`) and upload it again."
    )


@requires_ocr
def test_whether_ocr_can_run_is_part_of_a_pdfs_content_hash(tmp_path, scanned_page):
    auto, off = make_settings(tmp_path), make_settings(tmp_path, ocr="off")
    # A PDF stored while OCR could not run is read again once it can; a text file is not affected.
    assert content_hash(scanned_page, meta("a"), auto) != content_hash(scanned_page, meta("a"), off)
    assert content_hash(b"Tekst.", meta("a"), auto) == content_hash(b"Tekst.", meta("a"), off)


def test_a_giant_page_is_rendered_to_fit_not_at_300_dpi():
    ocr = PageOcr()
    assert ocr.resolution((595.0, 842.0)) == ["-r", "300"]  # A4
    assert ocr.resolution((1190.55, 1683.78)) == ["-r", "300"]  # A2: 7,016 pixels
    assert ocr.resolution((2383.94, 1683.78)) == ["-scale-to", "7016"]  # A1
    assert ocr.resolution((14400.0, 14400.0)) == ["-scale-to", "7016"]  # 200 inches: 60,000 pixels at 300 dpi
    assert ocr.resolution(None) == ["-r", "300"]


@requires_ocr
def test_a_page_100_inches_square_is_read_within_bounds(tmp_path):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=7200, height=7200)  # 30,000 pixels a side at 300 dpi; rendered at 7,016
    writer.write(tmp_path / "plakat.pdf")
    with pytest.raises(NoTextLayer, match="OCR found no text on its 1 page"):
        load_bytes((tmp_path / "plakat.pdf").read_bytes(), "plakat.pdf", PageOcr())
