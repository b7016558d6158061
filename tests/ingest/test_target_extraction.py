"""Target extraction (ingest/target_extraction.py): exact records from exact sentences,
the corpus's targets, and how stored targets follow the document store."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import make_settings
from expected import TARGET_COUNTS

import ingest.index as index_module
from ingest.index import PlanIndex
from ingest.target_extraction import extract_targets, find_targets


def found(sentence: str) -> list[tuple]:
    return [(f.value, f.unit, f.direction, f.change) for f in find_targets(sentence)]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Antallet af langtidsledige – dvs. ledige, der har været ledige i min. 80 pct. af tiden inden for de "
            "seneste 52 uger – skal begrænses til 228 personer (antal personer) i december 2014, svt. et fald på "
            "20 pct. fra december 2012 til december 2014.",
            [(228.0, "personer", "at_most", None), (20.0, "pct", "decrease", "by")],
        ),
        (
            "Årlig besparelse på 3,7 mio. kr. i 2022, 7,0 mio. kr. i 2023 og 11 mio. kr. i 2024 og frem.",
            [(3.7, "mio. kr.", "equal", None), (7.0, "mio. kr.", "equal", None), (11.0, "mio. kr.", "equal", None)],
        ),
        (
            "På den baggrund er der igen i 2022 et specifikt fokus på at reducere ledigheden for fleksjobbere, og "
            "det konkrete mål er, at ledigheden for fleksjobbere skal reduceres til 10%.",
            [(10.0, "pct", "decrease", "to")],
        ),
        (
            "Der forventes gennemsnitligt at være minimum 100 igangværende revalideringsbevillinger, dog maksimalt 175.",
            [(100.0, "bevillinger", "at_least", None), (175.0, "antal", "at_most", None)],
        ),
        ("Mindst fire samtaler de første seks måneder.", [(4.0, "samtaler", "at_least", None)]),
        (
            "Uddannelsesgraden for unge uden uddannelse i jobcenteret skal i december 2014 (år til dato) være på "
            "24 pct., svt. en stigning på 7,1 procentpoint fra december 2012 til december 2014.",
            [(24.0, "pct", "increase", "to"), (7.1, "procentpoint", "increase", "by")],
        ),
        ("Der forventes ultimo 2014 at være 580 fleksjobbevillinger.", [(580.0, "bevillinger", "equal", None)]),
        ("- Andelen skal stige, og ambitionen er top 20 i landet.", [(20.0, "placering", "at_most", None)]),
        # Not targets: statistics, qualifiers of a group, ages, definitions.
        ("Ledigheden var 5,2 pct. i 2012 og faldt til 4,8 pct. i 2013.", []),
        ("Ledigheden er steget med 12 pct. siden 2019.", []),
        ("Unge under 30 år uden uddannelse skal i ordinær uddannelse.", []),
        ("Personer med mindst 12 måneders anciennitet får en samtale.", []),
        ("Jobcentret har 120 medarbejdere i 2023.", []),
    ],
)
def test_find_targets(sentence, expected):
    assert found(sentence) == expected


def test_a_bound_inside_a_relative_clause_qualifies_the_group_not_the_target():
    sentence = (
        "Den gennemsnitlige andel af personer med mindst 12 måneders anciennitet, som har modtaget færre end fire "
        "samtaler de sidste 12 måneder, skal være mindre end 20%."
    )
    assert found(sentence) == [(20.0, "pct", "at_most", None)]


def by_value(targets, doc_id):
    return {(t.value, t.unit): t for t in targets if t.doc_id == doc_id}


def test_the_corpus_targets_the_issue_names(hash_index):
    targets = hash_index.targets()
    assert {d: len(hash_index.targets(d)) for d in hash_index.documents} == TARGET_COUNTS

    jammerbugt = by_value(targets, "jammerbugt-2014")
    t228 = jammerbugt[(228.0, "personer")]
    assert (t228.indicator, t228.direction, t228.target_year, t228.target_period, t228.baseline_period) == (
        "Antallet af langtidsledige", "at_most", 2014, "december 2014", None,
    )  # fmt: skip
    assert (jammerbugt[(36.0, "personer")].indicator, jammerbugt[(36.0, "personer")].direction) == (
        "Tilgangen til førtidspension", "at_most",
    )  # fmt: skip
    assert (jammerbugt[(660.0, "personer")].indicator, jammerbugt[(660.0, "personer")].direction) == (
        "kontanthjælpsmodtagere", "at_most",
    )  # fmt: skip
    t20 = jammerbugt[(20.0, "pct")]
    assert (t20.direction, t20.change, t20.baseline_period) == ("decrease", "by", "december 2012")

    rebild = by_value(targets, "rebild-2022")
    assert (rebild[(10.0, "pct")].indicator, rebild[(10.0, "pct")].direction, rebild[(10.0, "pct")].change) == (
        "ledigheden for fleksjobbere", "decrease", "to",
    )  # fmt: skip
    assert (rebild[(50.0, "pct")].indicator, rebild[(50.0, "pct")].direction) == (
        "andelen af beskæftigede flygtninge og familiesammenførte", "at_least",
    )  # fmt: skip

    savings = [
        (t.value, t.target_year, t.indicator) for t in hash_index.targets("fredericia-2023") if t.unit == "mio. kr."
    ]
    assert savings == [
        (3.7, 2022, "besparelser"), (7.0, 2023, "besparelser"), (11.0, 2024, "besparelser"),
        (3.7, 2022, "Årlig besparelse"), (7.0, 2023, "Årlig besparelse"), (11.0, 2024, "Årlig besparelse"),
    ]  # fmt: skip


def test_every_target_quotes_its_document_verbatim_and_points_at_its_chunk(hash_index):
    for doc_id in hash_index.documents:
        text = hash_index.docstore.clean_text(doc_id)
        for t in hash_index.targets(doc_id):
            assert text[t.start : t.end] == t.quote
            assert t.value_text in t.quote
            chunk = hash_index.chunk(t.chunk_id)
            assert chunk.doc_id == doc_id and chunk.start <= t.start < chunk.end
            assert t.section == chunk.section and t.page == chunk.page


def test_extraction_is_deterministic(hash_index):
    doc_id = "jammerbugt-2014"
    again = extract_targets(
        hash_index.docstore.clean_text(doc_id), hash_index.docstore.chunks(doc_id), hash_index.documents[doc_id]
    )
    assert again == hash_index.targets(doc_id)


def test_stored_targets_of_an_older_extractor_are_re_extracted_at_start_up(tmp_path, monkeypatch):
    settings = make_settings(tmp_path / "data")
    index = PlanIndex(settings)
    index.sync_corpus(settings.corpus_dir)
    rebild = index.targets("rebild-2022")
    # Simulate an index written by an older extractor: stale version, no records.
    index.docstore.put_targets("rebild-2022", "0", [])
    assert PlanIndex(settings).targets("rebild-2022") == rebild
    assert index.docstore.targets()["rebild-2022"][0] == index_module.TARGETS_VERSION

    monkeypatch.setattr(index_module, "TARGETS_VERSION", "next")
    reopened = PlanIndex(settings)
    assert {version for version, _ in reopened.docstore.targets().values()} == {"next"}

    reopened.delete("rebild-2022")
    assert reopened.targets("rebild-2022") == []
    assert "rebild-2022" not in reopened.docstore.targets()


def test_a_document_without_targets_has_none(hash_index):
    assert hash_index.targets("region-hovedstaden-sjaelland-2010") == []
    meta = replace(hash_index.documents["rebild-2022"], doc_id="x")
    assert extract_targets("Ingen tal her. Kun ord.", [], meta) == []
