"""Loaders: every real-world PDF in ../shared/pdfs has one pinned outcome, and
text files load (or are refused) with a sentence that says what to do."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from ingest.loaders import load_bytes, load_path
from planchat.config import REPO_ROOT
from planchat.errors import (
    DocumentError,
    EmptyDocument,
    EncryptedDocument,
    NoTextLayer,
    UnsupportedFileType,
)
from planchat.records import LoadedText, PageText

SHARED_PDFS = REPO_ROOT.parent / "shared" / "pdfs"


@cache
def load_shared(name: str) -> LoadedText:
    """Each shared PDF is loaded once per module (GeoTopo takes seconds)."""
    return load_bytes((SHARED_PDFS / name).read_bytes(), name)


# file name -> (pages, a word the extracted text must contain)
LOADS = {
    "pp-federal-register-2020-17221.pdf": (15, "Airworthiness"),
    "pp-issue-848.pdf": (8, "Murphy"),  # junk before %PDF and a bad startxref: recovered
    "pp-nics-background-checks-2015-11.pdf": (1, "Alabama"),
    "sf-009-GeoTopo-komprimiert.pdf": (117, "Topologie"),
    "sf-015-habibi-rotated.pdf": (4, "habibi"),
    "sf-015-habibi.pdf": (1, "habibi"),
    "sf-026-multicolumn.pdf": (3, "Lorem"),
}

# file name -> (exact error class, message pattern)
REFUSED = {
    "pp-empty.pdf": (EmptyDocument, r"^pp-empty\.pdf: the file is empty \(0 bytes\)\. Nothing was ingested\.$"),
    "pp-password-example.pdf": (
        EncryptedDocument,
        r"^pp-password-example\.pdf: the PDF is encrypted with a password\. Remove the password",
    ),
    "sf-005-libreoffice-writer-password.pdf": (
        EncryptedDocument,
        r"^sf-005-libreoffice-writer-password\.pdf: the PDF is encrypted with a password\. Remove the password",
    ),
    "sf-007-imagemagick-CCITTFaxDecode.pdf": (
        NoTextLayer,
        r"the PDF has no text layer \(1 page\(s\), 0 characters; scanned\?\)\. Run OCR first or upload the text\.$",
    ),
    "sf-019-grayscale-image.pdf": (
        NoTextLayer,
        r"the PDF has no text layer \(1 page\(s\), 0 characters; scanned\?\)\. Run OCR first or upload the text\.$",
    ),
    "sf-017-unreadablemetadata.pdf": (
        DocumentError,
        r"^sf-017-unreadablemetadata\.pdf: the PDF is damaged and cannot be read \(Invalid object in /Pages\)\. "
        r"Re-export it and try again\.$",
    ),
}


def test_the_table_covers_every_shared_pdf(shared_pdfs):
    assert sorted(p.name for p in shared_pdfs.glob("*.pdf")) == sorted(LOADS | REFUSED)


@pytest.mark.parametrize("name", sorted(LOADS))
def test_pdf_loads(shared_pdfs, name):
    pages, word = LOADS[name]
    loaded = load_shared(name)
    assert loaded.media_type == "application/pdf"
    assert [p.number for p in loaded.pages] == list(range(1, pages + 1))
    assert word in "\n".join(p.text for p in loaded.pages)
    assert all(p.text.strip() for p in loaded.pages)  # no page of these lacks a text layer


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_pdf_refused_with_a_domain_error(shared_pdfs, name):
    error, message = REFUSED[name]
    with pytest.raises(DocumentError, match=message) as caught:
        load_bytes((shared_pdfs / name).read_bytes(), name)
    # The exact class decides the API's error code (encrypted_pdf, no_text_layer, ...).
    assert type(caught.value) is error
    assert (
        caught.value.code
        == {
            EmptyDocument: "empty_document",
            EncryptedDocument: "encrypted_pdf",
            NoTextLayer: "no_text_layer",
            DocumentError: "bad_document",
        }[error]
    )


def test_printed_page_labels_are_kept(shared_pdfs):
    loaded = load_shared("sf-009-GeoTopo-komprimiert.pdf")
    assert [p.label for p in loaded.pages[:5]] == ["i", "ii", "iii", "1", "2"]


def test_pdf_without_labels_has_none(shared_pdfs):
    loaded = load_shared("sf-026-multicolumn.pdf")
    assert [p.label for p in loaded.pages] == [None, None, None]


def test_loader_keeps_ligatures_for_the_cleaner(shared_pdfs):
    # NFKC is clean's job; the loader returns what the PDF says.
    loaded = load_shared("sf-009-GeoTopo-komprimiert.pdf")
    assert "Auﬂage" in loaded.pages[0].text


# -- layout: table rows and columns (ingest/pdf_layout.py) ---------------------

NICS = "pp-nics-background-checks-2015-11.pdf"


def nics_rows(shared_pdfs) -> list[str]:
    return load_shared(NICS).pages[0].text.split("\n")


def test_table_rows_keep_their_cells_in_order(shared_pdfs):
    rows = nics_rows(shared_pdfs)
    assert rows[1].split("\t") == [
        "Alabama", "18,870", "23,022", "22,650", "859", "1,178", "0", "14", "15", "0", "2,179", "2,307", "11",
        "0", "0", "0", "13", "14", "0", "3", "2", "0", "71,137",
    ]  # fmt: skip
    assert rows[9] == "District of Columbia\t8\t54\t2" + "\t0" * 18 + "\t64"
    # The header no longer runs "Handgun" into "Long Gun"; "*Other**MultipleAdmin"
    # is one run of characters in both of pypdf's extractions and stays so.
    assert rows[0].split("\t")[:6] == [
        "State / Territory",
        "Permit",
        "Handgun",
        "Long Gun",
        "*Other**MultipleAdmin",
        "Handgun",
    ]
    assert sum(1 for row in rows if "\t" in row) == 57  # header, 55 states and territories, totals


def test_figures_plain_extraction_separates_stay_separate(shared_pdfs):
    # Layout extraction alone runs "1,957", "121", "8", "9" together; "02,2481,135"
    # is one run of characters in the PDF itself (character spacing), in both.
    florida = next(row for row in nics_rows(shared_pdfs) if row.startswith("Florida"))
    assert florida.split("\t")[:10] == [
        "Florida",
        "15,907",
        "50,796",
        "28,981",
        "2,268",
        "1,957",
        "121",
        "8",
        "9",
        "02,2481,135",
    ]


def test_a_small_table_under_two_columns_gets_its_cells(shared_pdfs):
    page = load_shared("sf-026-multicolumn.pdf").pages[2].text.split("\n")
    assert page[1:7] == [
        "Country\tPopulation (millions)\tArea (km2)\tCapital\tOﬃcial Language",
        "Austria\t8.9\t83,879\tVienna\tGerman",
        "Belgium\t11.5\t30,689\tBrussels\tDutch, French, German",
        "Czech Republic\t10.7\t78,866\tPrague\tCzech",
        "Denmark\t5.8\t42,951\tCopenhagen\tDanish",
        "Finland\t5.5\t338,424\tHelsinki\tFinnish, Swedish",
    ]


@pytest.mark.parametrize(
    "name, changed",
    [
        # Plain extraction already reads these columns in order: nothing to change.
        ("pp-federal-register-2020-17221.pdf", set()),
        ("sf-026-multicolumn.pdf", {3}),  # only the page with the table
        ("pp-issue-848.pdf", set()),
    ],
)
def test_only_pages_with_a_structure_change(shared_pdfs, name, changed):
    from pypdf import PdfReader

    plain = [page.extract_text() for page in PdfReader(shared_pdfs / name).pages]
    loaded = load_shared(name)
    assert {p.number for p, text in zip(loaded.pages, plain) if p.text != text} == changed


def test_a_table_of_contents_with_dot_leaders_is_a_table(shared_pdfs):
    pages = load_shared("sf-009-GeoTopo-komprimiert.pdf").pages
    assert pages[3].text.split("\n")[:2] == ["Inhaltsverzeichnis", "1\tTopologische Grundbegriﬀe\t2"]
    assert "1.3\tStetigkeit . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . . .\t9" in (
        pages[3].text.split("\n")
    )


def test_text_that_is_not_a_pdf_is_refused():
    with pytest.raises(
        DocumentError, match=r"^plan\.pdf: this is not a PDF \(no %PDF header\)\. Upload a PDF, \.txt or \.md file\.$"
    ):
        load_bytes(b"Beskaeftigelsesplan 2024\n", "plan.pdf")


# -- text files -------------------------------------------------------------


def test_txt_loads_as_one_unnumbered_page():
    assert load_bytes(b"Ledigheden faldt i 2023.\n", "plan.txt") == LoadedText(
        pages=(PageText(number=None, text="Ledigheden faldt i 2023.\n"),), media_type="text/plain"
    )


@pytest.mark.parametrize("name", ["plan.md", "plan.markdown", "PLAN.MD"])
def test_markdown_loads_as_markdown(name):
    assert load_bytes(b"# Plan\n\nTekst.", name) == LoadedText(
        pages=(PageText(number=None, text="# Plan\n\nTekst."),), media_type="text/markdown"
    )


def test_upper_case_extension_is_accepted():
    assert load_bytes(b"Tekst", "PLAN.TXT").pages[0].text == "Tekst"


def test_utf8_bom_is_dropped():
    assert load_bytes(b"\xef\xbb\xbfM\xc3\xa5l for \xc3\xa6ldre", "plan.txt").pages[0].text == "Mål for ældre"


def test_cp1252_fallback():
    data = "Arbejdsløshed – 7,5 % på Ærø".encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert load_bytes(data, "plan.txt").pages[0].text == "Arbejdsløshed – 7,5 % på Ærø"


def test_neither_utf8_nor_cp1252_is_refused():
    # 0x81 and 0x8d are undefined in Windows-1252.
    with pytest.raises(
        DocumentError,
        match=r"^plan\.txt: the file is neither UTF-8 nor Windows-1252 text\. Save it as UTF-8 and try again\.$",
    ):
        load_bytes(b"Ledighed \x81\x8d", "plan.txt")


def test_binary_with_nul_is_refused():
    with pytest.raises(
        DocumentError,
        match=r"^plan\.txt: this looks like a binary file, not text\. Upload a \.txt, \.md or \.pdf file\.$",
    ) as caught:
        load_bytes(b"PK\x03\x04\x00\x00word/document.xml", "plan.txt")
    assert type(caught.value) is DocumentError


def test_utf16_text_with_bom_loads():
    assert load_bytes("Mål for ledighed".encode("utf-16"), "plan.txt").pages[0].text == "Mål for ledighed"


@pytest.mark.parametrize("data", [b"", b"  \n\t\r\n", b"\xef\xbb\xbf"])
def test_empty_text_is_refused(data):
    with pytest.raises(EmptyDocument, match=r"^plan\.txt: the file is empty\. Nothing was ingested\.$"):
        load_bytes(data, "plan.txt")


@pytest.mark.parametrize(
    "name, shown",
    [("plan.xlsx", ".xlsx"), ("plan.TXT.exe", ".exe"), ("README", "(none)"), ("data.csv", ".csv")],
)
def test_unsupported_extension_is_refused(name, shown):
    with pytest.raises(
        UnsupportedFileType,
        match=rf"^{re.escape(name)}: files of type '{re.escape(shown)}' are not supported\. Use \.pdf, \.docx, \.html, \.txt or \.md\.$",
    ) as caught:
        load_bytes(b"hello", name)
    assert (caught.value.code, caught.value.status) == ("unsupported_file_type", 415)


def test_load_path_uses_the_file_name(tmp_path: Path):
    path = tmp_path / "noter.csv"
    path.write_bytes(b"a;b")
    with pytest.raises(UnsupportedFileType, match=r"^noter\.csv: files of type '\.csv'"):
        load_path(path)
