"""`planchat ingest FILE` takes a .docx and an .html page as it takes a PDF;
a legacy format exits 2 with its 415 message."""

from __future__ import annotations

import os

import pytest
from document_files import malformed
from expected_documents import DOCUMENT_OUTCOMES, FIXTURES

from planchat.cli import main
from planchat.config import REPO_ROOT


@pytest.fixture
def planchat(tmp_path, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("PLANCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLANCHAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLANCHAT_EMBEDDER", "hash")
    monkeypatch.setenv("PLANCHAT_CORPUS_DIR", str(REPO_ROOT / "corpus"))

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_ingest_a_word_document_and_a_web_page(planchat, tmp_path):
    code, out, _ = planchat("ingest", str(FIXTURES / "libreoffice-plan.docx"), "--municipality", "Odder",
                            "--year", "2025")  # fmt: skip
    assert (code, out) == (0, "added     odder-2025: 3 chunks (3 embedded), 0 targets\n")
    page = tmp_path / "plan.htm"
    page.write_bytes((FIXTURES / "jammerbugt-2014.html").read_bytes())
    code, out, _ = planchat("ingest", str(page), "--municipality", "Jammerbugt", "--year", "2015")
    assert (code, out.split(":")[0]) == (0, "added     jammerbugt-2015")
    code, out, _ = planchat("ask", "Hvor mange langtidsledige må der højst være i Odder i december 2025?")
    assert code == 0 and "Antallet af langtidsledige i Odder skal ned på 350 personer i december 2025." in out


@pytest.mark.parametrize("case", ["libreoffice-plan.doc", "libreoffice-plan.odt as plan.docx", "undecodable.html"])
def test_ingest_of_a_legacy_or_malformed_file_exits_2_with_its_message(planchat, tmp_path, case):
    name, data = malformed(case)
    path = tmp_path / name
    path.write_bytes(data)
    code, out, err = planchat("ingest", str(path), "--municipality", "Odder", "--year", "2025")
    assert (code, out, err) == (2, "", f"error: {DOCUMENT_OUTCOMES[case]['message']}\n")
