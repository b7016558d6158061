"""Issue 14: a list answer in the OpenAI message text (/v1/chat/completions,
plain and streamed) reads as a Markdown list, and the answer's ``kind``
travels in the extension field ``planchat`` with the rest of the answer."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.streaming import markdown_answer

from conftest import make_settings
from expected import (
    ABSTENTION_EXAMPLES,
    LIST_EXAMPLES,
    LIST_MORE_14,
    VEJLE_TOOLS_BETWEEN,
    VEJLE_TOOLS_Q,
    list_answer,
)


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    # bm25 over the hash index answers the examples with the same lists as the real model.
    settings = make_settings(tmp_path_factory.mktemp("openai-text"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def completion(client, question: str) -> dict:
    response = client.post("/v1/chat/completions", json={"model": "planchat", "messages": [
        {"role": "user", "content": question}]})  # fmt: skip
    assert response.status_code == 200, response.text
    return response.json()


def streamed(client, question: str) -> tuple[str, dict]:
    """The streamed deltas joined, and the last chunk's ``planchat`` field."""
    response = client.post("/v1/chat/completions", json={"model": "planchat", "stream": True, "messages": [
        {"role": "user", "content": question}]})  # fmt: skip
    assert response.status_code == 200, response.text
    datas = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert datas[-1] == "[DONE]"
    chunks = [json.loads(d) for d in datas[:-1]]
    return "".join(c["choices"][0]["delta"].get("content", "") for c in chunks), chunks[-1]["planchat"]


# -- markdown_answer on hand-built answers -----------------------------------------------------


@pytest.mark.parametrize(
    "text, markdown",
    [
        # Items follow their introduction; a blank line ends the list, so the note is not part of the last item.
        ("Rebild: «Vi vil:» [1]\n- «a» [2]\n- «b» [3]\n(Listen i planen har fjorten punkter; de første ti er vist.)",
         "Rebild: «Vi vil:» [1]\n- «a» [2]\n- «b» [3]\n\n(Listen i planen har fjorten punkter; de første ti er vist.)"),
        # A list without an introduction: the municipality gets its own line; an item of two quotes stays one item.
        ("Jammerbugt: «x» [1]\nVejle: - «a» [2]\n- «b» [3] «c» [4]\n«d» [5]",
         "Jammerbugt: «x» [1]\nVejle:\n- «a» [2]\n- «b» [3] «c» [4]\n\n«d» [5]"),
        # An item's quote over several lines: its further lines are indented under it (blank lines stay blank).
        ("Fredericia: «Vi vil:» [1]\n- «første\n\nanden» [2]\n- «tredje» [3]",
         "Fredericia: «Vi vil:» [1]\n- «første\n\n  anden» [2]\n- «tredje» [3]"),
        # No items: the text as it is, even a quote whose own lines start with "- ".
        ("Vejle: «Her opsamles data fra følgende systemer:\n\n- FASIT Jobcenter\n- KMD Data» [1]",
         "Vejle: «Her opsamles data fra følgende systemer:\n\n- FASIT Jobcenter\n- KMD Data» [1]"),
        ("Det fremgår ikke af planerne for Vejle. Nærmeste afsnit: [1], [2], [3].",
         "Det fremgår ikke af planerne for Vejle. Nærmeste afsnit: [1], [2], [3]."),
    ],  # fmt: skip
    ids=["note", "no-introduction", "multi-line-item", "quote-with-dashes", "abstention"],
)
def test_markdown_answer(text, markdown):
    assert markdown_answer(text) == markdown


# -- /v1/chat/completions ------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(LIST_EXAMPLES))
def test_a_list_answer_is_a_markdown_list_in_the_message_plain_and_streamed(client, name):
    question, municipality, intro, items = LIST_EXAMPLES[name]
    body = completion(client, question)
    structured, content = body["planchat"], body["choices"][0]["message"]["content"]
    assert (structured["kind"], structured["answer"]) == ("list", list_answer(municipality, intro, items))
    answer, sources = content.split("\n\nKilder:\n")
    # An introduction and "- " lines are Markdown as they are; an item's further lines are indented under it.
    assert answer == markdown_answer(structured["answer"])
    assert answer.splitlines()[0] == structured["answer"].splitlines()[0]
    numbered = [line.split(" ", 1)[0] for line in sources.split("\n") if line.startswith("[")]
    assert numbered == [f"[{n}]" for n in range(1, len(items) + 2)]
    text, last = streamed(client, question)
    assert text == content
    assert (last["kind"], last["answer"]) == ("list", structured["answer"])


def test_a_list_without_an_introduction_and_longer_than_shown_reads_as_markdown(client):
    body = completion(client, VEJLE_TOOLS_Q)
    structured, content = body["planchat"], body["choices"][0]["message"]["content"]
    answer = structured["answer"]
    assert structured["kind"] == "list"
    assert f"[8]\n{VEJLE_TOOLS_BETWEEN}\n- «I Jobcenter Vejle" in answer and answer.endswith(f"[20]\n{LIST_MORE_14}")
    # A blank line ends each list; an item's further lines are indented under it.
    assert content.startswith(markdown_answer(answer) + "\n\nKilder:\n[1] Vejle 2022")
    assert f"[8]\n\n{VEJLE_TOOLS_BETWEEN}" in content and f"[20]\n\n{LIST_MORE_14}" in content
    assert content.startswith("Vejle: «Tilgang» [1]\n- «Det skal gøres attraktivt")
    assert "balance mellem\n\n  udbuddet af praktikpladser" in content
    text, last = streamed(client, VEJLE_TOOLS_Q)
    assert (text, last["kind"]) == (content, "list")


@pytest.mark.parametrize("name", list(ABSTENTION_EXAMPLES))
def test_an_abstention_carries_kind_abstain(client, name):
    question, expected_text, see_also = ABSTENTION_EXAMPLES[name]
    body = completion(client, question)
    structured, content = body["planchat"], body["choices"][0]["message"]["content"]
    assert (structured["kind"], structured["abstained"], structured["answer"]) == ("abstain", True, expected_text)
    assert [c["role"] for c in structured["citations"]] == ["see_also"] * see_also
    assert content.split("\n\nKilder:\n")[0] == expected_text
    text, last = streamed(client, question)
    assert (text, last["kind"]) == (content, "abstain")
