"""BM25 built reusing analysed terms (AnalysedTerms) scores exactly as one
built from scratch, and as the build before the cache existed (bm25s over
the token strings), after additions, replacements and deletions; only the
chunks the cache does not hold are analysed.

Chunks are the seed corpus's (the session hash index), so the texts are the
real Danish plans."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

import ingest.stores.lexical as lexical
from ingest.stores.lexical import EMPTY, AnalysedTerms, BM25Index, fingerprint, lexical_text
from planchat.danish import analyze

QUESTIONS = [
    "Hvor mange langtidsledige må der højst være i Jammerbugt i december 2014?",
    "Hvordan vil Vejle få flere unge i uddannelse?",
    "Hvad er målet for sygedagpenge i Rebild?",
    "Virksomhedernes behov for kvalificeret arbejdskraft",
    "ledighed forsikrede ledige jobcenter indsats",
]


@pytest.fixture(scope="module")
def chunks(hash_index):
    return hash_index.docstore.chunks()


def old_build(chunks):
    """The build before AnalysedTerms: bm25s over the analysed strings."""
    import bm25s

    corpus = [analyze(lexical_text(c)) or [EMPTY] for c in chunks]
    retriever = bm25s.BM25(k1=1.2, b=0.75)
    retriever.index(corpus, show_progress=False)
    df: Counter[str] = Counter()
    for terms in corpus:
        df.update(set(terms))
    return retriever, dict(df)


def queries(index: BM25Index) -> list[list[str]]:
    rng = random.Random(7)
    vocab = sorted(index.df)
    return [analyze(q) for q in QUESTIONS] + [rng.sample(vocab, rng.randint(1, 8)) for _ in range(60)]


def assert_same_index(built: BM25Index, chunks) -> None:
    """Exactly the scores, ranking, df and ids of a build from scratch and of the old build."""
    scratch = BM25Index.build(chunks)
    old, old_df = old_build(chunks)
    assert built.chunk_ids == scratch.chunk_ids == [c.chunk_id for c in chunks]
    assert built.fingerprint == scratch.fingerprint == fingerprint(built.chunk_ids)
    assert built.df == scratch.df == old_df
    allowed = {c.chunk_id for c in chunks if c.doc_id == chunks[0].doc_id}
    for terms in queries(scratch):
        expected = old.get_scores(terms)
        assert np.array_equal(built._retriever.get_scores(terms), expected)
        assert np.array_equal(scratch._retriever.get_scores(terms), expected)
        assert built.search(terms, 10) == scratch.search(terms, 10)
        assert built.search(terms, 10, allowed) == scratch.search(terms, 10, allowed)


@pytest.fixture
def analysed(monkeypatch):
    """Counts the texts lexical analyses."""
    seen: list[str] = []

    def counting(text, **kwargs):
        seen.append(text)
        return analyze(text, **kwargs)

    monkeypatch.setattr(lexical, "analyze", counting)
    return seen


def test_a_build_from_known_terms_equals_a_build_from_scratch(chunks, analysed):
    first = BM25Index.build(chunks)
    assert len(analysed) == len(chunks)
    again = BM25Index.build(chunks, first.terms)
    assert len(analysed) == len(chunks)  # nothing analysed twice
    assert_same_index(again, chunks)


def test_after_a_replacement_and_a_deletion_only_new_chunks_are_analysed(chunks, analysed):
    docs = sorted({c.doc_id for c in chunks})
    gone, replaced = docs[0], docs[1]
    before = BM25Index.build([c for c in chunks if c.doc_id != docs[2]])  # docs[2] is added later
    analysed.clear()
    new_version = [
        replace(c, chunk_id=c.chunk_id + "v2", text=c.text.replace("ledige", "borgere"))
        for c in chunks if c.doc_id == replaced
    ]  # fmt: skip
    after = [c for c in chunks if c.doc_id not in (gone, replaced)] + new_version

    built = BM25Index.build(after, before.terms)

    assert len(analysed) == len(new_version) + sum(c.doc_id == docs[2] for c in chunks)
    assert_same_index(built, after)
    assert not set(built.terms.vocab) - set(built.df)  # the deleted document's terms are gone


def test_a_chunk_whose_heading_changed_under_the_same_id_is_analysed_again(chunks, analysed):
    before = BM25Index.build(chunks)
    renamed = [replace(c, section="Borgerservice og sygedagpenge") if i == 3 else c for i, c in enumerate(chunks)]
    analysed.clear()
    built = BM25Index.build(renamed, before.terms)
    assert analysed == [lexical_text(renamed[3])]
    assert_same_index(built, renamed)


def test_a_chunk_without_terms_gets_the_empty_token_either_way(chunks):
    empty = replace(chunks[0], chunk_id="x:0000:000000000000", doc_id="x", section="", context="", text="og i på")
    with_empty = [empty] + list(chunks[:20])
    built = BM25Index.build(with_empty, BM25Index.build(with_empty).terms)
    assert built.df[EMPTY] == 1
    assert_same_index(built, with_empty)


def test_terms_are_saved_with_the_index_and_read_back(chunks, tmp_path):
    first = BM25Index.build(chunks)
    first.save(tmp_path / "bm25")
    read = AnalysedTerms.read(tmp_path / "bm25")
    assert read.chunk_ids == first.chunk_ids and read.vocab == first.terms.vocab
    assert np.array_equal(read.flat, first.terms.flat) and np.array_equal(read.keys, first.terms.keys)
    assert_same_index(BM25Index.build(chunks, read), chunks)
    # 4 bytes per token: compact next to the chunks themselves
    assert read.flat.dtype == np.int32 and read.nbytes() < 8 * len(read.flat) + 64 * len(chunks) + 60 * len(read.vocab)


@pytest.mark.parametrize("damage", ["no terms", "garbage npz", "garbage json", "short offsets", "ids of another index"])
def test_unusable_saved_terms_are_ignored(chunks, tmp_path, damage):
    directory = tmp_path / "bm25"
    BM25Index.build(chunks).save(directory)
    if damage == "no terms":
        (directory / AnalysedTerms.FILE).unlink()
    elif damage == "garbage npz":
        (directory / AnalysedTerms.FILE).write_bytes(b"PK\x03\x04 garbage")
    elif damage == "garbage json":
        (directory / AnalysedTerms.META).write_text("{not json", encoding="utf-8")
    elif damage == "short offsets":
        terms = AnalysedTerms.read(directory)
        np.savez(directory / AnalysedTerms.FILE, keys=terms.keys, flat=terms.flat, offsets=terms.offsets[:-1])
    else:
        ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
        ids["chunk_ids"] = ids["chunk_ids"][:-1]
        (directory / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
    assert AnalysedTerms.read(directory) is None
    assert AnalysedTerms.read(tmp_path / "missing") is None


def test_terms_of_another_analyzer_version_are_ignored(chunks, tmp_path, monkeypatch):
    BM25Index.build(chunks).save(tmp_path / "bm25")
    assert AnalysedTerms.read(tmp_path / "bm25") is not None
    monkeypatch.setattr(lexical, "ANALYZER_VERSION", "next")
    assert AnalysedTerms.read(tmp_path / "bm25") is None


def test_load_with_another_fingerprint_reads_no_matrix(chunks, tmp_path, monkeypatch):
    import bm25s

    built = BM25Index.build(chunks)
    built.save(tmp_path / "bm25")
    loads = []
    original = bm25s.BM25.load
    monkeypatch.setattr(bm25s.BM25, "load", lambda *a, **k: loads.append(1) or original(*a, **k))
    assert BM25Index.load(tmp_path / "bm25", expected="another") is None
    assert loads == []
    loaded = BM25Index.load(tmp_path / "bm25", expected=built.fingerprint)
    assert loads == [1] and loaded.chunk_ids == built.chunk_ids and loaded.terms is None


def test_an_empty_build():
    empty = BM25Index.build([])
    assert (empty.chunk_ids, empty.df, empty.search(["ledig"], 3), empty.terms) == ([], {}, [], None)
