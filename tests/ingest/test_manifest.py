"""The corpus manifest: what a valid one gives, and the sentence each kind of
mistake produces (naming the entry and the field)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ingest.manifest import read_manifest
from planchat.errors import ManifestError
from planchat.records import DocumentMeta

ENTRY = {
    "id": "aby-2024",
    "file": "aby-2024.txt",
    "municipality": "Aby",
    "year": 2024,
    "title": "Beskæftigelsesplan 2024",
}


def corpus(tmp_path: Path, documents=None, *, raw: str | None = None, files=("aby-2024.txt",)) -> Path:
    for name in files:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Tekst.", encoding="utf-8")
    if raw is not None:
        (tmp_path / "manifest.json").write_text(raw, encoding="utf-8")
    elif documents is not None:
        (tmp_path / "manifest.json").write_text(json.dumps({"documents": documents}), encoding="utf-8")
    return tmp_path


def where(tmp_path: Path) -> str:
    return re.escape(str(tmp_path / "manifest.json"))


def test_valid_manifest(tmp_path):
    full = {
        **ENTRY,
        "id": "bby-2020-23",
        "file": "sub/bby.txt",
        "years": [2023, 2020, 2021, 2020],
        "kind": "regional guidance",
        "publisher": "Bby Kommune",
        "aliases": ["Bby By", "Bbyerne"],
        "seed": "ignored extra field",
    }
    root = corpus(tmp_path, [ENTRY, full], files=("aby-2024.txt", "sub/bby.txt"))
    assert read_manifest(root) == [
        (
            DocumentMeta(
                doc_id="aby-2024",
                municipality="Aby",
                year=2024,
                title="Beskæftigelsesplan 2024",
                kind="municipal plan",
                years=(2024,),
                publisher="",
                source="aby-2024.txt",
                aliases=(),
            ),
            root / "aby-2024.txt",
        ),
        (
            DocumentMeta(
                doc_id="bby-2020-23",
                municipality="Aby",
                year=2024,
                title="Beskæftigelsesplan 2024",
                kind="regional guidance",
                years=(2020, 2021, 2023, 2024),  # sorted, de-duplicated, and the main year added
                publisher="Bby Kommune",
                source="sub/bby.txt",
                aliases=("Bby By", "Bbyerne"),
            ),
            root / "sub/bby.txt",
        ),
    ]


def test_empty_document_list_is_valid(tmp_path):
    assert read_manifest(corpus(tmp_path, [])) == []


def test_the_seed_corpus_manifest_is_valid():
    from planchat.config import REPO_ROOT

    entries = read_manifest(REPO_ROOT / "corpus")
    assert [(m.doc_id, m.municipality, m.year, m.covered_years) for m, _ in entries] == [
        ("rebild-2022", "Rebild", 2022, (2022,)),
        ("fredericia-2023", "Fredericia", 2023, (2023,)),
        ("region-hovedstaden-sjaelland-2010", "Beskæftigelsesregion Hovedstaden & Sjælland", 2010, (2010, 2011)),
        ("jammerbugt-2014", "Jammerbugt", 2014, (2014,)),
        ("vejle-2020-23", "Vejle", 2022, (2020, 2021, 2022, 2023)),
    ]


def test_missing_manifest(tmp_path):
    with pytest.raises(
        ManifestError,
        match=rf"^{re.escape(str(tmp_path))} has no manifest\.json\. Add one listing each file with its id, "
        r"municipality, year and title\.$",
    ) as caught:
        read_manifest(tmp_path)
    assert (caught.value.code, caught.value.status) == ("bad_manifest", 400)


def test_bad_json(tmp_path):
    root = corpus(tmp_path, raw='{"documents": [{"id": "aby-2024",}]}')
    with pytest.raises(
        ManifestError,
        match=rf"^{where(tmp_path)} is not valid JSON: Expecting property name enclosed in double quotes: "
        r"line 1 column 34 \(char 33\)$",
    ):
        read_manifest(root)


@pytest.mark.parametrize("field", ["id", "file", "municipality", "year", "title"])
def test_missing_field_is_named(tmp_path, field):
    entry = {k: v for k, v in ENTRY.items() if k != field}
    root = corpus(tmp_path, [ENTRY | {"id": "first"}, entry])
    with pytest.raises(ManifestError, match=rf"^{where(tmp_path)}: field 'documents\.1\.{field}': Field required$"):
        read_manifest(root)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"year": 1800}, r"field 'documents\.0\.year': Input should be greater than or equal to 1990$"),
        ({"year": "next year"}, r"field 'documents\.0\.year': Input should be a valid integer"),
        ({"title": ""}, r"field 'documents\.0\.title': String should have at least 1 character$"),
        (
            {"id": "Aby 2024"},
            r"field 'documents\.0\.id': Value error, id must be 1-100 characters of a-z, 0-9, '\.', '_' or '-', "
            r"starting with a letter or digit$",
        ),
    ],
)
def test_invalid_field_is_named(tmp_path, change, message):
    with pytest.raises(ManifestError, match=message):
        read_manifest(corpus(tmp_path, [ENTRY | change]))


def test_duplicate_id(tmp_path):
    root = corpus(tmp_path, [ENTRY, ENTRY | {"title": "Anden plan"}])
    with pytest.raises(
        ManifestError, match=rf"^{where(tmp_path)}: document id 'aby-2024' appears twice; ids must be unique\.$"
    ):
        read_manifest(root)


def test_file_missing(tmp_path):
    root = corpus(tmp_path, [ENTRY | {"file": "bby-2024.txt"}])
    with pytest.raises(
        ManifestError,
        match=rf"^{where(tmp_path)}: document 'aby-2024' names file 'bby-2024\.txt', which does not exist\.$",
    ):
        read_manifest(root)


def test_a_directory_is_not_a_file(tmp_path):
    (tmp_path / "plans").mkdir()
    with pytest.raises(ManifestError, match=r"names file 'plans', which does not exist\.$"):
        read_manifest(corpus(tmp_path, [ENTRY | {"file": "plans"}]))


@pytest.mark.parametrize("path", ["../x.txt", "sub/../../x.txt", "/etc/passwd"])
def test_paths_outside_the_corpus_are_refused(tmp_path, path):
    root = tmp_path / "corpus"
    (tmp_path / "x.txt").write_text("Uden for korpusset.", encoding="utf-8")  # it exists: refused anyway
    corpus(root, [ENTRY | {"file": path}])
    with pytest.raises(
        ManifestError,
        match=rf"^{where(root)}: field 'documents\.0\.file': Value error, file must be a path inside the corpus "
        r"directory$",
    ):
        read_manifest(root)


def test_a_list_instead_of_an_object_names_documents(tmp_path):
    with pytest.raises(ManifestError, match=r"documents"):
        read_manifest(corpus(tmp_path, raw=json.dumps([ENTRY])))
