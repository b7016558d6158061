"""retrieval/judge.py: the verdict on an LLM reply, rule by rule, on hand-built passages (no server:
tests/retrieval/test_generate.py plays the same rules through the fake LLM)."""

from __future__ import annotations

import pytest

from planchat.records import Answer, Chunk, DocumentMeta, Passage
from retrieval.judge import FALLBACK_REASONS, Rejected, judge
from retrieval.query import QueryAnalyzer

ITEMS = "Flere skal i job.\n• Opkvalificering af ledige\n• Samarbejde med virksomhederne\n• Færre unge på ydelse"
CHUNK = Chunk(chunk_id="rebild-2022:0000:t", doc_id="rebild-2022", municipality="Rebild", year=2022, title="Plan 2022",
              section="Indsatser", page=None, start=0, end=len(ITEMS), text=ITEMS)  # fmt: skip
PASSAGES = [Passage(CHUNK, 0.1)]
DOCS = {"rebild-2022": DocumentMeta("rebild-2022", "Rebild", 2022, "Plan 2022")}
LIST_ANSWER = Answer(
    answer="Rebild: Flere skal i job.\n- «Opkvalificering af ledige» [1]\n- «Samarbejde med virksomhederne» [1]\n"
    "- «Færre unge på ydelse» [1]",
    abstained=False, citations=[], kind="list",
)  # fmt: skip


def verdict(reply: str, extractive: Answer, question: str = "Hvilke indsatser har Rebild?") -> str:
    try:
        answer = judge(reply, QueryAnalyzer(DOCS).analyze(question), PASSAGES, extractive, "llm:m")
    except Rejected as err:
        return str(err)
    return f"served: {answer.answer}"


def test_where_the_extractive_answer_abstains_the_llm_may_not_answer():
    abstention = Answer(answer="Det fremgår ikke af planerne.", abstained=True, citations=[], kind="abstain")
    assert verdict("Rebild vil opkvalificere ledige [1].", abstention) == "llm_answered_where_extractive_abstained"
    assert verdict("Det fremgår ikke af planerne.", abstention) == "served: Det fremgår ikke af planerne."


def test_a_list_question_needs_two_items_of_the_list():
    assert verdict("Rebild vil opkvalificere ledige [1].", LIST_ANSWER) == "llm_slot_unfilled: list"
    assert verdict("Rebild satser på opkvalificering af ledige og samarbejde med virksomhederne [1].", LIST_ANSWER) == (
        "served: Rebild satser på opkvalificering af ledige og samarbejde med virksomhederne [1]."
    )


@pytest.mark.parametrize("code", ["llm_abstained_on_evidence", "llm_slot_unfilled", "llm_unsupported_sentence",
                                  "llm_answered_where_extractive_abstained", "unverified", "timeout"])  # fmt: skip
def test_every_fallback_code_is_documented(code):
    assert code in FALLBACK_REASONS


def test_the_api_documents_exactly_these_codes():
    import re

    from api.schemas import AskResponse

    described = AskResponse.model_fields["fallback_reason"].description
    listed = re.search(r"codes: (.*) \(retrieval", described).group(1).split(", ")
    assert sorted(listed) == sorted(FALLBACK_REASONS)
