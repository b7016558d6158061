"""planchat's retrieval as a LangChain retriever: ``PlanchatRetriever``.

Install the extra: ``pip install 'planchat[langchain]'`` (langchain-core).

Two ways to reach the plans, the same results:

- **a running server**: ``PlanchatRetriever(base_url="http://127.0.0.1:8000", api_key=...)``
  calls ``POST /v1/search`` (a read key is enough where reads are protected);
- **in-process**: ``PlanchatRetriever(data_dir="data")`` opens the index in that data
  directory (built by ``planchat ingest``) with this process's ``PLANCHAT_*`` settings, or
  pass ``settings=Settings(...)``. The model loads on the first query.

Each ``Document`` is one passage: ``page_content`` is its stored text, verbatim (the
document's clean text ``[start:end]``), and ``metadata`` carries ``municipality``,
``publisher_kind``, ``year``, ``years``, ``title``, ``section``, ``page``, ``page_label``,
``doc_id``, ``chunk_id``, ``start``, ``end`` and ``score``; ``Document.id`` is the chunk
id. ``municipalities``/``years`` filter as /v1/ask's filters do (a municipality or year
named in the query filters too). Refused input raises a ``PlanchatError`` with the
server's code and message (in-process: the same error ``/v1/search`` would translate).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import httpx

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # an optional extra: say how to get it
    raise ImportError(
        "planchat.integrations.langchain needs langchain-core: pip install 'planchat[langchain]'"
    ) from exc
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from planchat.errors import PlanchatError

METADATA_KEYS = (
    "municipality", "publisher_kind", "year", "years", "title", "section", "page", "page_label",
    "doc_id", "chunk_id", "start", "end", "score",
)  # fmt: skip


class PlanchatAPIError(PlanchatError):
    """A planchat server refused the search: its status, code and message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


def to_document(passage: dict[str, Any]) -> Document:
    return Document(
        page_content=passage["text"],
        metadata={key: passage[key] for key in METADATA_KEYS},
        id=passage["chunk_id"],
    )


class PlanchatRetriever(BaseRetriever):
    """Passages from planchat's hybrid retrieval (BM25 + e5, fused), best first."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    base_url: str | None = Field(default=None, description="A planchat server, e.g. http://127.0.0.1:8000.")
    api_key: SecretStr | None = Field(default=None, description="A read key (or the admin key), sent as Bearer.")
    data_dir: Path | None = Field(default=None, description="In-process: the data directory of an index.")
    settings: Any = Field(default=None, description="In-process: a planchat.config.Settings (instead of data_dir).")
    municipalities: list[str] | None = Field(default=None, description="Only these municipalities or publishers.")
    years: list[int] | None = Field(default=None, description="Only plans that cover one of these years.")
    top_k: int | None = Field(default=None, description="Passages per query (default: the index's top_k, 8).")
    mode: str | None = Field(default=None, description="bm25, dense or hybrid (default: the index's).")
    timeout: float = Field(default=60.0, description="Seconds per HTTP request.")

    # The in-process index and its AskService per mode, opened on the first query (a model_copy shares them).
    _local: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="after")
    def _one_source(self) -> PlanchatRetriever:
        local = self.data_dir is not None or self.settings is not None
        if bool(self.base_url) == local:
            raise ValueError("PlanchatRetriever: give base_url (a server) or data_dir/settings (in-process), not both")
        return self

    # -- over HTTP ------------------------------------------------------------------------
    def _request(self, query: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {"query": query}
        for name in ("municipalities", "years", "top_k", "mode"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        headers = {"Authorization": f"Bearer {self.api_key.get_secret_value()}"} if self.api_key else {}
        return f"{(self.base_url or '').rstrip('/')}/v1/search", headers, body

    @staticmethod
    def _passages(response: httpx.Response) -> list[dict[str, Any]]:
        if response.status_code != 200:
            try:
                error = response.json()["error"]
                code, message = error["code"], error["message"]
            except (ValueError, KeyError, TypeError):
                code, message = "http_error", f"planchat answered {response.status_code}: {response.text[:200]}"
            raise PlanchatAPIError(response.status_code, code, message)
        return response.json()["passages"]

    # -- in-process -----------------------------------------------------------------------
    def _service(self):
        from retrieval.service import AskService  # the product layers load only in this mode

        with self._lock:
            if self._local is None:
                from ingest.corpus import open_index
                from planchat.config import Settings

                settings = self.settings or Settings(data_dir=self.data_dir)  # type: ignore[arg-type]  # one is set
                self._local = (open_index(settings), {})
            index, services = self._local
            mode = self.mode or index.settings.retrieval_mode
            if mode not in services:
                services[mode] = AskService(index, index.settings, mode=mode)
            return index, services[mode]

    def _search_in_process(self, query: str) -> list[dict[str, Any]]:
        from dataclasses import asdict

        from retrieval.search import search

        index, service = self._service()
        index.refresh_if_stale()  # another process (planchat ingest, a server) may have written
        result = search(service, query, self.municipalities, self.years, self.top_k, index.snapshot)
        return [{**asdict(hit), "years": list(hit.years)} for hit in result.hits]

    def close(self) -> None:
        """Close the in-process index (its SQLite store and Chroma); a no-op over HTTP."""
        with self._lock:
            if self._local is not None:
                self._local[0].close()
                self._local = None

    # -- the BaseRetriever interface --------------------------------------------------------
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        if not self.base_url:
            return [to_document(p) for p in self._search_in_process(query)]
        url, headers, body = self._request(query)
        with httpx.Client(timeout=self.timeout) as client:
            return [to_document(p) for p in self._passages(client.post(url, json=body, headers=headers))]

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        if not self.base_url:  # the index's work is blocking: off the event loop
            return [to_document(p) for p in await asyncio.to_thread(self._search_in_process, query)]
        url, headers, body = self._request(query)
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            return [to_document(p) for p in self._passages(await client.post(url, json=body, headers=headers))]
