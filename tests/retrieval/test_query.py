"""Query analysis: municipality and year detection, filter validation."""

from __future__ import annotations

import pytest

from planchat.errors import InvalidRequest, UnknownFilter
from planchat.records import DocumentMeta
from retrieval.query import QueryAnalyzer, answer_type, detect_language

DOCS = {
    "jammerbugt-2014": DocumentMeta("jammerbugt-2014", "Jammerbugt", 2014, "Plan 2014", publisher="Jammerbugt Kommune"),
    "vejle-2020-23": DocumentMeta("vejle-2020-23", "Vejle", 2022, "Plan 2020-23", years=(2020, 2021, 2022, 2023)),
    "fredericia-2023": DocumentMeta("fredericia-2023", "Fredericia", 2023, "Plan 2023"),
    "region-2010": DocumentMeta(
        "region-2010", "Beskæftigelsesregion Hovedstaden & Sjælland", 2010, "Inspiration", aliases=("regionen",)
    ),
}


@pytest.fixture
def analyzer() -> QueryAnalyzer:
    return QueryAnalyzer(DOCS)


def test_genitive_municipality_and_year_become_filters(analyzer):
    q = analyzer.analyze("Hvad er Jammerbugts mål for langtidsledigheden i 2014?")
    assert q.municipalities == ["Jammerbugt"]
    assert q.years == [2014]
    assert q.doc_ids == ["jammerbugt-2014"]
    assert q.unknown_municipalities == []


def test_vejledning_is_not_vejle(analyzer):
    q = analyzer.analyze("Hvordan foregår vejledningen om repatriering?")
    assert q.municipalities == []
    assert q.doc_ids is None


def test_municipality_outside_corpus_is_reported(analyzer):
    q = analyzer.analyze("Hvad er Aarhus' mål for ledigheden i 2022?")
    assert q.unknown_municipalities == ["Aarhus"]
    assert q.municipalities == []


def test_year_no_plan_of_that_municipality_covers_is_not_a_filter(analyzer):
    # Fredericia's 2023 plan states savings for 2024: "i 2024" must not empty the search.
    q = analyzer.analyze("Hvor meget skal Fredericia spare i 2024?")
    assert q.municipalities == ["Fredericia"]
    assert q.years == []
    assert q.doc_ids == ["fredericia-2023"]


def test_multi_year_plan_matches_year_inside_its_period(analyzer):
    q = analyzer.analyze("Hvad vil Vejle gøre for ledige i 2021?")
    assert q.doc_ids == ["vejle-2020-23"]


def test_alias_from_manifest(analyzer):
    q = analyzer.analyze("Hvilke målgrupper nævner regionen?")
    assert q.municipalities == ["Beskæftigelsesregion Hovedstaden & Sjælland"]


def test_explicit_filter_resolves_case_insensitively(analyzer):
    q = analyzer.analyze("Hvad er målet?", municipalities=["jammerbugt kommune"], years=[2014])
    assert q.municipalities == ["Jammerbugt"]
    assert q.doc_ids == ["jammerbugt-2014"]


def test_unknown_explicit_municipality_names_the_known_ones(analyzer):
    with pytest.raises(
        UnknownFilter,
        match=r"municipalities: 'Aarhus' is not in the corpus\. Known municipalities: "
        r"Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Vejle\.",
    ):
        analyzer.analyze("Hvad er målet?", municipalities=["Aarhus"])


def test_explicit_year_no_plan_covers_is_refused(analyzer):
    with pytest.raises(UnknownFilter, match=r"years: no plan covers 1999\. Years in the corpus: 2010, 2014, 2020"):
        analyzer.analyze("Hvad er målet?", years=[1999])


def test_empty_question_is_refused(analyzer):
    with pytest.raises(InvalidRequest, match="question: must not be empty"):
        analyzer.analyze("   ")


def test_spanning_and_number_questions_are_recognised(analyzer):
    q = analyzer.analyze("Hvilke kommuner har mål for flygtninge?")
    assert q.spanning is True
    assert q.wants_number is True
    assert analyzer.analyze("Hvordan arbejder Vejle med virksomheder?").wants_number is False


@pytest.mark.parametrize(
    "question, lang",
    [
        ("What is Jammerbugt's target for long-term unemployment in 2014?", "en"),
        ("Hvad er Jammerbugts mål for langtidsledigheden i 2014?", "da"),
        ("Hvor mange flygtninge skal i job?", "da"),
    ],
)
def test_language_detection(question, lang):
    assert detect_language(question) == lang


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Hvornår blev planen godkendt?", "when"),
        ("Hvor ofte følges der op?", "how_often"),
        ("Hvem er ansvarlig?", "who"),
        ("Hvad er målet?", "target"),
        ("What is the target for 2014?", "target"),
        ("Hvordan arbejder Vejle med unge?", "how"),
        ("Hvorfor er der flere på kontanthjælp?", "why"),
        ("Hvad er planens formål?", ""),
    ],
)
def test_answer_type(question, kind):
    assert answer_type(question) == kind


def test_an_unknown_municipality_names_the_callers_field(analyzer):
    assert analyzer.resolve_municipality(" jammerbugt ", field="municipality") == "Jammerbugt"
    known = "Beskæftigelsesregion Hovedstaden & Sjælland, Fredericia, Jammerbugt, Vejle"
    with pytest.raises(UnknownFilter) as default:
        analyzer.resolve_municipality("Aarhus")
    with pytest.raises(UnknownFilter) as named:
        analyzer.resolve_municipality("Aarhus", field="municipality")
    assert (default.value.message, named.value.message) == (
        f"municipalities: 'Aarhus' is not in the corpus. Known municipalities: {known}.",
        f"municipality: 'Aarhus' is not in the corpus. Known municipalities: {known}.",
    )


def test_a_compound_yields_its_head_so_the_team_is_found_in_the_rehabilitation_team():
    from planchat.danish import analyze

    assert analyze("rehabiliteringsteamet") == ["rehabiliteringsteam", "team", "rehabilitering"]
    assert "team" in analyze("I Jammerbugt består teamet pt. af følgende:")
    assert analyze("virksomhedskonsulenter")[1:] == ["konsulent", "virksom"]


def test_staffs_own_words_for_a_practice_find_the_plans_terms():
    from planchat.danish import analyze

    terms = set(
        analyze("Hvordan hjælper Vejle arbejdsgiverne med at skaffe de medarbejdere, de mangler?", expand_english=True)
    )
    assert {"rekruttering", "arbejdskraft"} <= terms
    assert "fasthold" in set(analyze("Hvad gør Vejle, når en medarbejder bliver syg?", expand_english=True))
    assert "rekruttering" not in set(analyze("Hvad gør Vejle, når en medarbejder bliver syg?", expand_english=True))


PUBLISHERS = {
    **DOCS,
    "nordjylland-2012": DocumentMeta("nordjylland-2012", "Beskæftigelsesregion Nordjylland", 2012, "Analyse 2012",
                                     publisher="Beskæftigelsesregion Nordjylland", publisher_kind="region"),
    "sejlflod-2005": DocumentMeta("sejlflod-2005", "Sejlflod", 2005, "Plan 2005", publisher="Sejlflod Kommune",
                                  publisher_kind="historical"),
    "hals-2004": DocumentMeta("hals-2004", "Hals", 2004, "Plan 2004", publisher="Hals Kommune",
                              publisher_kind="historical"),
    "star-2021": DocumentMeta("star-2021", "Styrelsen for Arbejdsmarked og Rekruttering", 2021, "Vejledning",
                              publisher="Styrelsen for Arbejdsmarked og Rekruttering", publisher_kind="national",
                              aliases=("STAR",)),
}  # fmt: skip


@pytest.mark.parametrize(
    "question, municipalities, doc_ids",
    [
        (
            "Hvad skriver Beskæftigelsesregion Nordjylland om langtidsledige?",
            ["Beskæftigelsesregion Nordjylland"],
            ["nordjylland-2012"],
        ),
        ("Hvad ville Sejlflod Kommune med de unge?", ["Sejlflod"], ["sejlflod-2005"]),
        ("Hvad ville Sejlflods jobcenter med de unge?", ["Sejlflod"], ["sejlflod-2005"]),
        ("Hvad skrev sejlflod kommune om de unge?", ["Sejlflod"], ["sejlflod-2005"]),  # the publisher's full name
        ("Hvad skriver STAR om sygedagpenge?", ["Styrelsen for Arbejdsmarked og Rekruttering"], ["star-2021"]),
        ("Hvad skrev Hals om de ledige i 2004?", ["Hals"], ["hals-2004"]),
        ("Hvad siger Vejle og Sejlflod om de unge?", ["Sejlflod", "Vejle"], ["sejlflod-2005", "vejle-2020-23"]),
        # an old name that is also a word counts only capitalised: "hals" is a neck
        ("Hvad gør jobcentret for ledige med ondt i hals og ryg?", [], None),
    ],  # fmt: skip
    ids=[
        "region",
        "historical-kommune",
        "historical-genitive",
        "lower-case-full-name",
        "national-alias",
        "one-word-historical",
        "with-a-municipality",
        "word-not-name",
    ],  # fmt: skip
)
def test_the_detector_knows_the_publishers_in_the_index(question, municipalities, doc_ids):
    q = QueryAnalyzer(PUBLISHERS).analyze(question)
    assert (q.municipalities, q.doc_ids, q.unknown_municipalities) == (municipalities, doc_ids, [])


def test_a_publisher_filter_is_resolved_by_any_of_its_names():
    analyzer = QueryAnalyzer(PUBLISHERS)
    assert [analyzer.resolve_municipality(n) for n in ("sejlflod kommune", "SEJLFLOD", "star")] == [
        "Sejlflod", "Sejlflod", "Styrelsen for Arbejdsmarked og Rekruttering"]  # fmt: skip
