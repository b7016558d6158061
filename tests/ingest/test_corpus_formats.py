"""A corpus folder's manifest may list Word and HTML files (.docx, .html,
.htm) beside .txt, .md and .pdf; a legacy format stops the sync with its 415
message, like any other bad corpus file."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import make_settings
from document_files import word_plan
from expected_documents import FIXTURES

from ingest.index import PlanIndex
from planchat.errors import UnsupportedFileType


def entry(doc_id: str, file: str, municipality: str, year: int) -> dict:
    return {"id": doc_id, "file": file, "municipality": municipality, "year": year, "title": f"Plan {year}"}


def test_a_manifest_lists_word_and_html_files(tmp_path):
    corpus = tmp_path / "kommuner"
    corpus.mkdir()
    shutil.copy(FIXTURES / "libreoffice-plan.docx", corpus / "odder-2025.docx")
    shutil.copy(FIXTURES / "jammerbugt-2014.html", corpus / "jammerbugt-2014.htm")
    (corpus / "aarhus-2025.docx").write_bytes(word_plan())
    manifest = [entry("odder-2025", "odder-2025.docx", "Odder", 2025),
                entry("jammerbugt-2014", "jammerbugt-2014.htm", "Jammerbugt", 2014),
                entry("aarhus-2025", "aarhus-2025.docx", "Aarhus", 2025)]  # fmt: skip
    (corpus / "manifest.json").write_text(json.dumps({"documents": manifest}), encoding="utf-8")
    index = PlanIndex(make_settings(tmp_path / "data"))
    reports = index.sync_corpus(corpus)
    assert [(r.doc_id, r.status, r.pages) for r in reports] == [
        ("odder-2025", "added", None), ("jammerbugt-2014", "added", None), ("aarhus-2025", "added", None)]  # fmt: skip
    assert {d: index.documents[d].source for d in index.documents} == {
        "odder-2025": "kommuner/odder-2025.docx", "jammerbugt-2014": "kommuner/jammerbugt-2014.htm",
        "aarhus-2025": "kommuner/aarhus-2025.docx",
    }  # fmt: skip
    assert {r.managed_by for r in index.document_records()} == {"corpus"}
    odder = " ".join(c.text for c in index.docstore.chunks("odder-2025"))
    assert "Faktaboks: I 2024 var 1.250 borgere ledige i Odder." in odder and "Side" not in odder
    assert [r.status for r in index.sync_corpus(corpus)] == ["unchanged"] * 3


def test_a_legacy_file_in_a_manifest_stops_the_sync_with_what_to_do(tmp_path):
    corpus = tmp_path / "gamle"
    corpus.mkdir()
    shutil.copy(FIXTURES / "libreoffice-plan.rtf", corpus / "odder-2025.rtf")
    manifest = [entry("odder-2025", "odder-2025.rtf", "Odder", 2025)]
    (corpus / "manifest.json").write_text(json.dumps({"documents": manifest}), encoding="utf-8")
    index = PlanIndex(make_settings(tmp_path / "data"))
    with pytest.raises(UnsupportedFileType) as caught:
        index.sync_corpus(corpus)
    assert caught.value.message == (
        "odder-2025.rtf: a Rich Text Format file (.rtf) cannot be read. "
        "Open it in Word or LibreOffice, save it as .docx or PDF and upload that."
    )
    assert index.documents == {}
