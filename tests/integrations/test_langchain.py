"""planchat.integrations.langchain.PlanchatRetriever through LangChain's own
interfaces: ``invoke``/``ainvoke`` and a small LCEL chain (retriever | format
| prompt | a deterministic fake chat model from langchain-core).

In-process over a private copy of the session's hash index (bm25: exact and
fast), and with the real model both in-process and against a real
``planchat serve`` (uvicorn) on a free loopback port, each over its own copy
of the session's real index: the two must return the same Documents.
"""

from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from conftest import REAL_EMBEDDER, make_settings
from expected import JAMMERBUGT_228, JAMMERBUGT_Q
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import ParrotFakeChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from processes import ServerDidNotStart, free_port, start_server

from planchat.config import REPO_ROOT
from planchat.errors import InvalidRequest, UnknownFilter
from planchat.integrations.langchain import PlanchatAPIError, PlanchatRetriever

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
READ = "read-key-langchain-01"
METADATA_KEYS = {
    "municipality", "publisher_kind", "year", "years", "title", "section", "page", "page_label", "doc_id",
    "chunk_id", "start", "end", "score",
}  # fmt: skip
PROMPT = ChatPromptTemplate.from_template("Svar kun ud fra uddragene.\n\n{context}\n\nSpørgsmål: {question}")


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(
        f"[{n}] {d.metadata['municipality']} {d.metadata['year']}, {d.metadata['section']}:\n{d.page_content}"
        for n, d in enumerate(docs, 1)
    )


def rag_chain(retriever: PlanchatRetriever):
    """The LCEL chain a LangChain user writes; the parrot model answers with the prompt it was given."""
    return (
        {"context": retriever | format_docs, "question": RunnablePassthrough()}
        | PROMPT
        | ParrotFakeChatModel()
        | StrOutputParser()
    )


def expected_prompt(docs: list[Document], question: str) -> str:
    return f"Svar kun ud fra uddragene.\n\n{format_docs(docs)}\n\nSpørgsmål: {question}"


# -- in-process over the hash index (bm25) -------------------------------------------------------


@pytest.fixture
def hash_retriever(hash_index, hash_settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(hash_settings.data_dir, data)
    retriever = PlanchatRetriever(settings=make_settings(data, retrieval_mode="bm25"), top_k=3)
    yield retriever
    retriever.close()


def test_invoke_returns_verbatim_passages_with_their_metadata(hash_retriever, hash_index):
    docs = hash_retriever.invoke(JAMMERBUGT_Q)
    clean = hash_index.docstore.clean_text("jammerbugt-2014")
    assert [(d.metadata["doc_id"], d.metadata["section"]) for d in docs] == [
        ("jammerbugt-2014", "3 Beskæftigelsesministerens mål for 2014 › Mål 3. Langtidsledigheden skal bekæmpes"),
        ("jammerbugt-2014", "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til "
                            "ministerens mål 3 › Risiko for ledighed og langtidsledighed"),
        ("jammerbugt-2014", "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til "
                            "ministerens mål 3"),
    ]  # fmt: skip
    for doc in docs:
        assert set(doc.metadata) == METADATA_KEYS and doc.id == doc.metadata["chunk_id"]
        assert clean[doc.metadata["start"] : doc.metadata["end"]] == doc.page_content
        assert (doc.metadata["municipality"], doc.metadata["year"], doc.metadata["publisher_kind"]) == (
            "Jammerbugt", 2014, "municipality")  # fmt: skip


def test_the_lcel_chain_sees_the_passages_sync_and_async(hash_retriever):
    question = "Hvad gør Vejle for langtidsledige?"
    docs = hash_retriever.invoke(question)
    assert [d.metadata["municipality"] for d in docs] == ["Vejle"] * 3  # named in the question: a filter
    chain = rag_chain(hash_retriever)
    assert chain.invoke(question) == expected_prompt(docs, question)
    assert asyncio.run(chain.ainvoke(question)) == expected_prompt(docs, question)
    assert asyncio.run(hash_retriever.ainvoke(question)) == docs


def test_filters_and_refusals_in_process(hash_index, hash_settings, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(hash_settings.data_dir, data)
    settings = make_settings(data, retrieval_mode="bm25")
    region = PlanchatRetriever(settings=settings, municipalities=["regionen"], years=[2010], top_k=2)
    assert [(d.metadata["doc_id"], d.metadata["publisher_kind"]) for d in region.invoke("unge uden uddannelse")] == [
        ("region-hovedstaden-sjaelland-2010", "region")] * 2  # fmt: skip
    with pytest.raises(UnknownFilter, match=r"^municipalities: 'Atlantis' is not in the corpus\."):
        region.model_copy(update={"municipalities": ["Atlantis"], "years": None}).invoke("ledighed")
    with pytest.raises(InvalidRequest, match=r"^query: must not be empty\. Ask something about the plans\.$"):
        region.invoke(" ")
    anywhere = region.model_copy(update={"municipalities": None, "years": None, "top_k": None})  # the same index
    assert anywhere.invoke("Hvad er Aarhus' mål for ledigheden?") == []  # Aarhus has no plan here: nothing
    assert len(anywhere.invoke("Hvad er målet for ledigheden?")) == 8
    dense = anywhere.model_copy(update={"mode": "dense", "top_k": 2})
    assert [d.metadata["doc_id"] for d in dense.invoke("langtidsledige i Jammerbugt")] == ["jammerbugt-2014"] * 2
    region.close()


def test_one_source_is_required():
    with pytest.raises(ValueError, match="give base_url \\(a server\\) or data_dir/settings \\(in-process\\)"):
        PlanchatRetriever()
    with pytest.raises(ValueError, match="not both"):
        PlanchatRetriever(base_url="http://127.0.0.1:1", data_dir="data")
    with pytest.raises(ValueError, match="municipality"):
        PlanchatRetriever(base_url="http://127.0.0.1:1", municipality=["Vejle"])  # a typo is not ignored


# -- the real model: in-process and against a real server -----------------------------------------


@pytest.fixture
def real_server(copy_of_real_data, tmp_path):
    if not PLANCHAT.exists():
        pytest.fail(f"{PLANCHAT} is missing: run `make setup` first")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    env.update(PLANCHAT_DATA_DIR=str(copy_of_real_data), PLANCHAT_EMBEDDER=REAL_EMBEDDER, PLANCHAT_PROTECT_READS="true",
               PLANCHAT_READ_KEYS=READ, PLANCHAT_CORPUS_DIR=str(REPO_ROOT / "corpus"), PYTHONUNBUFFERED="1")  # fmt: skip
    try:
        srv = start_server(
            [str(PLANCHAT), "serve", "--host", "127.0.0.1", "--port", str(port), "--no-ingest"],
            port=port, ready_path="/healthz", logs=tmp_path, env=env, cwd=tmp_path, limit_s=90,
        )  # fmt: skip
    except ServerDidNotStart as exc:
        pytest.fail(str(exc))
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def real_in_process(real_index, real_settings, tmp_path):
    data = tmp_path / "in-process"
    shutil.copytree(real_settings.data_dir, data)
    retriever = PlanchatRetriever(data_dir=data, settings=make_settings(data, embedder=REAL_EMBEDDER))
    yield retriever
    retriever.close()


@pytest.mark.e2e
@pytest.mark.integration
def test_over_http_and_in_process_the_same_documents_and_chain(real_server, real_in_process):
    remote = PlanchatRetriever(base_url=real_server.base_url, api_key=READ)
    docs = remote.invoke(JAMMERBUGT_Q)
    assert docs == real_in_process.invoke(JAMMERBUGT_Q)
    assert [JAMMERBUGT_228 in d.page_content for d in docs] == [False, False, False, True, False, False, False, False]
    assert {(d.metadata["doc_id"], d.metadata["municipality"], d.metadata["year"]) for d in docs} == {
        ("jammerbugt-2014", "Jammerbugt", 2014)}  # fmt: skip
    assert docs[0].metadata["section"] == (
        "3 Beskæftigelsesministerens mål for 2014 › Mål 3. Langtidsledigheden skal bekæmpes")  # fmt: skip

    question = "Hvordan vil Rebild hjælpe flygtninge i job?"
    filtered = PlanchatRetriever(base_url=real_server.base_url, api_key=READ, years=[2022], top_k=4)
    local = real_in_process.model_copy(update={"years": [2022], "top_k": 4})
    chain_docs = filtered.invoke(question)
    assert chain_docs == local.invoke(question) and {d.metadata["doc_id"] for d in chain_docs} == {"rebild-2022"}
    for chain in (rag_chain(filtered), rag_chain(local)):
        assert chain.invoke(question) == expected_prompt(chain_docs, question)
        assert asyncio.run(chain.ainvoke(question)) == expected_prompt(chain_docs, question)


@pytest.mark.e2e
@pytest.mark.integration
def test_a_refused_request_over_http_raises_the_servers_error(real_server):
    with pytest.raises(PlanchatAPIError, match=r"^This endpoint needs a key: a read key") as refused:
        PlanchatRetriever(base_url=real_server.base_url).invoke("ledighed")
    assert (refused.value.status, refused.value.code) == (401, "unauthorized")
    atlantis = PlanchatRetriever(base_url=real_server.base_url, api_key=READ, municipalities=["Atlantis"])
    with pytest.raises(PlanchatAPIError, match=r"^municipalities: 'Atlantis' is not in the corpus\.") as refused:
        asyncio.run(atlantis.ainvoke("ledighed"))
    assert (refused.value.status, refused.value.code) == (400, "unknown_filter")


def test_without_the_extra_the_import_says_what_to_install(monkeypatch):
    import importlib
    import sys

    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)  # as if langchain-core were not installed
    monkeypatch.delitem(sys.modules, "planchat.integrations.langchain")
    with pytest.raises(ImportError, match=r"^planchat\.integrations\.langchain needs langchain-core: "
                                          r"pip install 'planchat\[langchain\]'$"):  # fmt: skip
        importlib.import_module("planchat.integrations.langchain")
