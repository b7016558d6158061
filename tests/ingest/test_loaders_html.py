"""ingest/loaders_html.py on real pages: the seed plan corpus/jammerbugt-2014.txt
saved as a municipality's web page (tests/fixtures/documents, made by
bench/document_fixtures.py), pages in Windows-1252, broken nesting, and
malformed ones. Each has an exact outcome (tests/expected_documents.py)."""

from __future__ import annotations

import re

import pytest
from document_files import malformed_page
from expected import JAMMERBUGT_228
from expected_documents import BROKEN_NESTING, DOCUMENT_OUTCOMES, FIXTURES, SEED_PAGE_BOILERPLATE

from ingest.clean import clean
from ingest.loaders import load_bytes, load_path
from ingest.outline import build_outline
from planchat.config import REPO_ROOT
from planchat.errors import DocumentError

SEED = REPO_ROOT / "corpus" / "jammerbugt-2014.txt"


def outline_of(text):
    outline = build_outline(text)
    return [(h.title, h.level) for h in outline.headings], [[text.text[s:e] for s, e in b.items] for b in outline.lists]


def test_the_seed_plan_as_a_web_page_is_the_seed_plan_without_the_site_around_it():
    page = clean(load_path(FIXTURES / "jammerbugt-2014.html"))
    seed = clean(load_path(SEED))
    # Word for word the seed's clean text; only the list marks differ (the page's <ul> items are "•").
    assert page.text == re.sub(r"(?m)^- ", "• ", seed.text)
    assert outline_of(page) == outline_of(seed)
    assert len(build_outline(page).headings) == 53 and len(build_outline(page).lists) == 12
    assert JAMMERBUGT_228 in page.text
    for phrase in SEED_PAGE_BOILERPLATE:  # cookie banner, menu, search, breadcrumb, sidebar, footers, scripts
        assert phrase in (FIXTURES / "jammerbugt-2014.html").read_text(encoding="utf-8")
        assert phrase not in page.text


def test_the_seed_page_table_is_rows_as_in_the_seed():
    page = clean(load_path(FIXTURES / "jammerbugt-2014.html")).text
    assert "00.25.11 | Beskæftigelsesudvalget | 507.676 | 512.115 | 4.439 |" in page


@pytest.mark.parametrize(
    "head",
    [
        "",
        '<meta charset="windows-1252">',
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">',
        '<meta charset="utf-8">',
    ],  # fmt: skip
    ids=["no-charset", "meta-charset", "http-equiv-latin1", "wrongly-declared-utf8"],
)
def test_a_windows_1252_page_decodes_to_its_danish_text(head):
    page = f"<html><head>{head}</head><body><h1>Mål for Ærø</h1><p>Ledigheden – 7,5 % – koster 2 mio. €.</p></body>"
    data = page.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert load_bytes(data, "plan.html").pages[0].text == "# Mål for Ærø\n\nLedigheden – 7,5 % – koster 2 mio. €.\n"


def test_a_declared_encoding_wins_over_a_guess():
    page = '<meta charset="iso-8859-15"><p>Prisen er 5 €</p>'.encode("iso-8859-15")  # € is 0xA4 there
    assert load_bytes(page, "plan.htm").pages[0].text == "Prisen er 5 €\n"


def test_broken_nesting_is_read_as_a_browser_repairs_it():
    loaded = load_bytes(BROKEN_NESTING.encode(), "rodet.html")
    expected = DOCUMENT_OUTCOMES["broken-nesting.html"]
    assert loaded.pages[0].text == expected["loaded"]
    text = clean(loaded)
    assert outline_of(text) == (expected["headings"], expected["lists"])


def test_escaped_markup_on_a_page_stays_text_and_is_decoded_once():
    page = "<p>Skriv &lt;img src=x onerror=alert(1)&gt; og &amp;lt;b&amp;gt; i R&amp;D.</p><script>alert(2)</script>"
    assert (
        clean(load_bytes(page.encode(), "plan.html")).text == "Skriv ＜img src=x onerror=alert(1)> og &lt;b&gt; i R&D."
    )


def test_lists_tables_and_boxes():
    page = (
        "<main><ol start='4'><li>Fjerde</li><li value='9'>Niende</li><li>Tiende</li></ol>"
        "<ul><li><p>Punkt med afsnit</p><p>og et afsnit mere</p></li><li>Andet <ul><li>indre</li></ul></li></ul>"
        "<table><tr><th>Mål</th><th>2025</th></tr><tr><td>Ledige <table><tr><td>indre</td><td>tabel</td></tr>"
        "</table></td><td>350<sup>2</sup></td></tr></table>"
        "<table class='faktaboks'><tr><td><h3>Fakta</h3><p>Boksens tekst.</p></td></tr></table></main>"
    )
    assert load_bytes(page.encode(), "plan.html").pages[0].text == (
        "4. Fjerde\n9. Niende\n10. Tiende\n\n• Punkt med afsnit\n\nog et afsnit mere\n\n• Andet\n• indre\n\n"
        "Mål\t2025\nLedige indre tabel\t350²\n\nFakta Boksens tekst.\n"
    )


def test_a_deeply_nested_page_reads_without_recursion():
    page = "<div>" * 20000 + "<p>Dybt nede.</p>" + "</div>" * 20000
    assert load_bytes(page.encode(), "dyb.html").pages[0].text == "Dybt nede.\n"


@pytest.mark.parametrize(
    "case", [case for case, outcome in DOCUMENT_OUTCOMES.items() if ".htm" in case and "code" in outcome]
)
def test_a_malformed_page_is_refused_with_what_to_do(case):
    name, data = malformed_page(case)
    expected = DOCUMENT_OUTCOMES[case]
    with pytest.raises(DocumentError) as caught:
        load_bytes(data, name)
    assert (caught.value.status, caught.value.code, caught.value.message) == (
        expected["status"], expected["code"], expected["message"])  # fmt: skip
