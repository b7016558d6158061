"""Answers that follow the document's structure (retrieval/structure.py):
a list question gets the introduction and every item, verbatim."""

from __future__ import annotations

import pytest

from retrieval.query import wants_list

JAMMERBUGT_GOALS = [
    "Flere unge skal have en uddannelse",
    "Bedre og mere helhedsorienteret hjælp til ledige på kanten af arbejds-markedet – færre personer på førtidspension",
    "Langtidsledigheden skal bekæmpes",
    "En tættere kontakt og styrket dialog med de lokale virksomheder",
]


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Hvilke tiltag har Fredericia for de unge?", True),
        ("Hvad gør Rebild for flygtninge?", True),
        ("Hvem sidder i rehabiliteringsteamet?", True),
        ("What will Fredericia do for companies?", True),
        ("Hvor mange langtidsledige må der være?", False),
        ("Hvilke mål har Jammerbugt for langtidsledigheden?", False),  # a target: a number
        ("What are the four ministerial targets for 2014?", True),
        ("Hvornår skal planen være klar?", False),
    ],
)
def test_which_questions_may_want_a_list(question, expected):
    assert wants_list(question) is expected


def verbatim(answer, index):
    for c in answer.citations:
        assert index.docstore.clean_text(c.doc_id)[c.start : c.end] == c.quote
        assert c.role != "evidence" or c.quote in answer.answer


@pytest.mark.integration
def test_the_ministermaal_introduction_brings_all_four_goals(real_service, real_index):
    answer = real_service.ask("Hvilke ministermål skal Jammerbugt arbejde efter i 2014?")
    assert [c.quote for c in answer.citations] == ["De 4 beskæftigelsespolitiske ministermål for 2014 er:", *JAMMERBUGT_GOALS]
    assert answer.answer.startswith("Jammerbugt: «De 4 beskæftigelsespolitiske ministermål for 2014 er:» [1] «Flere unge")
    verbatim(answer, real_index)


@pytest.mark.integration
def test_a_list_under_a_matching_heading_answers_the_question(real_service, real_index):
    answer = real_service.ask("Hvilke opgaver skal Jobcenter Rebild løse?")
    (citation,) = answer.citations
    assert citation.quote.startswith("I Jobcenter Rebild vil vi derfor:\n\n- bistå jobsøgende med at finde job\n")
    assert citation.quote.endswith("studie- eller erhvervskompetencegivende uddannelse.")
    assert citation.quote.count("\n- bistå ") == 4
    verbatim(answer, real_index)


@pytest.mark.integration
def test_numbered_items_run_together_are_quoted_whole_across_chunks(real_service, real_index):
    answer = real_service.ask("Hvad vil Fredericia gøre for langtidsledige og sygemeldte?")
    # The list crosses a chunk boundary: one citation per chunk, together the whole list (its chunk
    # starts at «LANGTIDSLEDIGHED OG SYGEMELDTE» since PIPELINE_VERSION 13: the quote grows from the line above).
    assert [c.quote[:20] for c in answer.citations[:2]] == ["Herunder også et sær", "4. Styrke borgernes "]
    quote = " ".join(c.quote for c in answer.citations)
    assert "1. Arbejde målrettet med tidlig opsporing" in quote
    assert "5. Styrke samarbejdet og dialogen med virksomheder, som har sygemeldte medarbejdere" in quote
    verbatim(answer, real_index)


@pytest.mark.integration
def test_an_unfiltered_question_scores_only_the_lists_of_the_plans_it_cites(real_service, monkeypatch):
    import retrieval.structure as structure

    scored = []
    real = structure._analysed_blocks
    monkeypatch.setattr(
        structure, "_analysed_blocks", lambda snapshot, doc_id: scored.append(doc_id) or real(snapshot, doc_id)
    )
    answer = real_service.ask("Hvilke opgaver skal jobcentret løse for de ledige?")
    # Before: every plan's lists on every unfiltered question (1,000 plans: every list of every plan).
    assert scored and len(scored) == len(set(scored)) < len(real_service.index.documents)
