"""The lexical index: BM25 (bm25s) over Danish stems, persisted beside Chroma.

Each chunk is indexed as its heading path plus its text (plus a table's
header row where the chunk starts mid-table), analysed by planchat.danish
(Snowball stemming, stopwords, thousands separators folded). The saved index
carries a fingerprint of the chunk ids it was built from; on load a
mismatch with the document store means "rebuild", so the two never drift.

A rebuild analyses only chunks it has not seen: the saved index also keeps
each chunk's analysed terms (``AnalysedTerms``: token ids into a
vocabulary, one int32 array), and a build reuses them for every chunk whose
id and lexical text are unchanged. Analysis is ~90 % of a build from scratch
(11.6 s at 63k chunks); bm25s then indexes the same token lists either way,
so the scores are exactly those of a build from scratch.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from planchat.danish import analyze
from planchat.records import Chunk


def lexical_text(chunk: Chunk) -> str:
    return "\n".join(part for part in (chunk.section, chunk.context, chunk.text) if part)


# Bump when planchat.danish changes what a text analyses to (stopwords,
# stemming, tokenisation): a saved index with another version is rebuilt.
ANALYZER_VERSION = "5"

# An empty token list breaks bm25s; such a chunk gets this one token and simply never matches.
EMPTY = "\u2205"


def fingerprint(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256(("analyzer=" + ANALYZER_VERSION + "\n" + "\n".join(chunk_ids)).encode("utf-8")).hexdigest()


def text_key(text: str) -> int:
    """A stable 64-bit digest of a chunk's lexical text. Chunk ids hash the
    chunk's own text but not its heading path or table header, so a reused
    analysis is checked against this too (and it is stable across
    processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


class AnalysedTerms:
    """Every chunk's analysed terms, compactly: token ids into ``vocab`` (the
    terms, sorted), concatenated into one int32 array with offsets, plus
    each chunk's ``text_key``. ~4 bytes per token: 12 MB for 63k chunks of
    ~46 terms, where lists of str would take ~15 times that. Rows follow
    ``chunk_ids``."""

    FILE, META = "terms.npz", "terms.json"

    def __init__(self, chunk_ids: list[str], keys: np.ndarray, vocab: list[str], flat: np.ndarray, offsets: np.ndarray):
        self.chunk_ids = chunk_ids
        self.keys = keys  # uint64, one per chunk
        self.vocab = vocab
        self.flat = flat  # int32 token ids, chunk after chunk
        self.offsets = offsets  # int64, len(chunk_ids) + 1

    @classmethod
    def analyse(cls, chunks: Sequence[Chunk], known: AnalysedTerms | None = None) -> AnalysedTerms:
        """The terms of ``chunks``, reusing ``known``'s for every chunk whose id
        and lexical text it holds; only the others are analysed."""
        term_ids = {t: i for i, t in enumerate(known.vocab)} if known else {}
        reusable = known.rows() if known else {}
        keys = np.empty(len(chunks), dtype=np.uint64)
        pieces = []
        for i, chunk in enumerate(chunks):
            text = lexical_text(chunk)
            key = keys[i] = text_key(text)
            row = reusable.get(chunk.chunk_id)
            if row is not None and row[0] == key:
                pieces.append(row[1])
            else:
                terms = analyze(text) or [EMPTY]
                pieces.append(np.fromiter((term_ids.setdefault(t, len(term_ids)) for t in terms), np.int32, len(terms)))
        offsets = np.zeros(len(chunks) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in pieces], out=offsets[1:])
        flat = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
        return cls._compact([c.chunk_id for c in chunks], keys, list(term_ids), flat, offsets)

    @classmethod
    def _compact(cls, chunk_ids, keys, vocab, flat, offsets) -> AnalysedTerms:
        """Keep only the terms these chunks use, numbered in sorted order: the
        vocabulary does not grow with deleted chunks, and the same chunks get
        the same ids whatever was reused."""
        used = np.zeros(len(vocab), dtype=bool)
        used[flat] = True
        kept = sorted(np.flatnonzero(used).tolist(), key=vocab.__getitem__)
        renumber = np.zeros(len(vocab), dtype=np.int32)
        renumber[kept] = np.arange(len(kept), dtype=np.int32)
        return cls(chunk_ids, keys, [vocab[i] for i in kept], renumber[flat], offsets)

    def rows(self) -> dict[str, tuple[int, np.ndarray]]:
        """chunk id -> (text key, its token ids as a view into ``flat``)."""
        ends = self.offsets.tolist()
        return {cid: (key, self.flat[ends[i] : ends[i + 1]])
                for i, (cid, key) in enumerate(zip(self.chunk_ids, self.keys.tolist()))}  # fmt: skip

    def token_lists(self) -> list[list[int]]:
        """What bm25s indexes: one list of token ids per chunk. The lists share
        one int object per term (``flat.tolist()`` would make one per token:
        +90 MB at 63k chunks)."""
        shared = np.array(range(len(self.vocab)), dtype=object)
        ids, ends = shared[self.flat].tolist(), self.offsets.tolist()
        return [ids[ends[i] : ends[i + 1]] for i in range(len(self.chunk_ids))]

    def document_frequencies(self) -> dict[str, int]:
        """term -> number of chunks containing it (each (chunk, term) pair
        once; np.sort, not np.unique, which is ~80x slower here)."""
        if not len(self.flat):
            return {}
        chunk_of = np.repeat(np.arange(len(self.chunk_ids), dtype=np.int64), np.diff(self.offsets))
        pairs = np.sort(chunk_of * len(self.vocab) + self.flat)
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = pairs[1:] != pairs[:-1]
        counts = np.bincount(pairs[first] % len(self.vocab), minlength=len(self.vocab))
        return dict(zip(self.vocab, counts.tolist()))

    def nbytes(self) -> int:
        return self.flat.nbytes + self.offsets.nbytes + self.keys.nbytes + sum(len(t) + 50 for t in self.vocab)

    def save(self, directory: Path) -> None:
        np.savez(directory / self.FILE, keys=self.keys, flat=self.flat, offsets=self.offsets)
        (directory / self.META).write_text(
            json.dumps({"analyzer": ANALYZER_VERSION, "vocab": self.vocab}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def read(cls, directory: Path) -> AnalysedTerms | None:
        """The terms saved with the index in ``directory`` (rows follow its
        ids.json), or None when there are none usable: missing, damaged, or
        from another analyzer version. Only a cache: None means "analyse"."""
        try:
            meta = json.loads((directory / cls.META).read_text(encoding="utf-8"))
            if meta.get("analyzer") != ANALYZER_VERSION:
                return None
            chunk_ids = json.loads((directory / "ids.json").read_text(encoding="utf-8"))["chunk_ids"]
            with np.load(directory / cls.FILE, allow_pickle=False) as saved:
                keys, flat, offsets = saved["keys"], saved["flat"], saved["offsets"]
            vocab = meta["vocab"]
            terms = cls(chunk_ids, keys, vocab, flat, offsets)
            return terms if terms._sound() else None
        except Exception:  # a damaged cache of any kind is simply not used
            return None

    def _sound(self) -> bool:
        """Shapes and types agree: a row never reads past its chunk or the vocabulary."""
        n, vocab, flat, offsets = len(self.chunk_ids), self.vocab, self.flat, self.offsets
        return (
            len(set(vocab)) == len(vocab) and all(isinstance(t, str) for t in vocab)
            and (self.keys.dtype, flat.dtype, offsets.dtype) == (np.uint64, np.int32, np.int64)
            and len(self.keys) == n and len(offsets) == n + 1
            and offsets[0] == 0 and offsets[-1] == len(flat) and bool(np.all(np.diff(offsets) >= 0))
            and (not len(flat) or (flat.min() >= 0 and flat.max() < len(vocab)))
        )  # fmt: skip


class BM25Index:
    def __init__(
        self, chunk_ids: list[str], retriever, fingerprint_: str, df: dict[str, int] | None = None,
        terms: AnalysedTerms | None = None,
    ):  # fmt: skip
        self.chunk_ids = chunk_ids
        self.df = df or {}
        self._retriever = retriever
        self.fingerprint = fingerprint_
        self._position = {cid: i for i, cid in enumerate(chunk_ids)}
        # Set by build() so save() can keep them; an index loaded from disk
        # holds none (AnalysedTerms.read gets them when a build needs them).
        self.terms = terms

    @classmethod
    def build(cls, chunks: Sequence[Chunk], known: AnalysedTerms | None = None) -> BM25Index:
        """Index ``chunks``; ``known`` holds terms analysed before (see
        AnalysedTerms.analyse). With or without it the scores are the same."""
        import bm25s

        ids = [c.chunk_id for c in chunks]
        if not chunks:
            return cls(ids, None, fingerprint(ids), {})
        terms = AnalysedTerms.analyse(chunks, known)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index((terms.token_lists(), {t: i for i, t in enumerate(terms.vocab)}), show_progress=False)
        return cls(ids, retriever, fingerprint(ids), terms.document_frequencies(), terms)

    def knows(self, term: str) -> bool:
        return term in self.df

    def idf(self, term: str) -> float:
        """BM25's idf, ln(1 + (N - df + 0.5) / (df + 0.5)); unseen terms get the maximum."""
        n = len(self.chunk_ids)
        df = self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def save(self, directory: Path) -> None:
        tmp = directory.with_name(directory.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if self._retriever is not None:
            self._retriever.save(str(tmp / "bm25"))
        if self.terms is not None:
            self.terms.save(tmp)
        (tmp / "ids.json").write_text(
            json.dumps(
                {"fingerprint": self.fingerprint, "chunk_ids": self.chunk_ids, "df": self.df}, ensure_ascii=False
            ),
            encoding="utf-8",
        )
        # Swap in the new index whole, so a crash leaves the old or the new one.
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path, expected: str | None = None) -> BM25Index | None:
        """The saved index, or None when it is damaged or (with ``expected``)
        has another fingerprint; then its matrix is not read at all."""
        import bm25s

        try:
            data = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
            if expected is not None and data["fingerprint"] != expected:
                return None
            retriever = bm25s.BM25.load(str(directory / "bm25")) if data["chunk_ids"] else None
        except Exception:  # a damaged index of any kind is rebuilt from the document store
            return None
        return cls(data["chunk_ids"], retriever, data["fingerprint"], data.get("df", {}))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(self, terms: list[str], k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) best first; only positive scores; within ``allowed`` ids if given."""
        if self._retriever is None or not terms or k <= 0:
            return []
        mask = None
        if allowed is not None:
            mask = np.zeros(len(self.chunk_ids), dtype=np.float32)
            for cid in allowed:
                pos = self._position.get(cid)
                if pos is not None:
                    mask[pos] = 1.0
        scores = self._retriever.get_scores(terms, weight_mask=mask)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]
