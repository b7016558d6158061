"""PDF page layout (ingest/pdf_layout.py): table rows get their cells and
interleaved columns are re-read in order, only where pypdf's layout text
shows the structure and the plain text agrees on the characters; every
other page keeps pypdf's plain text exactly."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from ingest.clean import clean
from ingest.loaders import load_bytes
from ingest.pdf_layout import arrange_page, row_cells


def pdf_bytes(lines: list[tuple[int, int, str]]) -> bytes:
    """A one-page PDF drawing each (x, y, text) in Helvetica 10 pt, in the
    order given (the content stream order is what plain extraction follows)."""
    stream = "".join(f"BT /F1 10 Tf {x} {y} Td ({text}) Tj ET\n" for x, y, text in lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


LEFT = [
    "Two columns drawn row by row",
    "Ledigheden i kommunen faldt i 2023,",
    "og den forventes at falde til 1.234",
    "personer i 2024. Det er målet for",
    "jobcentret, som skal nå det med en",
    "tidlig indsats for alle nye ledige.",
    "Flere unge skal i uddannelse eller",
]
RIGHT = [
    "",
    "job inden udgangen af planperioden.",
    "Sygedagpengeområdet er det andet",
    "fokusområde: varigheden af forløb",
    "skal ned med 56 dage i gennemsnit,",
    "og flere sygemeldte skal tilbage i",
    "arbejde gennem delvis raskmelding.",
]


def row_by_row_two_columns() -> bytes:
    """Two columns whose content stream goes across the page row by row,
    as some word processors write them, under a title that spans both."""
    lines = [(200, 730, "Beskæftigelsesplan med to spalter".encode("cp1252").decode("latin-1"))]
    for i, (left, right) in enumerate(zip(LEFT, RIGHT)):
        y = 700 - 14 * i
        lines.append((72, y, left.encode("cp1252").decode("latin-1")))
        if right:
            lines.append((320, y, right.encode("cp1252").decode("latin-1")))
    return pdf_bytes(lines)


# -- tables -------------------------------------------------------------------


def test_cells_split_at_wide_gaps_and_keep_single_spaces():
    assert row_cells("District of Columbia      8      54    2", "District of Columbia 8 54 2") == [
        "District of Columbia",
        "8",
        "54",
        "2",
    ]
    # "98 452" is one cell in both extractions (a space as thousands separator).
    assert row_cells("California   98 452   41 181", "California 98 452 41 181") == ["California", "98 452", "41 181"]


def test_a_gap_only_plain_saw_between_two_figures_separates_cells():
    # pypdf's layout text ran "1,957", "121", "8" and "9" together; plain kept the gaps.
    assert row_cells(
        "Florida     15,907     1,95712189     02,2481,135", "Florida 15,907 1,957 121 8 9 02,2481,135"
    ) == [
        "Florida",
        "15,907",
        "1,957",
        "121",
        "8",
        "9",
        "02,2481,135",
    ]


def test_a_dot_leader_stays_with_its_entry():
    assert row_cells("1.3    Stetigkeit    . . . . . . .    9", "1.3 Stetigkeit . . . . . . . 9") == [
        "1.3",
        "Stetigkeit . . . . . . .",
        "9",
    ]


LAYOUT_TABLE = """\
        Tabel 2  Ydelser

Ydelse            2013        2014      Ændring
Dagpenge         1.234       1.100         -134
Kontanthjælp       812         790          -22
Sygedagpenge       455         470           15

Kilde: Jobindsats."""
PLAIN_TABLE = """\
Tabel 2 Ydelser
Ydelse 2013 2014 Ændring
Dagpenge 1.234 1.100 -134
Kontanthjælp 812 790 -22
Sygedagpenge 455 470 15
Kilde: Jobindsats."""


def test_table_rows_become_tab_separated_and_other_lines_stay():
    assert arrange_page(PLAIN_TABLE, LAYOUT_TABLE) == (
        "Tabel 2 Ydelser\n"
        "Ydelse\t2013\t2014\tÆndring\n"
        "Dagpenge\t1.234\t1.100\t-134\n"
        "Kontanthjælp\t812\t790\t-22\n"
        "Sygedagpenge\t455\t470\t15\n"
        "Kilde: Jobindsats."
    )


def test_two_rows_of_figures_are_not_a_table():
    layout = "\n".join(LAYOUT_TABLE.split("\n")[:4])  # the header and "Dagpenge"
    plain = "\n".join(PLAIN_TABLE.split("\n")[:3])
    assert arrange_page(plain, layout) == plain


def test_a_row_the_plain_text_spells_differently_is_left_alone():
    plain = PLAIN_TABLE.replace("Dagpenge 1.234 1.100 -134", "Dagpenge 1.234 1.100 –134")
    assert "Dagpenge 1.234 1.100 –134" in arrange_page(plain, LAYOUT_TABLE).split("\n")


def test_justified_prose_is_not_a_table():
    # Wide gaps between words and a few years per line, but mostly words.
    layout = (
        "Ledigheden  i  kommunen  faldt  i  2023  og  2024,  og\n"
        "den  forventes  at  falde  til  1.200  i  2025  og\n"
        "til   1.100   i   2026   og   2027   ifølge   planen.\n"
    ) * 2
    plain = re.sub(" +", " ", layout)
    assert arrange_page(plain, layout) == plain


# -- columns ------------------------------------------------------------------


def test_interleaved_columns_are_read_down_each_column():
    data = row_by_row_two_columns()
    # Before: pypdf's plain text reads across the gutter, row by row.
    plain = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Ledigheden i kommunen faldt i 2023, job inden udgangen af planperioden." in plain
    # After: the left column, then the right; the sentence that wraps from the
    # foot of the left column to the head of the right one is whole.
    assert clean(load_bytes(data, "to-spalter.pdf")).text == (
        "Beskæftigelsesplan med to spalter\n"
        "Two columns drawn row by row\n"
        "Ledigheden i kommunen faldt i 2023, og den forventes at falde til 1.234 personer i 2024. Det er målet for "
        "jobcentret, som skal nå det med en tidlig indsats for alle nye ledige.\n"
        "Flere unge skal i uddannelse eller job inden udgangen af planperioden.\n"
        "Sygedagpengeområdet er det andet fokusområde: varigheden af forløb skal ned med 56 dage i gennemsnit, og "
        "flere sygemeldte skal tilbage i arbejde gennem delvis raskmelding."
    )


def test_columns_the_plain_text_already_reads_in_order_are_kept():
    layout = "\n".join(f"{left:<40}{right}" for left, right in zip(LEFT, RIGHT))
    plain = "\n".join(LEFT + RIGHT[1:])
    assert arrange_page(plain, layout) == plain
    # The same layout under a plain text that reads across is re-read.
    across = "\n".join(f"{left} {right}".strip() for left, right in zip(LEFT, RIGHT))
    assert arrange_page(across, layout) == "\n".join(LEFT + RIGHT[1:])


def test_a_two_column_list_of_labels_is_not_prose_columns():
    # A fact box read across row by row is already in the right order.
    keys = [
        "Kontaktperson:",
        "Telefonnummer:",
        "Mailadresse her:",
        "Adresse i byen:",
        "Åbningstid her:",
        "Ansvarlig enhed:",
    ]
    values = [
        "Hanne Jensen, jobcenterchef",
        "Telefon 70 10 20 30 hele dagen",
        "Jobcenter at kommune dk",
        "Rådhusgade 1 i Aby by",
        "Hverdage 9 til 15 og fredag",
        "Beskæftigelsesudvalget i Aby",
    ]
    layout = "\n".join(f"{k:<24}{v}" for k, v in zip(keys, values))
    plain = "\n".join(f"{k} {v}" for k, v in zip(keys, values))
    assert arrange_page(plain, layout) == plain


def test_a_single_column_page_is_kept():
    data = pdf_bytes([(72, 700 - 14 * i, line) for i, line in enumerate(["Ledigheden faldt.", "Flere er i job."] * 4)])
    assert load_bytes(data, "en-spalte.pdf").pages[0].text == PdfReader(io.BytesIO(data)).pages[0].extract_text()
