"""Ministermål derived from the plans' own goal lists, and the matrix cells."""

from __future__ import annotations

import pytest

from planchat.errors import NotFound
from planchat.records import DocumentMeta
from retrieval.compare import CompareService
from retrieval.ministermaal import MinistermaalService, derive_goals, find_goal_listings

META = DocumentMeta(doc_id="d", municipality="Testby", year=2023, title="Plan")

GOALS_2022 = [
    "Alle ledige skal have en værdig sagsbehandling",
    "Flere ledige skal opkvalificeres",
    "Flere flygtninge og familiesammenførte skal være selvforsørgende",
    "Flere personer med handicap skal i beskæftigelse",
    "Virksomhederne skal sikres den nødvendige og kvalificerede arbejdskraft",
]


def titles(text: str) -> list[tuple[int, int, str]]:
    return [(g.year, g.number, g.title) for g in find_goal_listings(text, META)]


def test_a_list_of_mål_lines_after_an_announcing_line():
    text = (
        "De 4 beskæftigelsespolitiske ministermål for 2014 er:\n\n"
        "Mål 1. Flere unge skal have en uddannelse\n\n”Citat.”\n\n"
        "Mål 2. Færre personer på førtidspension\n\n"
        "Mål 3. Langtidsledigheden skal bekæmpes\n"
    )
    assert titles(text) == [
        (2014, 1, "Flere unge skal have en uddannelse"),
        (2014, 2, "Færre personer på førtidspension"),
        (2014, 3, "Langtidsledigheden skal bekæmpes"),
    ]


def test_numbered_goals_lose_their_carried_over_remark_and_keep_exact_spans():
    text = (
        "Ministermålene for 2022 er som følger:\n\n1. Alle ledige (videreført fra 2021)\n\nTekst.\n\n2. Flere i job\n"
    )
    listings = find_goal_listings(text, META)
    assert [(g.year, g.number, g.title) for g in listings] == [(2022, 1, "Alle ledige"), (2022, 2, "Flere i job")]
    assert [text[g.start : g.end] for g in listings] == ["Alle ledige (videreført fra 2021)", "Flere i job"]


def test_goals_listed_on_one_line_under_a_bare_heading_take_the_plans_year():
    text = "MINISTERMÅL\n\n1. Alle ledige skal have det godt 2. Flere ledige skal opkvalificeres 3. Færre på ydelse\n"
    assert titles(text) == [
        (2023, 1, "Alle ledige skal have det godt"),
        (2023, 2, "Flere ledige skal opkvalificeres"),
        (2023, 3, "Færre på ydelse"),
    ]


def test_bare_goal_headings_without_titles_are_not_goals():
    assert titles("Ministermål 1\n\nMinistermål 2\n\nMinistermål 3\n") == []
    assert titles("Ministermål 1:\n\nTilgangen skal begrænses til 36 personer.\n") == []


def test_the_corpus_goals_per_year(hash_index):
    listings = [
        listing
        for doc_id, meta in sorted(hash_index.documents.items())
        for listing in find_goal_listings(hash_index.docstore.clean_text(doc_id), meta)
    ]
    goals = derive_goals(listings)
    assert sorted(goals) == [2014, 2022, 2023]
    assert [g.title for g in goals[2014]] == [
        "Flere unge skal have en uddannelse",
        "Bedre og mere helhedsorienteret hjælp til ledige på kanten af arbejds-markedet – færre personer på "
        "førtidspension",
        "Langtidsledigheden skal bekæmpes",
        "En tættere kontakt og styrket dialog med de lokale virksomheder",
    ]
    assert [g.title for g in goals[2022]] == GOALS_2022
    assert [g.title for g in goals[2023]] == GOALS_2022  # "De gældende ministermål for 2022 fortsætter i 2023."
    assert [sorted({s.doc_id for s in g.sources}) for g in goals[2022]] == [["vejle-2020-23"]] * 5
    assert [sorted({s.doc_id for s in g.sources}) for g in goals[2023]] == [["fredericia-2023"]] * 5
    for goal in goals[2022] + goals[2023] + goals[2014]:
        for s in goal.sources:
            assert hash_index.docstore.clean_text(s.doc_id)[s.start : s.end].startswith(goal.title[:20])


def test_a_year_no_plan_lists_goals_for_is_not_found(hash_service):
    service = MinistermaalService(CompareService(hash_service))
    with pytest.raises(
        NotFound,
        match=r"^year: no plan in the corpus lists the ministermål for 2011\. "
        r"Years with listed goals: 2014, 2022, 2023\.$",
    ):
        service.matrix(2011)


@pytest.mark.integration
def test_the_2022_matrix(real_service):
    service = MinistermaalService(CompareService(real_service))
    matrix = service.matrix(2022)
    assert [p.doc_id for p in matrix.plans] == ["rebild-2022", "vejle-2020-23"]
    assert [g.title for g in matrix.goals] == GOALS_2022
    stated = {g.number: [row.stated for row in matrix.cells[g.number]] for g in matrix.goals}
    assert stated == {1: [True, True], 2: [False, True], 3: [True, True], 4: [True, True], 5: [True, True]}
    rebild_refugees = matrix.cells[3][0]
    assert rebild_refugees.citations[0].quote == (
        "Der opstilles et konkret mål om, at andelen af beskæftigede flygtninge og familiesammenførte ved "
        "udgangen af 2022 er mindst 50%."
    )
    assert [(t.value, t.unit, t.direction) for t in rebild_refugees.targets] == [(50.0, "pct", "at_least")]
    assert matrix.cells[2][0].citations == [] and matrix.cells[2][0].summary == "Ikke nævnt i planen"
    # No cell quotes the goal list itself or a heading that only repeats the goal.
    for goal in matrix.goals:
        for row in matrix.cells[goal.number]:
            assert all(c.quote.strip(" .").casefold() != goal.title.casefold() for c in row.citations)
