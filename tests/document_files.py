"""The Word and HTML files the document tests use, made here with real tools:
python-docx (with a text box written the way Word writes one), zipfile, and
the committed fixtures in tests/fixtures/documents. Their outcomes are in
tests/expected_documents.py."""

from __future__ import annotations

import io
import re
import zipfile

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.shared import Pt
from expected_documents import FIXTURES

# A text box as Word 2010+ writes it: the shape (mc:Choice) and a VML copy for old readers (mc:Fallback).
TEXT_BOX = """<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"
 xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing>
<wp:anchor distT="0" distB="0" distL="114300" distR="114300" simplePos="0" relativeHeight="1" behindDoc="0"
 locked="0" layoutInCell="1" allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column">
<wp:posOffset>0</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph"><wp:posOffset>0</wp:posOffset>
</wp:positionV><wp:extent cx="2000000" cy="600000"/><wp:wrapSquare wrapText="bothSides"/>
<wp:docPr id="7" name="Tekstfelt 7"/><a:graphic><a:graphicData
 uri="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/>
<wps:spPr/><wps:txbx><w:txbxContent><w:p><w:r><w:t>Faktaboks: 2.140 borgere fik job i 2024.</w:t></w:r></w:p>
</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic></wp:anchor></w:drawing>
</mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r>
<w:t>Faktaboks: 2.140 borgere fik job i 2024.</w:t></w:r></w:p></w:txbxContent></v:textbox></v:shape></w:pict>
</mc:Fallback></mc:AlternateContent></w:r>"""


def word_plan() -> bytes:
    """A plan as a Word user writes it, made with python-docx."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "Aarhus Kommune · Udkast · Må ikke citeres"
    section.footer.paragraphs[0].text = "Side 1 af 2 · Beskæftigelsesforvaltningen"
    subheading = document.styles.add_style("Mellemrubrik", WD_STYLE_TYPE.PARAGRAPH)
    subheading.base_style = document.styles["Heading 2"]
    subheading.font.size = Pt(12)

    document.add_heading("Beskæftigelsesplan 2025", 0)
    document.add_heading("1. Indledning", 1)
    intro = document.add_paragraph("Planen sætter mål for R&D-samarbejdet og for <b>-mærkede indsatser.")
    intro._p.append(parse_xml(TEXT_BOX))
    goal = document.add_paragraph("Målet er 25 % færre langtidsledige i 2025.")
    goal.add_run("1").font.superscript = True  # a footnote mark typed as raised text
    document.add_paragraph("Indsatser for unge", style="Mellemrubrik")
    document.add_paragraph("Jobcentret vil:")
    for item in ["tilbyde alle unge en samtale inden for en uge", "samarbejde med erhvervsskolerne"]:
        document.add_paragraph(item, style="List Bullet")
    for step in ["Kortlægning af ledige", "Opfølgning hver tredje måned"]:
        document.add_paragraph(step, style="List Number")
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1)).text = "Indikator og status"
    table.cell(0, 2).text = "Mål 2025"
    for r, row in enumerate([["Langtidsledige", "410", "350"], ["Unge på ydelse", "120", "95"]], start=1):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    box = document.add_table(rows=1, cols=1)
    box.cell(0, 0).text = "Vidste du? Halvdelen af de ledige er over 50 år."
    document.add_paragraph("Tabellen viser\tstatus og mål.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def malformed_word(case: str) -> tuple[str, bytes]:
    """(file name, bytes) of each malformed case in DOCUMENT_OUTCOMES."""
    if case.startswith("libreoffice-plan."):  # a real .doc/.odt/.rtf, under its own name or renamed .docx
        source, _, renamed = case.partition(" as ")
        return renamed or source, (FIXTURES / source).read_bytes()
    return {
        "empty.docx": ("empty.docx", b""),
        "zip-not-docx.docx": ("zip-not-docx.docx", zip_of({"README.txt": b"Ikke et Word-dokument."})),
        "truncated.docx": ("truncated.docx", word_plan()[:4000]),
        "text-as.docx": ("text-as.docx", "Beskæftigelsesplan 2025\n".encode()),
        "only-header.docx": ("only-header.docx", _only_header()),
        "damaged.docx": ("damaged.docx", _unknown_compression(word_plan(), "word/document.xml")),
    }[case]


def _unknown_compression(data: bytes, member: str) -> bytes:
    """The zip with one member's compression method (local header and central directory) set to 99."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    out = bytearray(data)
    out[info.header_offset + 8 : info.header_offset + 10] = (99).to_bytes(2, "little")
    central = out.index(b"PK\x01\x02")
    while out[central + 46 : central + 46 + len(member)] != member.encode():
        central = out.index(b"PK\x01\x02", central + 4)
    out[central + 10 : central + 12] = (99).to_bytes(2, "little")
    return bytes(out)


def _only_header() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Aarhus Kommune"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def malformed_page(case: str) -> tuple[str, bytes]:
    return {
        "empty.html": ("empty.html", b""),
        "only-boilerplate.html": ("only-boilerplate.html", _only_boilerplate()),
        "binary.htm": ("binary.htm", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        "undecodable.html": ("undecodable.html", b"<p>Ledighed \x81\x8d</p>"),
    }[case]


def _only_boilerplate() -> bytes:
    page = (FIXTURES / "jammerbugt-2014.html").read_text(encoding="utf-8")
    return re.sub(r"(?s)<article.*</article>", "", page).encode()


def malformed(case: str) -> tuple[str, bytes]:
    """(file name, bytes) of a refused case of tests/expected_documents.py DOCUMENT_OUTCOMES."""
    return malformed_page(case) if ".htm" in case else malformed_word(case)
