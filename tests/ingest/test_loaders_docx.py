"""ingest/loaders_docx.py on real Word files: made by python-docx here (a text
box written the way Word writes one), exported by LibreOffice
(tests/fixtures/documents, bench/document_fixtures.py), and malformed ones.
Each has an exact outcome (tests/expected.py DOCUMENT_OUTCOMES)."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.shared import Pt
from expected_documents import DOCUMENT_OUTCOMES, FIXTURES

from ingest import loaders_docx
from ingest.clean import clean
from ingest.loaders import load_bytes
from ingest.outline import build_outline
from planchat.errors import DocumentError

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


def test_a_python_docx_plan_keeps_its_headings_lists_table_and_text_box():
    loaded = load_bytes(word_plan(), "plan.docx")
    assert loaded.media_type == DOCUMENT_OUTCOMES["python-docx"]["media_type"]
    assert [(p.number, p.label) for p in loaded.pages] == [(None, None)]
    assert loaded.pages[0].text == DOCUMENT_OUTCOMES["python-docx"]["loaded"]


def test_a_python_docx_plan_cleans_into_the_outline_it_shows():
    text = clean(load_bytes(word_plan(), "plan.docx"))
    expected = DOCUMENT_OUTCOMES["python-docx"]
    assert text.text == expected["clean"]
    outline = build_outline(text)
    assert [(h.title, h.level) for h in outline.headings] == expected["headings"]
    assert [[text.text[s:e] for s, e in block.items] for block in outline.lists] == expected["lists"]
    # Headers and footers are furniture: never read, never quoted.
    assert "Udkast" not in text.text and "Side 1 af 2" not in text.text


def test_a_libreoffice_export_keeps_its_structure_and_reads_its_text_frame_once():
    data = (FIXTURES / "libreoffice-plan.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # LibreOffice wrote the frame twice (shape + fallback)
        assert archive.read("word/document.xml").decode().count("Faktaboks: I 2024") == 2
        assert {"word/header1.xml", "word/footer1.xml"} <= set(archive.namelist())
    loaded = load_bytes(data, "libreoffice-plan.docx")
    expected = DOCUMENT_OUTCOMES["libreoffice-plan.docx"]
    assert loaded.media_type == expected["media_type"]
    text = clean(loaded)
    assert text.text == expected["clean"]
    outline = build_outline(text)
    assert [(h.title, h.level) for h in outline.headings] == expected["headings"]
    assert [[text.text[s:e] for s, e in block.items] for block in outline.lists] == expected["lists"]


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def malformed(case: str) -> tuple[str, bytes]:
    """(file name, bytes) of each malformed case in DOCUMENT_OUTCOMES."""
    if case.startswith("libreoffice-plan."):  # a real .doc/.odt/.rtf, under its own name or renamed .docx
        source, _, renamed = case.partition(" as ")
        return renamed or source, (FIXTURES / source).read_bytes()
    return {
        "empty.docx": ("empty.docx", b""),
        "zip-not-docx.docx": ("zip-not-docx.docx", _zip({"README.txt": b"Ikke et Word-dokument."})),
        "truncated.docx": ("truncated.docx", word_plan()[:4000]),
        "text-as.docx": ("text-as.docx", "Beskæftigelsesplan 2025\n".encode()),
        "only-header.docx": ("only-header.docx", _only_header()),
    }[case]


def _only_header() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Aarhus Kommune"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


REFUSED = [case for case, outcome in DOCUMENT_OUTCOMES.items() if "code" in outcome and ".htm" not in case]
assert len(REFUSED) == 11


@pytest.mark.parametrize("case", REFUSED)
def test_a_malformed_or_unsupported_word_file_is_refused_with_what_to_do(case):
    name, data = malformed(case)
    expected = DOCUMENT_OUTCOMES[case]
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, name)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        expected["status"], expected["code"], expected["message"])  # fmt: skip


def test_a_zip_that_unpacks_past_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(loaders_docx, "MAX_UNPACKED_MB", 1)
    data = _zip({"word/document.xml": b"\0" * (2 * 1024 * 1024)})
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, "bombe.docx")
    assert caught.value.message == (
        "bombe.docx: the document unpacks to 2 MB, more than 1 MB. Remove large images or embedded files and try again."
    )
