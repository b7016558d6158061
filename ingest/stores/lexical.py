"""The lexical index: BM25 (bm25s) over Danish stems, persisted beside Chroma.

Each chunk is indexed as its heading path plus its text (plus a table's
header row where the chunk starts mid-table), analysed by planchat.danish
(Snowball stemming, stopwords, thousands separators folded). The saved index
carries a fingerprint of the chunk ids it was built from; on load a
mismatch with the document store means "rebuild", so the two never drift.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
import shutil
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from planchat.danish import analyze
from planchat.records import Chunk


def lexical_text(chunk: Chunk) -> str:
    return "\n".join(part for part in (chunk.section, chunk.context, chunk.text) if part)


# Bump when planchat.danish changes what a text analyses to (stopwords,
# stemming, tokenisation): a saved index with another version is rebuilt.
ANALYZER_VERSION = "4"


def fingerprint(chunk_ids: Sequence[str]) -> str:
    return hashlib.sha256(("analyzer=" + ANALYZER_VERSION + "\n" + "\n".join(chunk_ids)).encode("utf-8")).hexdigest()


class BM25Index:
    def __init__(self, chunk_ids: list[str], retriever, fingerprint_: str, df: Optional[dict[str, int]] = None):
        self.chunk_ids = chunk_ids
        self.df = df or {}
        self._retriever = retriever
        self.fingerprint = fingerprint_
        self._position = {cid: i for i, cid in enumerate(chunk_ids)}

    @classmethod
    def build(cls, chunks: Sequence[Chunk]) -> "BM25Index":
        import bm25s

        ids = [c.chunk_id for c in chunks]
        retriever = None
        df: Counter[str] = Counter()
        if chunks:
            retriever = bm25s.BM25(k1=1.2, b=0.75)
            # An empty token list breaks bm25s; such a chunk simply never matches.
            corpus = [analyze(lexical_text(c)) or ["\u2205"] for c in chunks]
            for terms in corpus:
                df.update(set(terms))
            retriever.index(corpus, show_progress=False)
        return cls(ids, retriever, fingerprint(ids), dict(df))

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
        (tmp / "ids.json").write_text(
            json.dumps({"fingerprint": self.fingerprint, "chunk_ids": self.chunk_ids, "df": self.df}, ensure_ascii=False), encoding="utf-8"
        )
        # Swap in the new index whole, so a crash leaves the old or the new one.
        old = directory.with_name(directory.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
        shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> Optional["BM25Index"]:
        import bm25s

        try:
            data = json.loads((directory / "ids.json").read_text(encoding="utf-8"))
            retriever = bm25s.BM25.load(str(directory / "bm25")) if data["chunk_ids"] else None
        except Exception:  # a damaged index of any kind is rebuilt from the document store
            return None
        return cls(data["chunk_ids"], retriever, data["fingerprint"], data.get("df", {}))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def search(self, terms: list[str], k: int, allowed: Optional[set[str]] = None) -> list[tuple[str, float]]:
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
