"""Who manages a document (ingest/uploads.py + the document store's
``managed_by``): a corpus folder's documents belong to the corpus whatever
the folder is called; uploads belong to the API."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import make_settings

from ingest.index import PlanIndex
from ingest.uploads import delete_uploaded, managed_by, upload_meta
from planchat.errors import Conflict

PLAN = "# Plan for Aalborg\n\nAalborg Kommune vil nedbringe ledigheden til 300 personer i 2024.\n"


def write_corpus(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "aalborg.txt").write_text(PLAN, encoding="utf-8")
    entry = {"id": "aalborg-2024", "file": "aalborg.txt", "municipality": "Aalborg", "year": 2024, "title": "Plan"}
    (root / "manifest.json").write_text(json.dumps({"documents": [entry]}), encoding="utf-8")
    return root


@pytest.fixture
def index(tmp_path):
    index = PlanIndex(make_settings(tmp_path / "data"))
    index.sync_corpus(write_corpus(tmp_path / "plans"))  # a corpus folder not named "corpus"
    return index


def test_a_corpus_folder_with_another_name_is_still_the_corpus(index):
    assert index.documents["aalborg-2024"].source == "plans/aalborg.txt"
    assert managed_by(index, "aalborg-2024") == "corpus"
    message = r"^aalborg-2024: Aalborg 2024 comes from plans/aalborg\.txt \(plans/manifest\.json\); remove it there"
    with pytest.raises(Conflict, match=message):
        delete_uploaded(index, "aalborg-2024")
    with pytest.raises(Conflict, match=r"^aalborg-2024: Aalborg 2024 comes from plans/aalborg\.txt .*replace it there"):
        upload_meta(index, "new.txt", "Aalborg", 2024)
    assert sorted(index.documents) == ["aalborg-2024"]


def test_an_upload_is_managed_by_the_api_and_survives_a_sync(index, tmp_path):
    name, meta = upload_meta(index, "aarhus.txt", "Aarhus", 2024)
    index.ingest_bytes(PLAN.replace("Aalborg", "Aarhus").encode(), name, meta)
    assert (meta.doc_id, meta.source, managed_by(index, meta.doc_id)) == ("aarhus-2024", "upload/aarhus.txt", "upload")
    assert [r.status for r in index.sync_corpus(tmp_path / "plans")] == ["unchanged"]
    assert sorted(index.documents) == ["aalborg-2024", "aarhus-2024"]
    assert delete_uploaded(index, "aarhus-2024").status == "removed"


def test_a_store_made_before_managed_by_was_recorded_is_migrated(tmp_path):
    settings = make_settings(tmp_path / "data")
    index = PlanIndex(settings)
    index.sync_corpus(write_corpus(tmp_path / "corpus"))
    name, meta = upload_meta(index, "aarhus.txt", "Aarhus", 2024)
    index.ingest_bytes(PLAN.replace("Aalborg", "Aarhus").encode(), name, meta)
    index.close()
    db = sqlite3.connect(settings.docstore_path)
    db.execute("ALTER TABLE documents DROP COLUMN managed_by")
    db.commit()
    db.close()
    reopened = PlanIndex(settings)
    assert [(r.meta.doc_id, r.managed_by) for r in reopened.document_records()] == [
        ("aalborg-2024", "corpus"), ("aarhus-2024", "upload")]  # fmt: skip
