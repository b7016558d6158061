"""The plan index keeps the document store, Chroma and BM25 in step through
adds, updates and removals, repairs drift, and reopens without rebuilding.

Each test builds its own index in tmp_path with the hash embedder and real
embedded Chroma."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REAL_EMBEDDER, make_settings

from ingest.index import PlanIndex, dense_text
from ingest.stores.lexical import BM25Index, fingerprint
from planchat.danish import analyze
from planchat.errors import EncryptedDocument
from planchat.records import Chunk, DocumentMeta

A_TEXT = (
    "# Plan for Aby\n\nAby Kommune vil nedbringe ledigheden til 300 personer i 2024.\n\n"
    "# Unge i Aby\n\nFlere unge skal i uddannelse eller job.\n"
)
B_TEXT = "# Plan for Bby\n\nBby Kommune vil styrke indsatsen for sygemeldte borgere.\n"


def write_corpus(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    documents = []
    for doc_id, text in files.items():
        (root / f"{doc_id}.txt").write_text(text, encoding="utf-8")
        documents.append(
            {
                "id": doc_id,
                "file": f"{doc_id}.txt",
                "municipality": doc_id.upper(),
                "year": 2024,
                "title": f"Plan {doc_id}",
            }
        )
    (root / "manifest.json").write_text(json.dumps({"documents": documents}), encoding="utf-8")
    return root


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "data")


@pytest.fixture
def corpus_dir(tmp_path):
    return write_corpus(tmp_path / "corpus", {"a": A_TEXT, "b": B_TEXT})


@pytest.fixture
def index(settings, corpus_dir):
    index = PlanIndex(settings)
    index.sync_corpus(corpus_dir)
    return index


def ids_of(index: PlanIndex, doc_id: str) -> list[str]:
    return [c.chunk_id for c in index.docstore.chunks(doc_id)]


def assert_in_step(index: PlanIndex) -> set[str]:
    """The three stores hold exactly the same chunk ids, each once."""
    truth = [c.chunk_id for c in index.docstore.chunks()]
    assert len(truth) == len(set(truth))
    assert len(index.bm25.chunk_ids) == len(set(index.bm25.chunk_ids))
    assert index.vectors.count() == len(truth) == len(index.bm25.chunk_ids)
    assert index.vectors.ids() == set(truth) == set(index.bm25.chunk_ids) == index.docstore.chunk_ids()
    assert index.bm25.fingerprint == fingerprint(truth)
    assert sum(d.chunk_count for d in index.document_records()) == len(truth)
    return set(truth)


def statuses(reports) -> list[tuple[str, str, int, int]]:
    return [(r.doc_id, r.status, r.chunks, r.embedded) for r in reports]


# -- sync ------------------------------------------------------------------


def test_first_sync_adds_both(settings, corpus_dir):
    index = PlanIndex(settings)
    assert index.is_empty()
    reports = index.sync_corpus(corpus_dir)
    assert statuses(reports) == [("a", "added", 2, 2), ("b", "added", 1, 1)]
    a_clean = (
        "Plan for Aby\n\nAby Kommune vil nedbringe ledigheden til 300 personer i 2024.\n\n"
        "Unge i Aby\n\nFlere unge skal i uddannelse eller job."
    )
    assert index.docstore.clean_text("a") == a_clean
    assert [(r.pages, r.chars, r.warnings) for r in reports] == [(None, len(a_clean), []), (None, 70, [])]
    assert sorted(index.documents) == ["a", "b"]
    assert index.documents["a"].source == "corpus/a.txt"
    assert len(assert_in_step(index)) == 3
    assert [c.text for c in index.docstore.chunks("a")] == [
        "Plan for Aby\n\nAby Kommune vil nedbringe ledigheden til 300 personer i 2024.",
        "Unge i Aby\n\nFlere unge skal i uddannelse eller job.",
    ]


def test_second_sync_is_all_unchanged(index, corpus_dir):
    before = assert_in_step(index)
    reports = index.sync_corpus(corpus_dir)
    assert statuses(reports) == [("a", "unchanged", 2, 0), ("b", "unchanged", 1, 0)]
    assert assert_in_step(index) == before


def test_changed_file_is_updated_and_its_old_chunks_vanish(index, corpus_dir):
    first, old = ids_of(index, "a")
    write_corpus(corpus_dir, {"a": A_TEXT.replace("uddannelse eller job", "uddannelse"), "b": B_TEXT})

    reports = index.sync_corpus(corpus_dir)

    # Only the changed chunk needed the model; the other came from the cache.
    assert statuses(reports) == [("a", "updated", 2, 1), ("b", "unchanged", 1, 0)]
    now = assert_in_step(index)
    first_again, new = ids_of(index, "a")
    assert first_again == first
    assert new != old
    assert old not in now
    assert old not in index.vectors.ids()
    assert old not in index.bm25.chunk_ids
    assert old not in index.docstore.chunk_ids()
    assert index.chunk(old) is None
    assert index.chunk(new).text == "Unge i Aby\n\nFlere unge skal i uddannelse."
    assert "eller job" not in index.docstore.clean_text("a")


def test_changed_metadata_alone_is_an_update(index, corpus_dir):
    manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"][1]["title"] = "Ny titel"
    (corpus_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reports = index.sync_corpus(corpus_dir)
    # Same text, same chunk id, but the dense text holds the title: one new embedding.
    assert statuses(reports) == [("a", "unchanged", 2, 0), ("b", "updated", 1, 1)]
    assert index.documents["b"].title == "Ny titel"
    assert [c.title for c in index.docstore.chunks("b")] == ["Ny titel"]
    assert_in_step(index)


def test_entry_removed_from_the_manifest_is_removed(index, corpus_dir):
    gone = ids_of(index, "b")
    manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = manifest["documents"][:1]
    (corpus_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    reports = index.sync_corpus(corpus_dir)

    assert statuses(reports) == [("a", "unchanged", 2, 0), ("b", "removed", 1, 0)]
    now = assert_in_step(index)
    assert len(now) == 2 and not now & set(gone)
    assert index.docstore.chunks("b") == []
    assert index.docstore.document("b") is None
    assert "b" not in index.documents
    assert index.chunks_of({"b"}) == set()


def test_documents_from_elsewhere_survive_a_sync(index, corpus_dir):
    upload = DocumentMeta(doc_id="upload-1", municipality="Cby", year=2024, title="Upload", source="upload/c.txt")
    report = index.ingest_bytes(b"Cby vil have flere i fleksjob.", "c.txt", upload)
    assert (report.status, report.chunks) == ("added", 1)
    assert statuses(index.sync_corpus(corpus_dir)) == [("a", "unchanged", 2, 0), ("b", "unchanged", 1, 0)]
    assert sorted(index.documents) == ["a", "b", "upload-1"]
    assert len(assert_in_step(index)) == 4


def test_no_duplicate_ids_through_many_edits(index, corpus_dir):
    first = ids_of(index, "a")
    for text in (
        A_TEXT + "\nEt nyt afsnit.\n",
        A_TEXT.replace("300", "250"),
        A_TEXT.replace("# Unge", "## Unge"),
        A_TEXT,
    ):
        write_corpus(corpus_dir, {"a": text, "b": B_TEXT})
        assert statuses(index.sync_corpus(corpus_dir))[0][:2] == ("a", "updated")
        assert len(assert_in_step(index)) == len(ids_of(index, "a")) + 1
    # Back to the first text: the same ids as the first time.
    assert ids_of(index, "a") == first


def test_a_refused_file_leaves_the_index_untouched(index, shared_pdfs):
    before = assert_in_step(index)
    meta = DocumentMeta(doc_id="secret", municipality="Aby", year=2024, title="Hemmelig")
    data = (shared_pdfs / "pp-password-example.pdf").read_bytes()
    with pytest.raises(EncryptedDocument, match=r"^pp-password-example\.pdf: the PDF is encrypted"):
        index.ingest_bytes(data, "pp-password-example.pdf", meta)
    assert assert_in_step(index) == before
    assert "secret" not in index.documents


def test_a_pdf_keeps_its_pages(index, shared_pdfs):
    meta = DocumentMeta(doc_id="fr-2020", municipality="US", year=2020, title="Federal Register")
    data = (shared_pdfs / "pp-federal-register-2020-17221.pdf").read_bytes()
    report = index.ingest_bytes(data, "pp-federal-register-2020-17221.pdf", meta)
    assert (report.status, report.pages, report.warnings) == ("added", 15, [])
    pages = [c.page for c in index.docstore.chunks("fr-2020")]
    assert pages == sorted(pages) and pages[0] == 1 and pages[-1] == 15
    # Pages 8–10 hold a few hundred characters each: the chunk that starts on
    # page 8 runs over 9 and 10 (PIPELINE_VERSION 13: the all-caps headings of
    # the outline moved the chunk boundaries before it).
    assert set(pages) == set(range(1, 16)) - {9, 10}
    assert_in_step(index)


def test_a_pdf_whose_pages_repeat_is_ingested(index, shared_pdfs):
    meta = DocumentMeta(doc_id="habibi", municipality="Aby", year=2024, title="Habibi")
    data = (shared_pdfs / "sf-015-habibi-rotated.pdf").read_bytes()
    report = index.ingest_bytes(data, "sf-015-habibi-rotated.pdf", meta)
    assert (report.status, report.pages) == ("added", 4)


# -- repair ------------------------------------------------------------------


def test_check_consistency_on_a_healthy_index(index):
    assert index.check_consistency() == {"chunks": 3, "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True}


def test_check_consistency_removes_a_vector_inserted_by_hand(index):
    truth = assert_in_step(index)
    ghost = Chunk(
        chunk_id="ghost:0000:000000000000",
        doc_id="ghost",
        municipality="Aby",
        year=2024,
        title="Spøgelse",
        section="",
        page=None,
        start=0,
        end=5,
        text="Spøgelse",
    )
    index.vectors.upsert([ghost], index.embedder.embed_passages(["Spøgelse"]))
    assert index.vectors.count() == 4

    assert index.check_consistency() == {
        "chunks": 3,
        "extra_vectors": 1,
        "missing_vectors": 0,
        "bm25_ok": True,
        "repaired": True,
    }
    assert assert_in_step(index) == truth
    assert index.check_consistency() == {"chunks": 3, "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True}


def test_check_consistency_restores_a_deleted_vector_from_the_cache(index):
    query = index.embedder.embed_query("unge i uddannelse")
    before = index.vectors.query(query, 3)
    lost = ids_of(index, "a")[1]
    index.vectors.delete([lost])
    assert lost not in index.vectors.ids()
    misses = index.embedder.misses

    assert index.check_consistency() == {
        "chunks": 3,
        "extra_vectors": 0,
        "missing_vectors": 1,
        "bm25_ok": True,
        "repaired": True,
    }
    assert index.embedder.misses == misses  # re-added from the embedding cache, no model call
    assert_in_step(index)
    after = index.vectors.query(query, 3)
    assert [cid for cid, _ in after] == [cid for cid, _ in before]
    assert [s for _, s in after] == pytest.approx([s for _, s in before], abs=1e-6)


def test_check_consistency_rebuilds_a_stale_bm25(settings, index, corpus_dir):
    # A second process (here: a second PlanIndex on the same data dir) changes
    # the corpus; this one's BM25 is now stale.
    other = PlanIndex(settings)
    write_corpus(corpus_dir, {"a": A_TEXT, "b": B_TEXT.replace("sygemeldte", "ledige")})
    assert statuses(other.sync_corpus(corpus_dir)) == [("a", "unchanged", 2, 0), ("b", "updated", 1, 1)]

    assert index.check_consistency() == {
        "chunks": 3,
        "extra_vectors": 0,
        "missing_vectors": 0,
        "bm25_ok": False,
        "repaired": True,
    }
    assert_in_step(index)
    assert index.bm25.chunk_ids == other.bm25.chunk_ids


def search(index: PlanIndex, question: str):
    return (
        index.bm25.search(analyze(question), 3),
        [cid for cid, _ in index.vectors.query(index.embedder.embed_query(question), 3)],
    )


@pytest.mark.parametrize("damage", ["missing dir", "missing ids.json", "garbage ids.json", "garbage matrix"])
def test_reopening_repairs_a_damaged_bm25_dir(settings, index, damage):
    answer = search(index, "ledigheden 300 personer")
    assert answer[0][0][0] == ids_of(index, "a")[0]
    bm25_dir = settings.bm25_dir
    if damage == "missing dir":
        shutil.rmtree(bm25_dir)
    elif damage == "missing ids.json":
        (bm25_dir / "ids.json").unlink()
    elif damage == "garbage ids.json":
        (bm25_dir / "ids.json").write_text("{not json", encoding="utf-8")
    else:
        (bm25_dir / "bm25" / "data.csc.index.npy").write_bytes(b"\x93NUMPY garbage")

    reopened = PlanIndex(settings)

    assert_in_step(reopened)
    assert json.loads((bm25_dir / "ids.json").read_text(encoding="utf-8"))["fingerprint"] == reopened.bm25.fingerprint
    assert search(reopened, "ledigheden 300 personer") == answer
    assert reopened.check_consistency() == {"chunks": 3, "extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True}


def test_reopening_repairs_a_truncated_bm25_matrix(settings, index):
    answer = search(index, "ledigheden 300 personer")
    (settings.bm25_dir / "bm25" / "data.csc.index.npy").write_bytes(b"")
    reopened = PlanIndex(settings)
    assert search(reopened, "ledigheden 300 personer") == answer


def test_reopened_index_loads_bm25_without_rebuilding(settings, index):
    answer = search(index, "flere unge i uddannelse")
    assert answer[0][0][0] == ids_of(index, "a")[1]
    ids_file = settings.bm25_dir / "ids.json"
    saved = (settings.bm25_dir.stat().st_ino, ids_file.stat().st_ino, ids_file.stat().st_mtime_ns)

    reopened = PlanIndex(settings)

    # A rebuild would have swapped in a new directory and a new ids.json.
    assert (settings.bm25_dir.stat().st_ino, ids_file.stat().st_ino, ids_file.stat().st_mtime_ns) == saved
    assert reopened.bm25.fingerprint == index.bm25.fingerprint
    assert reopened.bm25.chunk_ids == index.bm25.chunk_ids
    assert sorted(reopened.documents) == ["a", "b"]
    assert search(reopened, "flere unge i uddannelse") == answer
    assert_in_step(reopened)


def test_dense_text_carries_where_the_chunk_comes_from(index):
    chunk = index.docstore.chunks("a")[1]
    assert dense_text(chunk) == "A: Plan a › Unge i Aby\nUnge i Aby\n\nFlere unge skal i uddannelse eller job."


# -- reloads: once per sync, at once for a single write ---------------------------

HEALTHY = {"extra_vectors": 0, "missing_vectors": 0, "bm25_ok": True}


@pytest.fixture
def reloads(monkeypatch):
    """One entry per PlanIndex.reload."""
    count: list[int] = []
    original = PlanIndex.reload

    def counting(self):
        count.append(1)
        original(self)

    monkeypatch.setattr(PlanIndex, "reload", counting)
    return count


@pytest.fixture
def analysed(monkeypatch):
    """The texts BM25 analyses."""
    import ingest.stores.lexical as lexical

    seen: list[str] = []
    monkeypatch.setattr(lexical, "analyze", lambda text, **kw: seen.append(text) or analyze(text, **kw))
    return seen


def test_a_sync_reloads_once_at_the_end(settings, corpus_dir, reloads):
    index = PlanIndex(settings)
    reloads.clear()
    assert statuses(index.sync_corpus(corpus_dir)) == [("a", "added", 2, 2), ("b", "added", 1, 1)]
    assert len(reloads) == 1
    assert len(assert_in_step(index)) == 3 and sorted(index.documents) == ["a", "b"]

    write_corpus(corpus_dir, {"a": A_TEXT.replace("300", "250"), "c": B_TEXT.replace("Bby", "Cby")})
    reports = index.sync_corpus(corpus_dir)
    assert statuses(reports) == [("a", "updated", 2, 1), ("c", "added", 1, 1), ("b", "removed", 1, 0)]
    assert len(reloads) == 2
    assert sorted(index.documents) == ["a", "c"] and len(assert_in_step(index)) == 3

    index.sync_corpus(corpus_dir)  # all unchanged: nothing to reload
    assert len(reloads) == 2


def test_a_single_upload_and_delete_are_visible_at_once(index, reloads):
    reloads.clear()
    meta = DocumentMeta(doc_id="c", municipality="Cby", year=2024, title="C", source="upload/c.txt")
    index.ingest_bytes(b"Cby vil have flere i fleksjob.", "c.txt", meta)
    assert len(reloads) == 1
    assert index.chunks_of({"c"}) == set(ids_of(index, "c")) and "c" in index.documents
    assert index.bm25.search(analyze("fleksjob"), 3)[0][0] == ids_of(index, "c")[0]
    index.delete("c")
    assert len(reloads) == 2 and "c" not in index.documents and index.chunks_of({"c"}) == set()
    assert not [cid for cid, _ in index.bm25.search(analyze("fleksjob"), 3) if cid.startswith("c:")]


def test_a_sync_that_fails_midway_shows_what_it_committed(settings, tmp_path):
    from planchat.errors import EmptyDocument

    corpus = write_corpus(tmp_path / "broken", {"a": A_TEXT, "e": "", "b": B_TEXT})
    index = PlanIndex(settings)
    with pytest.raises(EmptyDocument):
        index.sync_corpus(corpus)
    assert sorted(index.documents) == ["a"]
    assert len(assert_in_step(index)) == 2


def test_a_reload_after_an_upload_analyses_only_its_chunks(settings, index, analysed):
    meta = DocumentMeta(doc_id="c", municipality="Cby", year=2024, title="C", source="upload/c.txt")
    index.ingest_bytes(b"# Cby\n\nCby vil have flere i fleksjob.\n\n# Unge\n\nUnge i job.\n", "c.txt", meta)
    assert len(analysed) == len(ids_of(index, "c")) == 2
    # The same index as one built from scratch, which another process would load.
    reopened_scratch = BM25Index.build(index.docstore.chunks())
    for question in ("flere unge i job", "ledigheden 300 personer", "sygemeldte borgere"):
        assert index.bm25.search(analyze(question), 5) == reopened_scratch.search(analyze(question), 5)
    assert index.bm25.df == reopened_scratch.df


def test_a_reopened_index_reuses_the_saved_terms(settings, index, analysed):
    """A process that loaded BM25 from disk (and holds no terms) analyses only
    what is new on its first rebuild."""
    reopened = PlanIndex(settings)
    meta = DocumentMeta(doc_id="c", municipality="Cby", year=2024, title="C", source="upload/c.txt")
    reopened.ingest_bytes(b"Cby vil have flere i fleksjob.", "c.txt", meta)
    assert len(analysed) == 1
    assert_in_step(reopened)


def test_another_process_write_is_read_for_the_changed_document_only(settings, index, corpus_dir, monkeypatch):
    other = PlanIndex(settings)
    write_corpus(corpus_dir, {"a": A_TEXT, "b": B_TEXT.replace("sygemeldte", "ledige")})
    other.sync_corpus(corpus_dir)
    read: list = []
    original = index.docstore.chunks
    monkeypatch.setattr(index.docstore, "chunks", lambda doc_id=None: read.append(doc_id) or original(doc_id))

    assert index.refresh_if_stale()

    assert read == ["b"]
    assert dict(index.snapshot.chunks_by_id) == {c.chunk_id: c for c in original()}
    assert index.bm25.chunk_ids == [c.chunk_id for c in original()] == other.bm25.chunk_ids
    assert index.chunks_of({"b"}) == set(ids_of(index, "b"))
    assert index.chunk(ids_of(index, "b")[0]).text.endswith("ledige borgere.")


@pytest.mark.parametrize("docs", [set(), {"a"}, {"b"}, {"a", "b"}, {"a", "nowhere"}, {"nowhere"}])
def test_chunks_of_holds_exactly_the_documents_chunks(index, docs):
    assert index.chunks_of(docs) == {c.chunk_id for c in index.docstore.chunks() if c.doc_id in docs}


# -- start-up: the cheap check and when it is not enough ---------------------------


def test_a_healthy_start_up_does_not_list_every_vector(settings, index, monkeypatch):
    reopened = PlanIndex(settings)
    monkeypatch.setattr(reopened.vectors, "ids", lambda: pytest.fail("listed every vector"))
    assert reopened.check_consistency() == {"chunks": 3, **HEALTHY}


def test_every_vector_is_compared_when_the_last_write_left_its_vectors_unfinished(settings, index):
    """A docstore commit whose vector operations never ran (as after a kill
    between the commit and the stale delete), here with as many vectors as
    chunks, so only the marker tells."""
    lost = ids_of(index, "a")[0]
    index.docstore.delete_document("b")  # committed; b's vector stays
    index.vectors.delete([lost])
    assert index.vectors.count() == len(index.docstore.chunk_ids()) == 2

    reopened = PlanIndex(settings)
    assert reopened.check_consistency(repair=False) == {
        "chunks": 2, "extra_vectors": 1, "missing_vectors": 1, "bm25_ok": True,
    }  # fmt: skip
    assert reopened.check_consistency()["repaired"] is True
    assert_in_step(reopened)
    assert lost in reopened.vectors.ids()


def test_after_a_full_check_the_next_start_up_is_cheap(settings, index, monkeypatch):
    index.vectors.delete([ids_of(index, "a")[0]])  # found by the count
    assert index.check_consistency()["missing_vectors"] == 1
    reopened = PlanIndex(settings)
    monkeypatch.setattr(reopened.vectors, "ids", lambda: pytest.fail("listed every vector"))
    assert reopened.check_consistency() == {"chunks": 3, **HEALTHY}


# -- the real model ------------------------------------------------------------

SHORT_CELL_TABLE = "Tabel 3 Fremmøde pr. uge\n\nUge\tJC\tA-kasse\tMødt\tAflyst\tOK\n" + "\n".join(
    f"Uge {i}\tx\tx\t-\t-\tx" for i in range(1, 200)
)


@pytest.mark.integration
def test_no_chunk_exceeds_the_embedders_limit_at_the_largest_chunk_size(tmp_path):
    settings = make_settings(tmp_path / "data", embedder=REAL_EMBEDDER, chunk_tokens=320)
    index = PlanIndex(settings)
    meta = DocumentMeta(doc_id="fremmoede", municipality="Aby", year=2024, title="Fremmøde")
    index.ingest_bytes(SHORT_CELL_TABLE.encode("utf-8"), "fremmoede.txt", meta)
    sizes = [index.embedder.token_count(dense_text(c)) for c in index.docstore.chunks("fremmoede")]
    assert max(sizes) <= 512


# -- the seed corpus (session indexes) -----------------------------------------

TARGET = "skal begrænses til 228 personer"
QUESTION = "Hvor mange langtidsledige må der højst være i Jammerbugt i december 2014?"


def test_session_hash_index_holds_the_seed_corpus_in_step(hash_index):
    assert sorted(hash_index.documents) == [
        "fredericia-2023",
        "jammerbugt-2014",
        "rebild-2022",
        "region-hovedstaden-sjaelland-2010",
        "vejle-2020-23",
    ]
    chunks = len(assert_in_step(hash_index))
    assert hash_index.check_consistency(repair=False) == {
        "chunks": chunks,
        "extra_vectors": 0,
        "missing_vectors": 0,
        "bm25_ok": True,
    }


def test_bm25_finds_the_jammerbugt_target_first(hash_index):
    (best, _), *_ = hash_index.bm25.search(analyze(QUESTION), 3)
    chunk = hash_index.chunk(best)
    assert TARGET in chunk.text
    assert chunk.section == (
        "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til ministerens mål 3"
    )


def test_reopened_seed_index_answers_the_same(hash_settings, hash_index):
    reopened = PlanIndex(hash_settings)
    assert reopened.bm25.fingerprint == hash_index.bm25.fingerprint
    answer = search(reopened, QUESTION)
    assert answer == search(hash_index, QUESTION)
    assert TARGET in reopened.chunk(answer[0][0][0]).text


@pytest.mark.integration
def test_real_index_dense_search_finds_both_jammerbugt_targets(real_index):
    assert real_index.embedder.name == "e5-torch-multilingual-e5-small-q4"
    assert real_index.vectors.name == "planchat-e5-torch-multilingual-e5-small-q4"
    assert_in_step(real_index)
    top = real_index.vectors.query(real_index.embedder.embed_query(QUESTION), 3)
    holding = [cid for cid, _ in top if TARGET in real_index.chunk(cid).text]
    # The goal in section 4.3 and its repetition in the summary annex (7.1).
    assert len(holding) == 2
    assert all(cid.startswith("jammerbugt-2014:") for cid, _ in top)
