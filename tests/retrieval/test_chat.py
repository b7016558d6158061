"""One chat turn (retrieval/chat.py: ChatService.turn), as every front end
runs it: answer, notice, the body in the front end's shape, the turn stored."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from conftest import make_settings
from expected import FOLLOWUP_FIRST_Q, JAMMERBUGT_228

from retrieval.chat import ChatService, answer_record
from retrieval.conversation import ConversationStore, Turn
from retrieval.service import AskService


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, retrieval_mode="bm25")  # the mode that answers over the hash index


@pytest.fixture
def service(hash_index, settings) -> AskService:
    return AskService(hash_index, settings)


@pytest.fixture
def store(settings):
    store = ConversationStore(settings.conversations_file, 1, 10, 10)
    yield store
    store.close()


def test_a_turn_answers_and_stores_the_answer_record(service, settings, store):
    chat = ChatService(settings, store)
    prepared = chat.prepare(service, FOLLOWUP_FIRST_Q)
    reply = chat.turn(prepared)
    assert JAMMERBUGT_228 in reply.answer.answer and reply.notice is None
    assert reply.body == {**asdict(reply.answer), "question": FOLLOWUP_FIRST_Q, "carried": [],
                          "conversation_id": prepared.conversation_id, "notice": None}  # fmt: skip
    assert reply.body == answer_record(prepared, reply.answer, reply.notice)
    assert store.turns(prepared.conversation_id) == [
        Turn(
            question=FOLLOWUP_FIRST_Q,
            text=FOLLOWUP_FIRST_Q,
            municipalities=["Jammerbugt"],
            years=[2014],
            answer=reply.body,
        )  # fmt: skip
    ]


def test_a_turn_stores_the_body_in_the_front_ends_shape(service, settings, store):
    chat = ChatService(settings, store, shape=lambda prepared, answer, notice: {"answer": answer.answer, "n": 1})
    prepared = chat.prepare(service, FOLLOWUP_FIRST_Q)
    reply = chat.turn(prepared)
    assert reply.body == {"answer": reply.answer.answer, "n": 1}
    assert [t.answer for t in store.turns(prepared.conversation_id)] == [reply.body]


def test_a_turn_without_a_store_keeps_nothing(service, settings):
    chat = ChatService(settings, store=None)
    prepared = chat.prepare(service, FOLLOWUP_FIRST_Q, remember=False)
    reply = chat.turn(prepared)
    assert (prepared.conversation_id, reply.body["conversation_id"]) == (None, None)
