"""The asked slot must be filled (retrieval/slots.py): a quantity question
answered by a quote without a figure is an abstention."""

from __future__ import annotations

from dataclasses import replace

import pytest

from planchat.records import Answer, Citation
from retrieval.query import Query, answer_type
from retrieval.slots import answer_kind, unfilled_slot


def answer_quoting(quote: str) -> Answer:
    citation = Citation(n=1, doc_id="d", title="t", municipality="Vejle", year=2022, section="", page=None,
                        quote=quote, score=1.0, chunk_id="d:0", start=0, end=len(quote))  # fmt: skip
    return Answer(answer=f"Vejle: «{quote}» [1]", abstained=False, citations=[citation])


@pytest.mark.parametrize(
    "question, quote, expected",
    [
        ("Hvor mange medarbejdere er ansat i Jobcenter Vejle?", "Jobcentret har dygtige medarbejdere.", "quantity"),
        (
            "Hvor mange ledige blev opkvalificeret i 2021?",
            "Flere ledige skal opkvalificeres (videreført fra 2021)",
            "quantity",
        ),
        ("Hvor mange langtidsledige må der højst være?", "skal begrænses til 228 personer i december 2014", None),
        ("Hvor mange hjørnesten har planen?", "Der er fire hjørnesten for beskæftigelsesplanen 2023:", None),
        ("How much money is set aside?", "Budgettet er ikke fastlagt i planen for 2022.", "money"),
        ("How much money is set aside?", "Der er afsat 7,0 mio. kr. i 2023.", None),
        ("Hvor mange penge er afsat?", "Der er afsat 300 personer.", "money"),
        ("Hvor mange procent skal være i job?", "Andelen skal stige, og ambitionen er top 20 i landet.", "percent"),
        ("Hvor mange procent skal være i job?", "Andelen skal være 50% i 2022.", None),
        ("Hvor stor en andel er ufaglærte?", "Halvdelen er ufaglærte.", None),
        ("Hvor mange ledige blev opkvalificeret?", "Covid-19 er gået hårdt ud over mange lønmodtagere.", "quantity"),
        (
            "Hvor mange kontanthjælpsmodtagere er der?",
            "ledige som er faldet for den 2-årige dagpengeperiode.",
            "quantity",
        ),
        ("Hvor mange år gælder planen?", "Planen er 4-årig.", None),
        ("Hvor mange langtidsledige er måltallet?", "med henblik på at forebygge langtidsledighed 2.", "quantity"),
        (
            "Hvor mange ledige blev opkvalificeret?",
            "Flere ledige skal opkvalificeres (videreført fra 2021) | 8",
            "quantity",
        ),
        ("Hvor mange ledige er der?", "Beskæftigelsesplanen er den 21.12 2022 godkendt af byrådet", "quantity"),
        (
            "Hvor mange ledige blev opkvalificeret?",
            "Flere ledige skal opkvalificeres (videreført fra 2021) | 8\n3.",
            "quantity",
        ),
        ("Hvor tilfredse var virksomhederne?", "Målene er: 1. Resultater – job 2. Færre på forsørgelse", "score"),
        ("Hvor tilfredse var virksomhederne?", "De fire udviklingsmål er videreført fra 2021.", "score"),
        ("Hvor tilfredse var virksomhederne?", "Tilfredsheden var 4,2 på en skala til 5.", None),
        ("Hvor mange ledige er der?", "Der er 1. januar 2013 registreret 2.100 ledige.", None),
        ("Hvornår starter Ungeenheden?", "Udvikle en Ungeenhed, som støtter den unge.", "date"),
        ("Hvornår starter Ungeenheden?", "Ungeenheden starter i januar 2023.", None),
        ("Hvornår holder Vejle opfølgningsmøder?", "Halvårligt | Opfølgning på mål til politikere", None),
        ("Hvornår i forløbet vejledes borgeren?", "Borgeren vejledes ved hver samtale.", None),
        (
            "Hvor ofte skal borgeren til jobsamtale?",
            "- Hvornår skal borgeren til første jobsamtale og hvor ofte herefter?",
            "frequency",
        ),
        ("Hvor ofte udsøges borgerne?", "Vi udsøger borgerne to gange om året.", None),
        ("Hvor længe går der før tillægget?", "De får efter tre måneder ret til et aktivitetstillæg.", None),
        ("Står der noget om, hvor mange ledige Vejle har?", "Vejle styrker indsatsen for ledige.", None),
        ("Har Vejle et mål for, hvor mange der skal i job?", "Vejle styrker indsatsen for ledige.", None),
        ("Hvad er Rebilds budget for indsatsen i 2030?", "Den baserer sig på Rebild Kommunes Vision 2030.", "money"),
        ("Hvad er Jammerbugts tekniske budget for Føp?", "5.48.68-70 | Føp | 173.754 | 170.254 | -3.500", None),
        ("Hvad hed projektet, som Rebild deltog i?", "Jobcenter Rebild har deltaget i et projekt om kvinder.", "name"),
        ("Hvad hed projektet, som Rebild deltog i?", "Rebild har deltaget i projektet Kvinder i Job.", None),
        ("Hvad hed projektet, som Rebild deltog i?", 'Rebild har deltaget i projektet "Flere i job".', None),
        ("Hvor mange langtidsledige er måltallet?", "aktiv indsats fra dag 1 mod langtidsledighed", "quantity"),
        ("Hvor længe deltog Rebild i projektet?", "Rebild har indtil udgangen af 2021 deltaget i et projekt.", None),
        (
            "Hvor længe går der før tillægget?",
            "Der er dog en undtagelse for unge, som er aktivitetsparate.",
            "duration",
        ),
        ("Hvad gør Vejle for de unge?", "Vejle styrker indsatsen for de unge.", None),
    ],
)
def test_a_quantity_question_needs_a_figure_other_than_a_year(question, quote, expected):
    query = Query(text=question, terms=[], municipalities=["Vejle"])
    assert unfilled_slot(query, answer_quoting(quote)) == expected


def test_a_target_question_is_filled_by_a_target_not_by_any_figure_of_the_plans_statistics():
    question = "Hvor mange sygedagpengesager har Fredericia som mål i 2023?"
    query = Query(text=question, terms=[], municipalities=["Fredericia"], answer_type=answer_type(question))
    assert query.answer_type == "target"
    # The Fredericia row «Sygedagpenge (6.364) 3,7 uger» is a case-duration statistic, not a target.
    assert unfilled_slot(query, answer_quoting("Sygedagpenge (6.364) 3,7 uger i 2023")) == "quantity"
    assert unfilled_slot(query, answer_quoting("Antallet af sager skal nedbringes til 600 i 2023.")) is None
    # A row under a heading or table header of targets states one too.
    assert unfilled_slot(query, replace(answer_quoting("Sygedagpenge | 600 | 2023"),
                                        citations=[replace(answer_quoting("Sygedagpenge | 600 | 2023").citations[0],
                                                           section="Resultatmål 2023")])) is None  # fmt: skip
    assert unfilled_slot(query, answer_quoting("Sygedagpenge | 600 | 2023"), {"d:0": "Mål 2023 | Antal"}) is None


def test_a_past_year_must_be_named_by_the_quote_its_section_or_its_table_header():
    query = Query(text="Hvor mange kontanthjælpsmodtagere havde Jammerbugt i 2013?", terms=[], municipalities=["Vejle"])
    expectation = answer_quoting("Der forventes gennemsnitligt at være maksimalt 660 kontanthjælpsmodtagere.")
    assert unfilled_slot(query, expectation) == "quantity"  # the plan's figure for 2022, not 2013
    assert unfilled_slot(query, answer_quoting("I 2013 var der 700 kontanthjælpsmodtagere.")) is None
    assert unfilled_slot(query, expectation, {"d:0": "Maj 2013 | Fredericia"}) is None


def test_a_result_of_the_plans_own_year_or_later_is_never_in_the_plan():
    citation = answer_quoting("Antallet skal begrænses til 228 personer i december 2014.").citations[0]
    answer = Answer(
        answer=f"Jammerbugt: «{citation.quote}» [1]", abstained=False, citations=[replace(citation, year=2014)]
    )
    asked = "Nåede Jammerbugt sit mål om højst 228 langtidsledige i december 2014, og hvad blev det faktiske tal?"
    assert unfilled_slot(Query(text=asked, terms=[], municipalities=["Jammerbugt"]), answer) == "result"
    earlier = "Nåede Jammerbugt sit mål i 2013, og hvad blev det faktiske tal?"  # a plan for 2014 may report 2013
    reported = replace(answer, citations=[replace(citation, quote="I 2013 nåede Jammerbugt 250 personer.", year=2014)])
    assert unfilled_slot(Query(text=earlier, terms=[], municipalities=["Jammerbugt"]), reported) is None


def test_several_municipalities_are_not_judged_as_one():
    query = Query(text="Hvor mange ledige har Vejle og Rebild?", terms=[], municipalities=["Rebild", "Vejle"])
    assert unfilled_slot(query, answer_quoting("Vejle har mange ledige.")) is None


@pytest.mark.integration
def test_a_staff_count_the_plan_does_not_state_is_refused(real_service):
    answer = real_service.ask("Hvor mange medarbejdere er ansat i Jobcenter Vejle?")
    assert answer.abstained and answer.answer.startswith("Det fremgår ikke af planerne for Vejle.")
    assert answer.citations and {c.role for c in answer.citations} == {"see_also"}


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Hvornår skal den unge have en uddannelsesplan i Vejle?", "when"),
        ("Hvor ofte holder jobcentret samtaler?", "when"),
        ("Hvem har ansvaret for beskæftigelsesplanen i Fredericia?", "who"),
        ("Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?", "number"),
        ("Hvordan arbejder Rebild med virksomhedskontakt?", "how"),
        ("Hvad er beskæftigelsesplanens formål?", "fact"),
    ],
)
def test_the_kind_of_an_answer_follows_the_question(question, expected):
    query = Query(text=question, terms=[], municipalities=[], answer_type=answer_type(question))
    assert answer_kind(query, answer_quoting("Vejle styrker indsatsen.")) == expected


def test_an_abstention_and_a_list_are_their_own_kinds():
    query = Query(text="Hvornår starter forløbet?", terms=[], municipalities=[], answer_type="when")
    assert answer_kind(query, replace(answer_quoting("x"), abstained=True)) == "abstain"
    assert answer_kind(query, replace(answer_quoting("x"), kind="list")) == "list"


@pytest.mark.integration
def test_a_when_question_is_answered_by_the_sentence_with_the_date(real_service):
    answer = real_service.ask(
        "Hvornår anbefaler Beskæftigelsesregionen Hovedstaden & Sjælland, at udmøntningsplanen er færdig?"
    )
    assert answer.answer.startswith(
        "Beskæftigelsesregion Hovedstaden & Sjælland: «Det anbefales, at den er udarbejdet inden udgangen af 2010, "
        "så den er klar til brug fra 1. januar 2011.» [1]"
    )
    assert answer.kind == "when"


@pytest.mark.integration
def test_a_figure_for_a_past_year_the_plan_does_not_give_is_refused(real_service):
    answer = real_service.ask("Hvor mange kontanthjælpsmodtagere havde Jammerbugt i 2013?")
    assert answer.abstained and answer.kind == "abstain"
    assert answer.answer.startswith("Det fremgår ikke af planerne for Jammerbugt.")


@pytest.mark.integration
def test_a_spanning_answer_names_the_plan_that_is_silent(real_service):
    answer = real_service.ask(
        "Hvor ofte følger politikerne op på beskæftigelsesindsatsen i Vejle, Fredericia og Jammerbugt?"
    )
    lines = answer.answer.splitlines()
    answered = [line.split(":")[0] for line in lines if ": «" in line]
    silent = [line.removeprefix("Det fremgår ikke af planen for ").rstrip(".") for line in lines if ": «" not in line]
    assert lines[len(answered) :] == [f"Det fremgår ikke af planen for {m}." for m in silent]  # silent plans last
    assert sorted(answered + silent) == ["Fredericia", "Jammerbugt", "Vejle"]
    assert answered and silent and not answer.abstained


@pytest.mark.integration
def test_a_spanning_figure_no_named_plan_states_is_refused(real_service):
    answer = real_service.ask("Hvor tilfredse var virksomhederne med jobcentret i Rebild og i Vejle i 2021?")
    assert answer.abstained
    assert answer.answer.startswith("Det fremgår ikke af planerne for Rebild og Vejle.")


@pytest.mark.integration
def test_each_named_plan_answers_a_spanning_count_with_its_own_figure(real_service):
    answer = real_service.ask(
        "Hvor mange ministermål var der i Jammerbugts plan for 2014 sammenlignet med Vejles plan for 2022?"
    )
    jammerbugt, vejle = answer.answer.splitlines()[:2]
    assert jammerbugt.startswith("Jammerbugt: «De 4 beskæftigelsespolitiske ministermål for 2014 er:»")
    assert vejle.startswith("Vejle: «De fem ministermål for 2022")


@pytest.mark.integration
def test_an_abstention_says_what_the_plan_does_not_state(real_service):
    answer = real_service.ask(
        "Nåede Jammerbugt sit mål om højst 228 langtidsledige i december 2014, og hvad blev det faktiske tal?"
    )
    assert answer.abstained
    assert answer.answer.startswith(
        "Det fremgår ikke af planerne for Jammerbugt. Planen omtaler emnet, men nævner ikke resultatet: "
        "en plan kan ikke kende udfaldet af sit eget år eller senere år. Nærmeste afsnit: [1]"
    )


@pytest.mark.integration
def test_a_target_the_plan_does_not_set_is_not_answered_with_a_statistic(real_service):
    # Fredericia's plan has sick-pay statistics («Sygedagpenge (6.364) 3,7 uger») but no sick-pay target.
    answer = real_service.ask("Hvor mange sygedagpengesager har Fredericia som mål i 2023?")
    assert answer.abstained and answer.kind == "abstain"
    assert answer.answer.startswith(
        "Det fremgår ikke af planerne for Fredericia. Planen omtaler emnet, men nævner ikke det tal, der spørges om."
    )
    assert {c.role for c in answer.citations} == {"see_also"}
