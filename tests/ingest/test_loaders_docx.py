"""ingest/loaders_docx.py on real Word files: made by python-docx here (a text
box written the way Word writes one), exported by LibreOffice
(tests/fixtures/documents, bench/document_fixtures.py), and malformed ones.
The files are made in tests/document_files.py; each has an exact outcome
(tests/expected_documents.py)."""

from __future__ import annotations

import io
import zipfile

import pytest
from document_files import malformed_word, word_plan, zip_of
from expected_documents import DOCUMENT_OUTCOMES, FIXTURES

from ingest import loaders_docx
from ingest.clean import clean
from ingest.loaders import load_bytes
from ingest.outline import build_outline
from planchat.errors import DocumentError


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


REFUSED = [case for case, outcome in DOCUMENT_OUTCOMES.items() if "code" in outcome and ".htm" not in case]


@pytest.mark.parametrize("case", REFUSED)
def test_a_malformed_or_unsupported_word_file_is_refused_with_what_to_do(case):
    name, data = malformed_word(case)
    expected = DOCUMENT_OUTCOMES[case]
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, name)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        expected["status"], expected["code"], expected["message"])  # fmt: skip


def test_a_zip_that_unpacks_past_the_limit_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(loaders_docx, "MAX_UNPACKED_MB", 1)
    data = zip_of({"word/document.xml": b"\0" * (2 * 1024 * 1024)})
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, "bombe.docx")
    assert caught.value.message == (
        "bombe.docx: the document unpacks to 2 MB, more than 1 MB. Remove large images or embedded files and try again."
    )
