"""The truth rules through their public names (retrieval/truth.py), on tiny
hand-built passages: verbatim quotes, numbers only from cited quotes, and
citation numbering."""

from __future__ import annotations

import pytest

from planchat.records import Answer, Chunk, Citation, Passage
from retrieval.truth import (
    Claim,
    UnsupportedAnswer,
    citation_for,
    renumber_markers,
    split_claims,
    verify,
    verify_generated,
)

JAMMERBUGT = (
    "Mål 3. Langtidsledigheden skal bekæmpes.\n\n"
    "Antallet af langtidsledige skal begrænses til 228 personer i december 2014. "
    "Jobcenteret følger udviklingen hver måned."
)
REBILD = "Vi vil styrke samarbejdet med virksomhederne.\n\nLedigheden for fleksjobbere skal reduceres til 10%."


def passage(doc_id: str, municipality: str, year: int, text: str, start: int = 100, score: float = 0.5) -> Passage:
    chunk = Chunk(
        chunk_id=f"{doc_id}:0000:test",
        doc_id=doc_id,
        municipality=municipality,
        year=year,
        title=f"Plan {year}",
        section="Mål",
        page=7,
        start=start,
        end=start + len(text),
        text=text,
    )
    return Passage(chunk, score)


JAMMERBUGT_P = passage("jammerbugt-2014", "Jammerbugt", 2014, JAMMERBUGT)
REBILD_P = passage("rebild-2022", "Rebild", 2022, REBILD, start=40)


def quoted(quote: str, role: str = "evidence", n: int = 1) -> Citation:
    return Citation(
        n=n,
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
        role=role,
    )


def test_unsupported_answer_is_a_domain_error_not_an_assertion():
    assert issubclass(UnsupportedAnswer, Exception)
    assert not issubclass(UnsupportedAnswer, AssertionError)


# --- citation_for: a quote is a span of its chunk --------------------------


def test_citation_for_quotes_the_chunk_span_in_clean_text_offsets():
    start = JAMMERBUGT.index("Antallet")
    end = JAMMERBUGT.index("2014.") + len("2014.")
    citation = citation_for(
        3, passage("jammerbugt-2014", "Jammerbugt", 2014, JAMMERBUGT, score=0.12345678), start, end, "see_also"
    )
    assert citation == Citation(
        n=3,
        doc_id="jammerbugt-2014",
        title="Plan 2014",
        municipality="Jammerbugt",
        year=2014,
        section="Mål",
        page=7,
        page_label=None,
        quote="Antallet af langtidsledige skal begrænses til 228 personer i december 2014.",
        score=0.123457,
        chunk_id="jammerbugt-2014:0000:test",
        start=142,
        end=217,
        role="see_also",
    )


# --- verify: a composed answer -----------------------------------------------


def test_verify_accepts_an_answer_that_is_its_verbatim_quotes():
    answer = Answer(
        answer="Jammerbugt: «begrænses til 228 personer i december 2014» [1]",
        abstained=False,
        citations=[quoted("begrænses til 228 personer i december 2014")],
    )
    assert verify(answer) is None


def test_verify_refuses_a_number_in_no_cited_quote():
    answer = Answer(
        answer="Jammerbugt: «begrænses til 228 personer» [1], ikke 229",
        abstained=False,
        citations=[quoted("begrænses til 228 personer")],
    )
    with pytest.raises(UnsupportedAnswer, match=r"^number 229 in the answer is in no cited quote$"):
        verify(answer)


def test_verify_refuses_an_evidence_quote_the_answer_does_not_carry():
    answer = Answer(
        answer="Jammerbugt: «skal bekæmpes» [1]",
        abstained=False,
        citations=[quoted("skal bekæmpes"), quoted("hver måned", n=2)],
    )
    with pytest.raises(UnsupportedAnswer, match=r"^citation \[2\] quote is not in the answer$"):
        verify(answer)


def test_verify_lets_a_see_also_quote_stay_out_of_the_answer_but_not_be_empty():
    verify(
        Answer(
            answer="Det fremgår ikke af planerne. Se [1].",
            abstained=True,
            citations=[quoted("Jobcenteret følger udviklingen hver måned.", role="see_also")],
        )
    )
    with pytest.raises(UnsupportedAnswer, match=r"^citation \[1\] quote is not in the answer$"):
        verify(Answer(answer="Det fremgår ikke af planerne.", abstained=True, citations=[quoted("", "see_also")]))


# --- citation numbering ---------------------------------------------------------


def test_renumber_markers_maps_every_number_inside_a_marker():
    assert (
        renumber_markers("A [3]. B [1, 3]. C [2;1]. D 3 [x]", {1: 2, 2: 3, 3: 1}) == "A [1]. B [2, 1]. C [3;2]. D 3 [x]"
    )


def test_split_claims_joins_adjacent_markers_and_keeps_an_uncited_tail():
    assert split_claims("A skal [1][2]. B vil [3], [1] og så C") == [
        Claim("A skal ", [1, 2]),
        Claim(". B vil ", [3, 1]),
        Claim(" og så C", []),
    ]


# --- verify_generated: an LLM answer ------------------------------------------


def test_a_generated_answer_gets_verbatim_quotes_and_markers_numbered_by_first_use():
    text = "Jammerbugt vil begrænse langtidsledige til 228 personer [2]. Rebild reducerer ledigheden til 10% [1]."
    renumbered, citations = verify_generated(text, [REBILD_P, JAMMERBUGT_P])
    assert renumbered == (
        "Jammerbugt vil begrænse langtidsledige til 228 personer [1]. Rebild reducerer ledigheden til 10% [2]."
    )
    assert [(c.n, c.doc_id, c.quote, c.start, c.end, c.role) for c in citations] == [
        (
            1,
            "jammerbugt-2014",
            "Antallet af langtidsledige skal begrænses til 228 personer i december 2014.",
            142,
            217,
            "evidence",
        ),
        (2, "rebild-2022", "Ledigheden for fleksjobbere skal reduceres til 10%.", 87, 138, "evidence"),
    ]
    for c, p in zip(citations, [JAMMERBUGT_P, REBILD_P]):
        assert p.chunk.text[c.start - p.chunk.start : c.end - p.chunk.start] == c.quote


def test_a_generated_number_in_no_cited_passage_is_refused():
    with pytest.raises(UnsupportedAnswer, match=r"^number 300 is in no cited passage$"):
        verify_generated("Jammerbugt vil begrænse langtidsledigheden til 300 personer [1].", [JAMMERBUGT_P])


def test_a_generated_number_from_another_cited_passage_joins_that_quote():
    text = "Rebild vil reducere ledigheden [1]. Jammerbugt følger udviklingen hver måned [2] og har 228 som tal [1]."
    _, citations = verify_generated(text, [REBILD_P, JAMMERBUGT_P])
    assert [c.quote for c in citations] == [
        "Ledigheden for fleksjobbere skal reduceres til 10%.",
        "Antallet af langtidsledige skal begrænses til 228 personer i december 2014. "
        "Jobcenteret følger udviklingen hver måned.",
    ]


def test_a_plan_year_of_a_cited_passage_needs_no_quote():
    _, citations = verify_generated("Rebilds plan for 2022 vil reducere ledigheden for fleksjobbere [1].", [REBILD_P])
    assert [c.quote for c in citations] == ["Ledigheden for fleksjobbere skal reduceres til 10%."]
    with pytest.raises(UnsupportedAnswer, match=r"^number 2023 is in no cited passage$"):
        verify_generated("Rebilds plan for 2023 vil reducere ledigheden for fleksjobbere [1].", [REBILD_P])


@pytest.mark.parametrize(
    "text, message",
    [
        (" [1] ", "the answer is empty"),
        ("Ledigheden skal ned.", "the answer cites no passage"),
        ("Ledigheden skal ned [2].", "[2] refers to no passage"),
        ("Ledigheden skal ned [0].", "[0] refers to no passage"),
    ],
)
def test_a_generated_answer_breaking_a_citation_rule_is_refused(text, message):
    with pytest.raises(UnsupportedAnswer) as err:
        verify_generated(text, [REBILD_P])
    assert str(err.value) == message


# -- sentence support: the threshold, measured on bench/support_examples.jsonl ---------------------


def test_the_support_threshold_keeps_every_paraphrase_and_refuses_the_invented_claims(hash_index):
    from support_threshold import accuracy, load_examples, score_examples

    from retrieval.truth import SUPPORT_THRESHOLD

    scored = score_examples(hash_index.docstore.chunks(), load_examples())
    assert SUPPORT_THRESHOLD == 0.5
    assert accuracy(scored, SUPPORT_THRESHOLD) == (35, 35, 39, 43)
    assert max(s.score for s in scored if s.kind == "invented") < SUPPORT_THRESHOLD
    assert min(s.score for s in scored if s.kind == "paraphrase") == SUPPORT_THRESHOLD  # the English one


def test_an_uncited_sentence_is_read_against_every_cited_passage():
    from planchat.records import Chunk, Passage
    from retrieval.truth import unsupported_sentence

    def passage(text: str) -> Passage:
        chunk = Chunk(chunk_id="d:0", doc_id="d", municipality="Rebild", year=2022, title="Plan", section=None,
                      page=None, start=0, end=len(text), text=text)  # fmt: skip
        return Passage(chunk, 0.1)

    passages = [passage("Ledigheden for fleksjobbere skal reduceres til 10%."), passage("Jobordrer skal stige.")]
    assert unsupported_sentence("Ledigheden skal reduceres [1], og jobordrer skal stige [2]. Fleksjobbere og jobordrer er i "
                                "fokus.", passages) is None  # fmt: skip
    assert unsupported_sentence("Rebild vil reducere ledigheden [1]. Alle ledige får gratis cykler.", passages) == (
        "«Alle ledige får gratis cykler.» shares 25% of its content words with [1]"
    )
