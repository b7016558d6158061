"""The source viewer, GET /documents/{doc_id} (api/routes/pages_source.py):
the clean text with its outline as contents, page labels in the margin, and
the cited span marked exactly; unknown documents and bad spans answered in
Danish, never with a 500."""

from __future__ import annotations

import html
import re

import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api.app import create_app
from api.pages.source import cited_span
from planchat.errors import InvalidRequest

JAMMERBUGT_Q = "Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?"


@pytest.fixture(scope="module")
def client(hash_index, tmp_path_factory) -> TestClient:
    settings = make_settings(tmp_path_factory.mktemp("pages-source"), retrieval_mode="bm25")
    return TestClient(create_app(settings, index=hash_index), raise_server_exceptions=False)


def marked(page: str) -> str:
    """The text of every <mark>, joined: what the viewer highlights."""
    return "".join(html.unescape(m) for m in re.findall(r"<mark[^>]*>(.*?)</mark>", page, re.S))


def test_a_citation_from_ask_opens_with_exactly_its_quote_marked(client, hash_index):
    citation = client.post("/v1/ask", json={"question": JAMMERBUGT_Q}).json()["citations"][0]
    assert citation["url"] == f"/documents/jammerbugt-2014?start={citation['start']}&end={citation['end']}"
    page = client.get(citation["url"])
    assert (page.status_code, page.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert marked(page.text) == citation["quote"]
    assert page.text.count("<mark") == 1 and '<mark id="cited" tabindex="-1">' in page.text
    assert "<h1>Jammerbugt 2014: Jobcenter Jammerbugt Beskæftigelsesplan 2014</h1>" in page.text
    note = f"Det citerede uddrag (tegn {citation['start']}–{citation['end']}) er markeret."
    assert f'<p class="cited-note" role="status">{note}' in page.text
    assert '<script src="/static/source.js" defer></script>' in page.text
    # Everything else is the clean text, verbatim: the page's text minus its markup is the stored text.
    body = re.search(r'<div class="doc-text">(.*?)</div>', page.text, re.S).group(1)
    assert html.unescape(re.sub(r"<[^>]+>", "", body)) == hash_index.docstore.clean_text("jammerbugt-2014")


def test_a_span_across_headings_is_marked_in_pieces_that_join_to_the_span(client, hash_index):
    text = hash_index.docstore.clean_text("jammerbugt-2014")
    heading = next(h for h in hash_index.docstore.outline("jammerbugt-2014").headings if h.start > 1000)
    start, end = heading.start - 40, heading.end + 40
    page = client.get(f"/documents/jammerbugt-2014?start={start}&end={end}")
    assert page.status_code == 200 and marked(page.text) == text[start:end]
    assert page.text.count("<mark") == 3  # before the heading, the heading, after it
    assert f'<span class="doc-heading" id="h-{heading.start}" role="heading" aria-level=' in page.text


def test_the_outline_is_the_table_of_contents_with_anchors_into_the_text(client):
    outline = client.get("/v1/documents/rebild-2022/outline").json()
    page = client.get("/documents/rebild-2022")
    assert (page.status_code, "<mark" in page.text) == (200, False)
    toc = re.search(r'<nav class="toc" aria-labelledby="toc-title">(.*?)</nav>', page.text, re.S).group(1)
    links = re.findall(r'<a href="#h-(\d+)">(.*?)</a>', toc)
    top = [(str(h["start"]), html.escape(h["title"])) for h in outline["headings"]]
    assert [link for link in links if link in top] == top  # every top heading, in order, with its children between
    assert links[:3] == [("0", "BESKÆFTIGELSESP 2022"), ("911", "Hvad er Beskæftigelsesplan 2022?"),
                         ("2112", "IKON-HENVISNINGER")]  # fmt: skip
    for start, _ in links:
        assert f'id="h-{start}"' in page.text


def test_an_unknown_document_is_a_danish_404_page(client):
    page = client.get("/documents/odense-2031")
    assert (page.status_code, page.headers["content-type"]) == (404, "text/html; charset=utf-8")
    assert "<h1>Dokumentet findes ikke</h1>" in page.text
    assert (
        '<div class="error" role="alert"><p>Der er intet dokument med id «odense-2031» i samlingen. Det kan være '
        "slettet eller erstattet af en nyere plan.</p></div>"
    ) in page.text
    assert client.get("/documents/%3Cscript%3E").text.count("«&lt;script&gt;»") == 1


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=x&end=30", "start=«x» er ikke et tegnnummer (et helt tal fra 0)."),
        ("start=10", "Markeringen kræver både start og end (fx ?start=120&end=180)."),
        ("start=-5&end=30", "start=«-5» er ikke et tegnnummer (et helt tal fra 0)."),
        (
            "start=30&end=30",
            "start=30 og end=30 ligger ikke i teksten: den har 23342 tegn, og start skal være mindre "
            "end end. Linket kan stamme fra en ældre udgave af planen.",
        ),
        (
            "start=0&end=99999999",
            "start=0 og end=99999999 ligger ikke i teksten: den har 23342 tegn, og start skal "
            "være mindre end end. Linket kan stamme fra en ældre udgave af planen.",
        ),
        ("start=0&end=1" + "0" * 20, "end=«1" + "0" * 20 + "» er ikke et tegnnummer (et helt tal fra 0)."),
    ],  # fmt: skip
    ids=["not-a-number", "one-end", "negative", "empty", "past-the-end", "huge"],
)
def test_a_bad_span_is_ignored_with_a_notice_and_a_400(client, hash_index, query, message):
    assert len(hash_index.docstore.clean_text("rebild-2022")) == 23342
    page = client.get(f"/documents/rebild-2022?{query}")
    assert page.status_code == 400 and "<mark" not in page.text
    notice = re.search(r"<strong>Markeringen er ignoreret.</strong> (.*?)</p>", page.text).group(1)
    assert html.unescape(notice) == message
    assert '<div class="doc-text">' in page.text  # the plan is still shown


def test_cited_span_validates_at_the_edge():
    assert cited_span(None, None, 10) is None
    assert cited_span("0", "10", 10).end == 10
    with pytest.raises(InvalidRequest, match=r"^end=«1\.5» er ikke et tegnnummer"):
        cited_span("0", "1.5", 10)


def test_the_scroll_script_is_a_static_file(client):
    script = client.get("/static/source.js")
    assert (script.status_code, script.headers["content-type"]) == (200, "application/javascript; charset=utf-8")
    assert 'document.getElementById("cited")' in script.text


# -- page labels: a PDF with printed labels ----------------------------------------------------------


def pdf_pages(pages: list[list[str]], labels: str | None = None) -> bytes:
    """A PDF with one page per list of lines (Helvetica 10 pt); ``labels`` a /PageLabels style, e.g. 'r'."""
    n = len(pages)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    page_labels = f" /PageLabels << /Nums [0 << /S /{labels} >>] >>" if labels else ""
    objects = [
        f"<< /Type /Catalog /Pages 2 0 R{page_labels} >>".encode(),
        f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        stream = "".join(f"BT /F1 10 Tf 50 {760 - 14 * k} Td ({line}) Tj ET\n" for k, line in enumerate(lines))
        data = stream.encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)


def page_of(topic: str) -> list[str]:
    return [
        f"Indsats {n} for {topic}: jobcentret holder samtaler med ledige og virksomheder hver uge." for n in range(40)
    ]


def test_page_labels_stand_in_the_margin_where_their_pages_start(tmp_path):
    from ingest.index import PlanIndex
    from planchat.records import DocumentMeta

    settings = make_settings(tmp_path, retrieval_mode="bm25")
    index = PlanIndex(settings)
    pdf = pdf_pages([page_of("unge"), page_of("seniorer"), page_of("flygtninge")], labels="r")
    meta = DocumentMeta(doc_id="odder-2024", municipality="Odder", year=2024, title="Beskæftigelsesplan 2024")
    index.ingest_bytes(pdf, "plan.pdf", meta)
    try:
        client = TestClient(create_app(settings, index=index), raise_server_exceptions=False)
        page = client.get("/documents/odder-2024").text
        labels = re.findall(r'<span class="page-label">([^<]+)</span>', page)
        assert labels == ["s. i", "s. ii", "s. iii"]
        text = index.docstore.clean_text("odder-2024")
        firsts: dict = {}
        for chunk in index.docstore.chunks("odder-2024"):
            firsts.setdefault(chunk.page, chunk)
        assert [(n, c.page_label) for n, c in firsts.items()] == [(1, "i"), (2, "ii"), (3, "iii")]
        for label, chunk in zip(labels, firsts.values(), strict=True):
            tag = f'<span class="page-label">{label}</span>'
            assert html.unescape(page[page.index(tag) + len(tag) :]).startswith(text[chunk.start : chunk.start + 30])
    finally:
        index.close()
