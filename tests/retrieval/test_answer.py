"""The extractive answerer on tiny hand-built passages: exact answers,
verbatim quotes, numbers only from quotes, and abstention."""

from __future__ import annotations

import re

import pytest

from planchat.records import Answer, Chunk, Citation, DocumentMeta, Passage
from retrieval.answer import ExtractiveAnswerer
from retrieval.query import QueryAnalyzer
from retrieval.quotes import extend_quote
from retrieval.truth import UnsupportedAnswer, verify

JAMMERBUGT = (
    "Mål 3. Langtidsledigheden skal bekæmpes.\n\n"
    "Antallet af langtidsledige skal begrænses til 228 personer i december 2014. "
    "Jobcenteret følger udviklingen hver måned."
)
REBILD = (
    "Vi vil styrke samarbejdet med virksomhederne.\n\n"
    "Det konkrete mål er, at ledigheden for fleksjobbere skal reduceres til 10%."
)
LIST = "Her opsamles data fra følgende systemer:\n- FASIT Jobcenter\n- Schultz Expose\n\nAndet afsnit."


def chunk(doc_id: str, municipality: str, year: int, text: str, section: str = "Mål") -> Chunk:
    return Chunk(
        chunk_id=f"{doc_id}:0000:test",
        doc_id=doc_id,
        municipality=municipality,
        year=year,
        title=f"Plan {year}",
        section=section,
        page=None,
        start=100,
        end=100 + len(text),
        text=text,
    )


PASSAGES = {
    "jammerbugt": Passage(chunk("jammerbugt-2014", "Jammerbugt", 2014, JAMMERBUGT, "4.3 Mål 3"), score=0.03),
    "rebild": Passage(chunk("rebild-2022", "Rebild", 2022, REBILD), score=0.02),
}
DOCS = {
    "jammerbugt-2014": DocumentMeta("jammerbugt-2014", "Jammerbugt", 2014, "Plan 2014"),
    "rebild-2022": DocumentMeta("rebild-2022", "Rebild", 2022, "Plan 2022"),
}


@pytest.fixture
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(idf=lambda term: 1.0)


@pytest.fixture
def analyzer() -> QueryAnalyzer:
    return QueryAnalyzer(DOCS)


def test_answer_is_the_quote_with_its_number(answerer, analyzer):
    query = analyzer.analyze("Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?")
    answer = answerer.answer(query, [PASSAGES["jammerbugt"]], dense_top=0.92)
    assert answer.abstained is False
    assert answer.answer == (
        "Jammerbugt: «Antallet af langtidsledige skal begrænses til 228 personer i december 2014.» [1]"
    )
    (citation,) = answer.citations
    assert citation.quote == "Antallet af langtidsledige skal begrænses til 228 personer i december 2014."
    assert citation.section == "4.3 Mål 3"
    # The span points into the document's clean text (chunk start 100 + offset in chunk).
    assert (citation.start, citation.end) == (
        100 + JAMMERBUGT.index("Antallet"),
        100 + JAMMERBUGT.index(" Jobcenteret"),
    )
    assert citation.role == "evidence"


def test_answers_group_by_municipality(answerer, analyzer):
    query = analyzer.analyze("Hvilke kommuner har mål for ledigheden?")
    answer = answerer.answer(query, [PASSAGES["rebild"], PASSAGES["jammerbugt"]], dense_top=0.92)
    lines = answer.answer.split("\n")
    assert lines[0].startswith(
        "Rebild: «Det konkrete mål er, at ledigheden for fleksjobbere skal reduceres til 10%.» [1]"
    )
    assert lines[1].startswith("Jammerbugt: «")
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    assert {c.municipality for c in answer.citations} == {"Rebild", "Jammerbugt"}


def test_off_topic_question_abstains_with_see_also(answerer, analyzer):
    query = analyzer.analyze("Hvordan bager jeg rugbrød?")
    answer = answerer.answer(query, [PASSAGES["jammerbugt"]], dense_top=0.80)
    assert answer.abstained is True
    assert answer.answer == "Det fremgår ikke af planerne. Nærmeste afsnit: [1]."
    assert [c.role for c in answer.citations] == ["see_also"]


def test_unknown_municipality_abstains_and_names_the_corpus(answerer, analyzer):
    query = analyzer.analyze("Hvad er Aarhus' mål for ledigheden?")
    answer = answerer.answer(query, [PASSAGES["jammerbugt"]], dense_top=0.95)
    assert answer.abstained is True
    assert answer.answer == (
        "Det fremgår ikke af planerne: der er ingen beskæftigelsesplan for Aarhus i samlingen. "
        "Planerne dækker Jammerbugt, Rebild."
    )
    assert answer.citations == []


def test_english_question_gets_english_frame_and_danish_quote(answerer, analyzer):
    query = analyzer.analyze("What is Jammerbugt's target for long-term unemployment in 2014?")
    answer = answerer.answer(query, [PASSAGES["jammerbugt"]], dense_top=0.92)
    assert answer.abstained is False
    assert "228 personer" in answer.answer


def test_bm25_only_mode_abstains_on_low_coverage(answerer, analyzer):
    query = analyzer.analyze("Hvad koster en bil?")
    answer = answerer.answer(query, [PASSAGES["rebild"]], dense_top=None)
    assert answer.abstained is True


def test_list_intro_takes_its_items():
    start = LIST.index("Her")
    end = LIST.index(":") + 1
    s, e = extend_quote(LIST, start, end, wants_number=False)
    assert LIST[s:e] == "Her opsamles data fra følgende systemer:\n- FASIT Jobcenter\n- Schultz Expose"


def test_sentence_cut_by_layout_runs_on_to_its_figures():
    text = "I forligsteksten skal retten finansieres med\n\n300 mio. kr. i 2022.\n\nNyt afsnit."
    s, e = extend_quote(text, 0, text.index("med") + 3, wants_number=True)
    assert text[s:e] == "I forligsteksten skal retten finansieres med\n\n300 mio. kr. i 2022."


def _citation(quote: str) -> Citation:
    return Citation(
        n=1,
        doc_id="d",
        title="t",
        municipality="m",
        year=2014,
        section="",
        page=None,
        quote=quote,
        score=1.0,
        chunk_id="c",
        start=0,
        end=len(quote),
    )


def test_verify_rejects_a_number_no_quote_carries():
    answer = Answer(
        answer="m: «højst 228 personer» [1] og 300", abstained=False, citations=[_citation("højst 228 personer")]
    )
    with pytest.raises(UnsupportedAnswer, match="number 300 in the answer is in no cited quote"):
        verify(answer)


def test_verify_accepts_numbers_written_with_thousands_separators():
    answer = Answer(answer="m: «1.200 personer» [1]", abstained=False, citations=[_citation("1.200 personer")])
    verify(answer)


def _naive_excluded(passage: Passage, start: int, end: int, spans) -> bool:
    """The old rule, scanning every span: a sentence overlapping any span of its document."""
    chunk = passage.chunk
    a, b = chunk.start + start, chunk.start + end
    return any(doc == chunk.doc_id and a < e and s < b for doc, s, e in spans)


def test_excluded_spans_drop_exactly_the_overlapping_sentences(answerer, analyzer):
    """Spans grouped by document exclude the same sentences as a scan of them all:
    overlapping ones, not ones that only touch a span or lie in another document."""
    from retrieval.answer import ExcludedSpans

    passages = [PASSAGES["jammerbugt"], PASSAGES["rebild"]]
    target = 100 + JAMMERBUGT.index("Antallet")
    spans = [
        ("jammerbugt-2014", target + 5, target + 6),  # inside the 228 sentence
        ("jammerbugt-2014", 0, 100),  # ends where the chunk starts: touches, excludes nothing
        ("jammerbugt-2015", 100 + JAMMERBUGT.index("Jobcenteret"), 10_000),  # another document's offsets
        ("rebild-2022", 100 + REBILD.index("Det konkrete"), 100 + REBILD.index("Det konkrete") + 1),
    ]
    query = analyzer.analyze("Hvor mange langtidsledige må der højst være i Jammerbugt i 2014?")
    got = answerer.candidates(query, passages, exclude=spans)
    assert answerer.candidates(query, passages, exclude=ExcludedSpans(spans)) == got
    everything = answerer.candidates(query, passages)
    assert got == [c for c in everything if not _naive_excluded(c.passage, c.start, c.end, spans)]
    kept = {(c.passage.chunk.doc_id, c.text[:12]) for c in got}
    dropped = {(c.passage.chunk.doc_id, c.text[:12]) for c in everything} - kept
    assert dropped == {("jammerbugt-2014", "Antallet af "), ("rebild-2022", "Det konkrete")}
    assert not ExcludedSpans() and ExcludedSpans(spans)


def test_a_sentence_broken_by_the_layout_runs_on_to_its_end():
    text = "Beskæftigelsesplanen 2023 er den 21.12 2022 godkendt af Fredericia Kommunes\nByråd.\n\nFORORD"
    s, e = extend_quote(text, 0, text.index("\n"), wants_number=False)
    assert text[s:e] == "Beskæftigelsesplanen 2023 er den 21.12 2022 godkendt af Fredericia Kommunes\nByråd."
    row = "Placering på benchmark ranglisten 94 94 91 91\n4.\nNæste afsnit."
    assert extend_quote(row, 0, row.index("\n"), wants_number=False) == (0, row.index("\n"))


def test_a_why_question_takes_the_reason_that_follows():
    text = (
        "Der har i 2012 og 2013 været en kraftig stigning i antallet af kontanthjælpsmodtagere. "
        "Tilgangen skyldes dels borgere som er blevet afskediget.\n\nNyt afsnit."
    )
    first = text.index(".") + 1
    reason = re.compile("skyldes").search
    assert text[slice(*extend_quote(text, 0, first, wants_number=False, wanted=reason))].endswith("afskediget.")
    assert extend_quote(text, 0, first, wants_number=False) == (0, first)


def test_a_how_question_takes_the_rest_of_the_paragraph_that_describes_the_practice():
    text = "Vi ringer til virksomheden. Derefter aftales et besøg. Konsulenten følger op.\nNæste linje.\n\nNyt afsnit."
    first = text.index(".") + 1
    s, e = extend_quote(text, 0, first, wants_number=False, paragraph=True)
    assert text[s:e] == "Vi ringer til virksomheden. Derefter aftales et besøg. Konsulenten følger op."
    assert extend_quote(text, 0, first, wants_number=False) == (0, first)
    assert extend_quote(text, 0, first, wants_number=False, paragraph=True, limit=60) == (0, text.index("besøg.") + 6)


@pytest.mark.integration
def test_a_section_about_content_is_no_table_of_contents(real_service):
    # Its section is «2. Indhold i udmøntningsplanen › 3. Proces»: "Indhold" there is a topic, not a contents page.
    answer = real_service.ask("Skal kommunens udmøntningsplan godkendes formelt?")
    assert answer.answer.startswith(
        "Beskæftigelsesregion Hovedstaden & Sjælland: «Planen skal ikke godkendes formelt – men kan med fordel "
        "forelægges det politisk ansvarlige udvalg i kommunen samt LBR.» [1]"
    )
