"""Document structure (ingest/outline.py): headings and list blocks, every
one a verbatim span of the clean text."""

from __future__ import annotations

from functools import cache

import pytest

from ingest.clean import clean
from ingest.loaders import load_path
from ingest.outline import build_outline
from planchat.config import REPO_ROOT
from planchat.records import CleanText, Outline

# The pinned counts per seed, with the hand count: tests/ingest/test_outline_seeds.py.
SEEDS = ("fredericia-2023", "jammerbugt-2014", "rebild-2022", "region-hovedstaden-sjaelland-2010", "vejle-2020-23")


@cache
def seed(doc_id: str) -> tuple[CleanText, Outline]:
    text = clean(load_path(REPO_ROOT / "corpus" / f"{doc_id}.txt"))
    return text, build_outline(text)


@pytest.mark.parametrize("doc_id", SEEDS)
def test_every_span_is_verbatim_and_in_reading_order(doc_id):
    text, outline = seed(doc_id)
    for h in outline.headings:
        assert " ".join(text.text[h.start : h.end].split()) == h.title
    for block in outline.lists:
        spans = ([block.intro] if block.intro else []) + list(block.items)
        assert all(0 <= s < e <= len(text.text) for s, e in spans)
        assert [s for s, _ in spans] == sorted(s for s, _ in spans)
        assert block.start <= block.items[0][0] and block.items[-1][1] == block.end


def test_fredericias_all_caps_headings_are_headings():
    _, outline = seed("fredericia-2023")
    titles = [h.title for h in outline.headings]
    for title in ("LANGTIDSLEDIGHED OG SYGEMELDTE", "UNGE", "LOKALPOLITISK PRIORITEREDE INDSATSOMRÅDER",
                  "FLERE FLYGTNINGE OG FAMILIESAMMENFØRTE SKAL VÆRE SELVFORSØRGENDE"):  # fmt: skip
        assert title in titles
    assert "VÆRE SELVFORSØRGENDE" not in titles  # the second line of a broken heading is not its own


def test_numbered_items_run_together_on_one_line_are_split():
    text, outline = seed("fredericia-2023")
    start = text.text.index("LANGTIDSLEDIGHED OG SYGEMELDTE")
    block = next(b for b in outline.lists if b.start > start and not b.sparse)
    assert text.text[block.intro[0] : block.intro[1]] == "Vi vil:"
    items = [text.text[s:e] for s, e in block.items]
    assert len(items) == 5 and block.numbered
    assert items[0] == (
        "Arbejde målrettet med tidlig opsporing og aktiv indsats fra dag 1 med henblik på at forebygge langtidsledighed"
    )
    assert items[2].startswith("Gennemføre en intensiv indsats for langtidsledige")


def test_the_ministermaal_list_is_introduced_by_its_heading():
    text, outline = seed("fredericia-2023")
    block = next(b for b in outline.lists if b.intro and text.text[b.intro[0] : b.intro[1]] == "MINISTERMÅL")
    assert text.text[block.items[1][0] : block.items[1][1]] == "Flere ledige skal opkvalificeres"


def test_dates_and_table_of_contents_lines_are_not_headings():
    text = CleanText(
        text="DECEMBER 2020\n\nIndhold\n2. Flere ledige skal opkvalificeres | 8\n\nMÅL OG INDSATSER\nTekst.\n\nMål 1. Flere i job",
        headings=(),
        pages=(),
    )
    assert [(h.title, h.level) for h in build_outline(text).headings] == [
        ("MÅL OG INDSATSER", 2),
        ("Mål 1. Flere i job", 3),
    ]


def test_bullets_with_an_introduction_and_a_single_item_is_no_list():
    text = CleanText(
        text="Jobcentret vil:\n• tilbyde samtaler\n• styrke virksomhedskontakten\n\nEnkelt:\n- kun en\n\nSlut.",
        headings=(),
        pages=(),
    )
    (block,) = build_outline(text).lists
    assert text.text[block.intro[0] : block.intro[1]] == "Jobcentret vil:"
    assert [text.text[s:e] for s, e in block.items] == ["tilbyde samtaler", "styrke virksomhedskontakten"]
    assert not block.numbered


def test_numbered_goals_with_paragraphs_between_them_are_one_sparse_list():
    text, outline = seed("jammerbugt-2014")
    block = next(b for b in outline.lists if b.sparse)
    assert text.text[block.intro[0] : block.intro[1]] == "De 4 beskæftigelsespolitiske ministermål for 2014 er:"
    assert [text.text[s:e] for s, e in block.items] == [
        "Flere unge skal have en uddannelse",
        "Bedre og mere helhedsorienteret hjælp til ledige på kanten af arbejds-markedet – færre personer på førtidspension",
        "Langtidsledigheden skal bekæmpes",
        "En tættere kontakt og styrket dialog med de lokale virksomheder",
    ]
