"""Answers that follow the document's structure (retrieval/structure.py):
a list question gets the introduction and every item, verbatim."""

from __future__ import annotations

import pytest

from planchat.records import Citation
from retrieval.query import wants_list
from retrieval.structure import GrownList, number_word

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
    assert [c.quote for c in answer.citations] == [
        "De 4 beskæftigelsespolitiske ministermål for 2014 er:",
        *JAMMERBUGT_GOALS,
    ]
    assert answer.answer == (
        "Jammerbugt: «De 4 beskæftigelsespolitiske ministermål for 2014 er:» [1]\n"
        + "\n".join(f"- «{goal}» [{n}]" for n, goal in enumerate(JAMMERBUGT_GOALS, 2))
    )
    assert answer.kind == "list"
    verbatim(answer, real_index)


@pytest.mark.integration
def test_a_list_under_a_matching_heading_answers_the_question(real_service, real_index):
    answer = real_service.ask("Hvilke opgaver skal Jobcenter Rebild løse?")
    # The introduction, then each item on its own line with its own citation.
    assert [c.quote[:40] for c in answer.citations] == [
        "I Jobcenter Rebild vil vi derfor:",
        "bistå jobsøgende med at finde job",
        "bistå virksomhederne med rekruttering og",
        "bistå personer med behov for særlig inds",
        "bistå unge uden uddannelse med en indsat",
    ]
    assert answer.answer.splitlines()[1:] == [f"- «{c.quote}» [{c.n}]" for c in answer.citations[1:]]
    assert answer.citations[-1].quote.endswith("studie- eller erhvervskompetencegivende uddannelse.")
    assert answer.kind == "list"
    verbatim(answer, real_index)


@pytest.mark.integration
def test_numbered_items_run_together_are_quoted_whole_across_chunks(real_service, real_index):
    answer = real_service.ask("Hvad vil Fredericia gøre for langtidsledige og sygemeldte?")
    # Five numbered items (the list crosses a chunk boundary): each its own line and citation, after the
    # introduction (which starts a sentence above «Vi vil:», where the retrieved quote started).
    assert answer.citations[0].quote.endswith("Vi vil:")
    assert [c.quote[:22] for c in answer.citations[1:6]] == [
        "Arbejde målrettet med ",
        "Gennemføre virksomheds",
        "Gennemføre en intensiv",
        "Styrke borgernes selvs",
        "Styrke samarbejdet og ",
    ]
    assert answer.answer.splitlines()[-6:-1] == [f"- «{c.quote}» [{c.n}]" for c in answer.citations[1:6]]
    verbatim(answer, real_index)


@pytest.mark.integration
def test_an_unfiltered_question_scores_only_the_lists_of_the_plans_it_cites(real_service, monkeypatch):
    import retrieval.structure as structure

    scored = []
    real = structure._analysed_blocks
    monkeypatch.setattr(
        structure, "_analysed_blocks", lambda snapshot, doc_id: scored.append(doc_id) or real(snapshot, doc_id)
    )
    real_service.ask("Hvilke opgaver skal jobcentret løse for de ledige?")
    # Before: every plan's lists on every unfiltered question (1,000 plans: every list of every plan).
    assert scored and len(scored) == len(set(scored)) < len(real_service.index.documents)


def test_a_count_is_written_in_words_so_the_answer_carries_no_digit_of_its_own():
    assert [number_word(n, "da") for n in (1, 4, 10, 14, 20, 31)] == [
        "en",
        "fire",
        "ti",
        "fjorten",
        "tyve",
        "over tyve",
    ]
    assert number_word(14, "en") == "fourteen"


def test_a_list_longer_than_shown_says_how_many_items_the_plan_has():
    cite = lambda n, q: Citation(n=n, doc_id="d", title="t", municipality="Vejle", year=2022, section="",  # noqa: E731
                                 page=None, quote=q, score=1.0, chunk_id="d:0", start=0, end=len(q))  # fmt: skip
    grown = GrownList(head=[cite(1, "Vi vil:")], items=[[cite(2, "a")], [cite(3, "b")]], total=14)
    assert grown.lines("da", iter(range(1, 4))) == (
        "«Vi vil:» [1]\n- «a» [2]\n- «b» [3]\n(Listen i planen har fjorten punkter; de første to er vist.)"
    )


@pytest.mark.integration
def test_a_list_in_a_spanning_answer_has_one_item_per_line(real_service):
    answer = real_service.ask("Hvordan hjælper Jammerbugt og Vejle unge uden uddannelse i gang med en uddannelse?")
    lines = answer.answer.splitlines()
    items = [line for line in lines if line.startswith("- «")]
    assert len(items) >= 2 and lines[0].startswith("Jammerbugt: «")
    assert not any(": - «" in line for line in lines)  # an item never shares a municipality's line
    assert any(line.startswith("Vejle: «") for line in lines[: lines.index(items[0])])


@pytest.mark.integration
def test_a_colon_introducing_two_headed_lists_brings_both(real_service):
    answer = real_service.ask(
        "Hvilke lokale indsatsområder arbejder Fredericias beskæftigelsesplan 2023 med ud over ministermålene?"
    )
    lines = answer.answer.splitlines()
    assert lines[0].startswith("Fredericia: «Beskæftigelsesplan 2023 arbejder med følgende ministermål og lokale")
    assert lines[0].endswith("«MINISTERMÅL» [2]")
    assert lines[6].startswith("«INDSATSOMRÅDER» [8]")
    assert [line.split("»")[0] for line in lines[7:12]] == [
        "- «Langtidsledige og Sygemeldte", "- «Unge", "- «Kvalificeret arbejdskraft og et rummeligt arbejdsmarked",
        "- «Integration og fremskudt beskæftigelse", "- «Formidling og Kommunikation",
    ]  # fmt: skip


@pytest.mark.integration
def test_a_quote_inside_a_list_already_shown_whole_is_not_repeated(real_service, real_index):
    answer = real_service.ask(
        "Hvad er Jammerbugts resultatkrav for sygedagpengesager med en varighed på under 52 uger?"
    )
    spans = sorted((c.doc_id, c.start, c.end) for c in answer.citations)
    assert all(a[0] != b[0] or a[2] <= b[1] for a, b in zip(spans, spans[1:]))  # no citation overlaps another
    assert answer.answer.count("400 sygedagpengesager") == 1
    verbatim(answer, real_index)


@pytest.mark.integration
def test_a_how_question_gets_the_prose_paragraphs_around_its_best_quote(real_service, real_index):
    answer = real_service.ask("Hvordan skal en revalidering tilrettelægges i Jammerbugt?")
    quoted = " ".join(c.quote for c in answer.citations)
    assert "Revalideringen skal altid tilrettelægges som kortest mulig vej til selvforsørgelse" in quoted
    assert "Uddannelsesrevalidering skal altid bygge videre på eksisterende uddannelse/kompetencer" in quoted
    verbatim(answer, real_index)


@pytest.mark.integration
def test_a_table_row_is_not_grown_into_the_paragraph_around_it(real_service):
    answer = real_service.ask("Hvordan har Fredericias placering på ministerens benchmark-rangliste udviklet sig?")
    assert "Ministermål og indsatsområder" not in answer.answer
    assert "94 94 91 91" in answer.answer


def test_a_dropped_quote_that_spans_lines_leaves_nothing_behind():
    from retrieval.structure import _drop  # noqa: PLC2701 - the helper is the unit under test

    # A quote keeps its line breaks (a page number and a running header inside it): before, only
    # single-line markers were removed, the rest stayed and its "3" broke the numbers rule (a 500).
    text = "Rebild: «Vi vil:» [1]\n- «a» [2]\n«Det betyder:\n\n3\nArbejdsmål\n\n- a» [3]"
    assert _drop(text, "«Det betyder:\n\n3\nArbejdsmål\n\n- a» [3]") == "Rebild: «Vi vil:» [1]\n- «a» [2]"
    assert _drop("A: «x» [1] «y» [2] «w» [4]", "«y» [2]") == "A: «x» [1] «w» [4]"


@pytest.mark.integration
def test_an_english_list_question_in_bm25_mode_answers(real_index, real_settings):
    from retrieval.service import AskService

    service = AskService(real_index, real_settings.model_copy(update={"retrieval_mode": "bm25"}))
    answer = service.ask(
        "What does Jobcenter Rebild always focus on in its employment work with refugees in the integration programme?"
    )
    assert answer.kind in {"list", "fact", "how"} and answer.citations
