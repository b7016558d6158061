"""Issue 14: a list answer in the OpenAI message text (/v1/chat/completions,
plain and streamed) reads as a Markdown list, and the answer's ``kind``
travels in the extension field ``planchat`` with the rest of the answer."""

from __future__ import annotations

import html
import json
import re

import pytest
from conftest import make_settings
from expected import (
    ABSTENTION_EXAMPLES,
    LIST_EXAMPLES,
    LIST_MORE_14,
    VEJLE_TOOLS_BETWEEN,
    VEJLE_TOOLS_Q,
    list_answer,
)
from fastapi.testclient import TestClient

from api.app import create_app
from api.streaming import markdown_answer, source_link, sources_text


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
        (
            "Rebild: «Vi vil:» [1]\n- «a» [2]\n- «b» [3]\n(Listen i planen har fjorten punkter; de første ti er vist.)",
            "Rebild: «Vi vil:» [1]\n- «a» [2]\n- «b» [3]\n\n(Listen i planen har fjorten punkter; de første ti er vist.)",
        ),
        # A list without an introduction: the municipality gets its own line; an item of two quotes stays one item.
        (
            "Jammerbugt: «x» [1]\nVejle: - «a» [2]\n- «b» [3] «c» [4]\n«d» [5]",
            "Jammerbugt: «x» [1]\nVejle:\n- «a» [2]\n- «b» [3] «c» [4]\n\n«d» [5]",
        ),
        # An item's quote over several lines: its further lines are indented under it (blank lines stay blank).
        (
            "Fredericia: «Vi vil:» [1]\n- «første\n\nanden» [2]\n- «tredje» [3]",
            "Fredericia: «Vi vil:» [1]\n- «første\n\n  anden» [2]\n- «tredje» [3]",
        ),
        # No items: the text as it is, even a quote whose own lines start with "- ".
        (
            "Vejle: «Her opsamles data fra følgende systemer:\n\n- FASIT Jobcenter\n- KMD Data» [1]",
            "Vejle: «Her opsamles data fra følgende systemer:\n\n- FASIT Jobcenter\n- KMD Data» [1]",
        ),
        (
            "Det fremgår ikke af planerne for Vejle. Nærmeste afsnit: [1], [2], [3].",
            "Det fremgår ikke af planerne for Vejle. Nærmeste afsnit: [1], [2], [3].",
        ),
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


# -- issue 17, finding 5b: plan text stays text in a Markdown renderer -----------------------------

# A plan that writes Markdown and HTML (the literal tags are stripped at ingest, the encoded one is text).
MARKDOWN_PLAN = (
    "# Beskæftigelsesplan 2024\n\n## Rekruttering\n\n"
    "Virksomhedsrekruttering: [klik her](javascript:alert(1)), ![logo](http://evil.example/x.png), "
    "&lt;javascript:alert(2)&gt;, `kode`, \\[1\\], tabel [1] og «[2]» i planen.\n"
)
MARKDOWN_Q = "Hvad siger planen om virksomhedsrekruttering?"
MARKDOWN_QUOTE = (
    r"Virksomhedsrekruttering: [klik her](javascript:alert(1)), ![logo](http://evil.example/x.png), "
    r"＜javascript:alert(2)>, `kode`, \[1\], tabel [1] og «[2]» i planen."
)
MARKDOWN_ESCAPED = (
    r"Virksomhedsrekruttering: \[klik her\](javascript:alert(1)), !\[logo\](http://evil.example/x.png), "
    r"＜javascript:alert(2)\>, \`kode\`, \\\[1\\\], tabel \[1\] og «\[2\]» i planen."
)


def rendered(markdown: str) -> str:
    """The HTML a CommonMark chat UI makes of the text."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").render(markdown)


# The one link a message holds: each source's link to the source viewer on this server (issue 15).
OWN_LINK = re.compile(r'<a href="http://testserver/documents/[a-z0-9._-]+\?start=\d+&amp;end=\d+">Vis i planen</a>')


def assert_only_text(html_out: str) -> None:
    html_out = OWN_LINK.sub("", html_out)
    for active in ("<a ", "<img", "<code", "<script", "<javascript", "<svg"):
        assert active not in html_out


@pytest.fixture(scope="module")
def markdown_client(tmp_path_factory) -> TestClient:
    from ingest.index import PlanIndex
    from planchat.records import DocumentMeta

    settings = make_settings(tmp_path_factory.mktemp("openai-markdown"), retrieval_mode="bm25")
    index = PlanIndex(settings)
    meta = DocumentMeta(doc_id="aarhus-2024", municipality="Aarhus", year=2024, title="Beskæftigelsesplan 2024")
    index.ingest_bytes(MARKDOWN_PLAN.encode("utf-8"), "plan.md", meta)
    try:
        yield TestClient(create_app(settings, index=index), raise_server_exceptions=False)
    finally:
        index.close()


def test_quotes_cannot_become_links_images_autolinks_or_code_plain_and_streamed(markdown_client):
    body = completion(markdown_client, MARKDOWN_Q)
    structured, content = body["planchat"], body["choices"][0]["message"]["content"]
    assert structured["answer"] == f"Aarhus: «{MARKDOWN_QUOTE}» [1]"
    assert content == (
        f"Aarhus: «{MARKDOWN_ESCAPED}» [1]\n\n"
        f"Kilder:\n[1] Aarhus 2024 – Beskæftigelsesplan 2024 › Rekruttering: «{MARKDOWN_ESCAPED}» "
        "([Vis i planen](http://testserver/documents/aarhus-2024?start=39&end=199))"
    )
    text, last = streamed(markdown_client, MARKDOWN_Q)
    assert text == content and last["answer"] == structured["answer"]
    html_out = rendered(content)
    assert_only_text(html_out)
    # The renderer shows the plan's words exactly.
    assert html_out.startswith(f"<p>Aarhus: «{html.escape(MARKDOWN_QUOTE, quote=True)}» [1]</p>\n<p>Kilder:")


def cited(*quotes: str, role: str = "evidence") -> list[dict]:
    return [{"n": n, "quote": q, "municipality": "Rebild", "year": 2022, "page": None, "section": None, "role": role}
            for n, q in enumerate(quotes, 1)]  # fmt: skip


@pytest.mark.parametrize(
    "body, content",
    [
        # An LLM's words (its markers are real): a link, a marker made a link or a link definition, raw HTML.
        (
            {
                "answer": "Se [klik](javascript:alert(1)) [1](javascript:alert(2)) og <img src=x onerror=alert(3)> [2].\n"
                "[1]: javascript:alert(4)",
                "generator": "llm:m",
                "citations": cited("x", "y"),
            },
            "Se \\[klik\\](javascript:alert(1)) [1]\\(javascript:alert(2)) og \\<img src=x onerror=alert(3)\\> [2].\n"
            "[1]\\: javascript:alert(4)",
        ),
        # A group marker: each number is a marker, the brackets are text.
        (
            {"answer": "Planen siger det [1, 2].", "generator": "llm:m", "citations": cited("x", "y")},
            "Planen siger det \\[1, 2\\].",
        ),
        # An abstention: its markers are the see-also ones.
        (
            {
                "answer": "Det fremgår ikke af planerne. Nærmeste afsnit: [1], [2].",
                "abstained": True,
                "citations": cited("x", "y", role="see_also"),
            },
            "Det fremgår ikke af planerne. Nærmeste afsnit: [1], [2].",
        ),
        # A list answer: "- " lines and markers stay Markdown, the items' plan text is escaped.
        (
            {
                "answer": "Rebild: «Vi vil <b>:» [1]\n- «a [1](x)» [2]\n- «`b`» [3]",
                "citations": cited("Vi vil <b>:", "a [1](x)", "`b`"),
            },
            "Rebild: «Vi vil \\<b\\>:» [1]\n- «a \\[1\\](x)» [2]\n- «\\`b\\`» [3]",
        ),
    ],  # fmt: skip
    ids=["llm-links-and-html", "llm-group-marker", "abstention", "list"],
)
def test_the_answer_text_is_escaped_everywhere_but_at_its_markers(body, content):
    text = sources_text(body).split("\n\nKilder:\n")[0]
    assert text == content
    assert_only_text(rendered(text))


# -- issue 15: each source links to the source viewer, on this server only -------------------------


@pytest.mark.parametrize(
    "base_url, link",
    [
        ("http://testserver/", " ([Vis i planen](http://testserver/documents/rebild-2022?start=87&end=138))"),
        (
            "https://plan.example.dk:8443/planchat/",
            " ([Vis i planen](https://plan.example.dk:8443/planchat/documents/rebild-2022?start=87&end=138))",
        ),
        ("http://[::1]:8000/", " ([Vis i planen](http://[::1]:8000/documents/rebild-2022?start=87&end=138))"),
        # A Host header that would end the link and start another, a scheme that runs script, no base: no link.
        ("http://evil.example/x) [klik](javascript:alert(1)/", ""),
        ("javascript:alert(1)//", ""),
        ("http://a b/", ""),
        (None, ""),
    ],  # fmt: skip
    ids=["plain", "proxy-path", "ipv6", "injected-host", "javascript", "space", "none"],
)
def test_a_source_links_to_the_viewer_only_from_a_plain_base_url(base_url, link):
    citation = {"n": 1, "doc_id": "rebild-2022", "start": 87, "end": 138}
    assert source_link(base_url, citation) == link
    assert source_link("http://testserver/", citation, "en") == (
        " ([Show in the plan](http://testserver/documents/rebild-2022?start=87&end=138))"
    )
