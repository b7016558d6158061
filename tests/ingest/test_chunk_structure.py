"""Chunks follow the outline (issue 14): the heading path is the outline's
(all-caps and numbered chapters too), a list item is never cut, a table's
caption starts its chunk and travels as context, the table of contents is
filed under its title."""

from __future__ import annotations

from functools import cache

import pytest

from ingest.chunk import chunk_document
from ingest.clean import clean
from ingest.loaders import load_path
from ingest.manifest import read_manifest
from ingest.outline import build_outline
from ingest.tokens import count_tokens
from planchat.config import REPO_ROOT
from planchat.records import Chunk, CleanText, DocumentMeta, LoadedText, PageText

META = DocumentMeta(
    doc_id="aby-2024", municipality="Aby", year=2024, title="Beskæftigelsesplan 2024", years=(2024, 2025)
)


def plain(text: str) -> CleanText:
    return clean(LoadedText(pages=(PageText(number=None, text=text),), media_type="text/plain"))


@cache
def seed_chunks(doc_id: str, max_tokens: int = 220) -> tuple[CleanText, tuple[Chunk, ...]]:
    meta, path = next((m, p) for m, p in read_manifest(REPO_ROOT / "corpus") if m.doc_id == doc_id)
    text = clean(load_path(path))
    return text, tuple(chunk_document(text, meta, max_tokens=max_tokens))


def chunk_with(doc_id: str, phrase: str) -> Chunk:
    (found,) = [c for c in seed_chunks(doc_id)[1] if phrase in c.text]
    return found


WRAPPED = (
    "## Virksomhederne\n\nJobcentret har en lang tradition for et tæt samarbejde med virksomhederne i kommunen.\n\n"
    "Vi vil:\n- tilbyde alle ledige en samtale hver måned\n- styrke kontakten til virksomhederne i Jobcenter\n"
    "Aby og i nabokommunerne, så flere ledige kommer i job\n- følge op på alle forløb.\n\nSlut på afsnittet."
)


def test_an_item_that_wraps_over_two_lines_stays_in_one_chunk():
    text = plain(WRAPPED)
    # The second item goes on on the next line («… i Jobcenter» + «Aby og …»).
    (block,) = build_outline(text).lists
    assert text.text[block.items[1][0] : block.items[1][1]] == (
        "styrke kontakten til virksomhederne i Jobcenter\nAby og i nabokommunerne, så flere ledige kommer i job"
    )
    # Line by line, the first line of that item would still fit after «Vi vil:» and the first item.
    assert count_tokens("Vi vil:\n- tilbyde alle ledige en samtale hver måned\n- styrke kontakten til virksomhederne i Jobcenter") <= 40  # fmt: skip
    chunks = chunk_document(text, META, max_tokens=40)
    assert [(c.section, c.text) for c in chunks] == [
        (
            "Virksomhederne",
            "Virksomhederne\n\nJobcentret har en lang tradition for et tæt samarbejde med virksomhederne i kommunen.",
        ),  # fmt: skip
        ("Virksomhederne", "Vi vil:\n- tilbyde alle ledige en samtale hver måned"),
        (
            "Virksomhederne",
            "- styrke kontakten til virksomhederne i Jobcenter\nAby og i nabokommunerne, så flere ledige kommer i job",
        ),  # fmt: skip
        ("Virksomhederne", "- følge op på alle forløb.\n\nSlut på afsnittet."),
    ]


ITEMS_ON_ONE_LINE = (
    "LANGTIDSLEDIGE\nDer er fokus på de langtidsledige.\n\nVi vil:\n\n"
    "1. Arbejde målrettet med tidlig opsporing af ledige 2. Gennemføre virksomhedsrettet vejledning og "
    "opkvalificering 3. Gennemføre en intensiv indsats for langtidsledige.\n\n"
    "4. Styrke borgernes selvstændighed og jobsøgning.\n\nUNGE\nFlere unge skal i uddannelse."
)


def test_a_long_list_is_split_between_items_only():
    text = plain(ITEMS_ON_ONE_LINE)
    assert count_tokens(text.text.split("\n")[5]) == 63  # the line of items 1–3: over the budget of 40
    chunks = chunk_document(text, META, max_tokens=40)
    assert [(c.section, c.text) for c in chunks] == [
        ("LANGTIDSLEDIGE", "LANGTIDSLEDIGE\nDer er fokus på de langtidsledige."),
        ("LANGTIDSLEDIGE", "Vi vil:\n\n1. Arbejde målrettet med tidlig opsporing af ledige"),
        ("LANGTIDSLEDIGE", "2. Gennemføre virksomhedsrettet vejledning og opkvalificering"),
        (
            "LANGTIDSLEDIGE",
            "3. Gennemføre en intensiv indsats for langtidsledige.\n\n4. Styrke borgernes selvstændighed og jobsøgning.",
        ),  # fmt: skip
        ("UNGE", "UNGE\nFlere unge skal i uddannelse."),
    ]


@pytest.mark.parametrize("max_tokens", [220, 64])
def test_no_seed_list_item_is_cut_unless_it_alone_exceeds_the_budget(max_tokens):
    cut = []
    for meta, _path in read_manifest(REPO_ROOT / "corpus"):
        text, chunks = seed_chunks(meta.doc_id, max_tokens)
        for block in build_outline(text).lists:
            for start, end in block.items:
                if len({c.ordinal for c in chunks if c.start < end and c.end > start}) > 1:
                    cut.append(count_tokens(text.text[start:end]))
    assert all(n > max_tokens for n in cut)
    assert (len(cut) > 0) == (max_tokens == 64)


def test_fredericias_caps_headings_label_their_chunks():
    # Before (PIPELINE_VERSION 12) all three were "5. Formidling og Kommunikation › Vi vil".
    assert chunk_with("fredericia-2023", "Arbejde målrettet med tidlig opsporing").section == (
        "4. Ministermål og indsatsområder › LANGTIDSLEDIGHED OG SYGEMELDTE"
    )
    assert chunk_with("fredericia-2023", "Udvikle en Ungeenhed").section == "4. Ministermål og indsatsområder › UNGE"
    assert chunk_with("fredericia-2023", "Øge fokus på bæredygtige jobs").section == (
        "4. Ministermål og indsatsområder › FORMIDLING OG KOMMUNIKATION"
    )
    # Chapter 3 starts mid-line in the extracted text; its chunk starts there.
    assert chunk_with("fredericia-2023", "Arbejdsmarkedet slog også").text.startswith(
        "3. Arbejdsmarkedet i Fredericia Kommune\nArbejdsmarkedet slog også i Fredericia Kommune en kolbøtte"
    )
    sections = {c.section for c in seed_chunks("fredericia-2023")[1]}
    assert not [s for s in sections if "5. Formidling og Kommunikation" in s or "Vi vil" in s]


def test_a_table_caption_starts_a_chunk_and_labels_the_rest_of_the_table():
    text = plain(
        "Ledigheden faldt i 2023, jf. tabel 1.\n\nTabel 1: Fuldtidspersoner på ydelser i Aby\n\nYdelse\n\nÅr 2022 2023\n\n"
        "Dagpenge 1.100 1.200\n\nKontanthjælp 1.101 1.201\n\nSygedagpenge 1.102 1.202\n\nFleksjob 1.103 1.203\n\n"
        "Tabellen viser, at flere ledige er kommet i arbejde i løbet af året."
    )
    # The header: the caption and the lines down to the first row of figures.
    header = "Tabel 1: Fuldtidspersoner på ydelser i Aby\nYdelse\nÅr 2022 2023"
    assert [(c.text, c.context) for c in chunk_document(text, META, max_tokens=40)] == [
        ("Ledigheden faldt i 2023, jf. tabel 1.", ""),
        ("Tabel 1: Fuldtidspersoner på ydelser i Aby\n\nYdelse\n\nÅr 2022 2023", ""),
        ("Dagpenge 1.100 1.200\n\nKontanthjælp 1.101 1.201", header),
        ("Sygedagpenge 1.102 1.202\n\nFleksjob 1.103 1.203", header),
        ("Tabellen viser, at flere ledige er kommet i arbejde i løbet af året.", ""),  # body text ends the table
    ]
    # Fredericia's table 1, flattened to lines of cells.
    assert chunk_with("fredericia-2023", "Kontanthjælp 706").text.startswith(
        "Tabel 1: Antal fuldtidspersoner på offentlig forsørgelse. Fredericia kommune sammenlignet med hele landet"
    )
    assert chunk_with("fredericia-2023", "Sygedagpenge 727").context == (
        "Tabel 1: Antal fuldtidspersoner på offentlig forsørgelse. Fredericia kommune sammenlignet med hele landet\n"
        "Målgruppe\nAntal fuldtidspersoner\nUdviklings seneste år (pct.)*\nFuldtidspersoner i pct.\n"
        "af befolkningen 16-66 år\nMaj 2022 Fredericia Hele landet Fredericia Hele landet\nMaj 2021 - Maj 2022 Maj 2022 Maj 2022"
    )


def test_the_table_of_contents_is_filed_under_its_title():
    _, chunks = seed_chunks("rebild-2022")
    assert [(c.section, c.text.split("\n")[0]) for c in chunks[:3]] == [
        ("BESKÆFTIGELSESP 2022 › Indholdsfortegnelse", "BESKÆFTIGELSESP 2022"),
        ("BESKÆFTIGELSESP 2022 › Indholdsfortegnelse", "Sådan når vi målet i samarbejde med virksomhederne | 7"),
        ("Hvad er Beskæftigelsesplan 2022?", "Hvad er Beskæftigelsesplan 2022?"),
    ]
    assert [c.section for c in seed_chunks("vejle-2020-23")[1][1:4]] == ["Indhold", "Indhold", "Indhold"]


def test_the_given_outline_is_the_one_used():
    text = plain(WRAPPED)
    assert chunk_document(text, META, max_tokens=40, outline=build_outline(text)) == chunk_document(text, META, max_tokens=40)  # fmt: skip
