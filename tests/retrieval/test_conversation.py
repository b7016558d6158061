"""Follow-up questions carry municipality, year and topic by rule; the
server-side conversation store keeps turns within its retention limits."""

from __future__ import annotations

import time

import pytest
from expected import FOLLOWUP_FIRST_Q, FOLLOWUP_Q, FOLLOWUP_RESOLVED

from planchat.errors import InvalidRequest, NotFound
from retrieval.conversation import ConversationStore, FollowUpResolver, Turn


@pytest.fixture(scope="module")
def resolver(hash_service) -> FollowUpResolver:
    return FollowUpResolver(hash_service.analyzer)


def run(resolver, questions):
    history, out = [], []
    for q in questions:
        r = resolver.resolve(q, history)
        history.append(r.turn)
        out.append((r.question, r.carried, r.query.municipalities, r.query.years, r.query.doc_ids))
    return out


def test_first_question_is_answered_as_asked(resolver):
    assert run(resolver, [FOLLOWUP_FIRST_Q]) == [(FOLLOWUP_FIRST_Q, [], ["Jammerbugt"], [2014], ["jammerbugt-2014"])]


def test_follow_up_keeps_municipality_and_year(resolver):
    assert run(resolver, [FOLLOWUP_FIRST_Q, FOLLOWUP_Q])[1] == (
        FOLLOWUP_RESOLVED,
        ["municipality", "year"],
        ["Jammerbugt"],
        [2014],
        ["jammerbugt-2014"],
    )


def test_elliptical_follow_ups_keep_the_topic(resolver):
    out = run(resolver, [FOLLOWUP_FIRST_Q, FOLLOWUP_Q, "Hvad med Vejle?", "Og i 2022?", "What about Rebild?"])
    topic = "Hvor mange må tilgangen til førtidspension højst være samme sted?"
    assert out[2] == (f"{topic} (Vejle)", ["topic"], ["Vejle"], [], ["vejle-2020-23"])
    assert out[3] == (f"{topic} (Vejle, 2022)", ["topic", "municipality"], ["Vejle"], [2022], ["vejle-2020-23"])
    assert out[4] == (f"{topic} (Rebild, 2022)", ["topic", "year"], ["Rebild"], [2022], ["rebild-2022"])


def test_a_question_naming_its_own_municipality_carries_nothing(resolver):
    out = run(resolver, [FOLLOWUP_FIRST_Q, "Hvad er Fredericias mål for sygedagpenge?"])
    assert out[1] == ("Hvad er Fredericias mål for sygedagpenge?", [], ["Fredericia"], [], ["fredericia-2023"])


def test_a_year_no_plan_of_the_municipality_covers_is_not_carried(resolver):
    out = run(resolver, [FOLLOWUP_FIRST_Q, "Hvad er Vejles mål for ledigheden?"])
    assert out[1] == ("Hvad er Vejles mål for ledigheden?", [], ["Vejle"], [], ["vejle-2020-23"])


def test_a_spanning_question_does_not_inherit_one_municipality(resolver):
    out = run(resolver, [FOLLOWUP_FIRST_Q, "Hvilke kommuner nævner førtidspension?"])
    assert out[1][1:3] == (["year"], [])


def test_explicit_filters_win_over_the_history(resolver):
    history = [resolver.resolve(FOLLOWUP_FIRST_Q, []).turn]
    r = resolver.resolve(FOLLOWUP_Q, history, municipalities=["Rebild"])
    assert (r.carried, r.query.municipalities) == ([], ["Rebild"])


def test_client_history_is_resolved_question_by_question(resolver):
    turns = resolver.turns_from_messages([
        {"role": "system", "content": "Svar kort."},
        {"role": "user", "content": FOLLOWUP_FIRST_Q},
        {"role": "assistant", "content": "Vejle: «…» [1]"},
        {"role": "user", "content": "Hvad med 2014?"},
    ])  # fmt: skip
    assert [(t.question, t.municipalities, t.years) for t in turns] == [
        (FOLLOWUP_FIRST_Q, ["Jammerbugt"], [2014]),
        ("Hvad med 2014?", ["Jammerbugt"], [2014]),
    ]


# ---- the store ----------------------------------------------------------------


def make_store(tmp_path, **limits) -> ConversationStore:
    defaults = {"max_age_hours": 24.0, "max_conversations": 100, "max_turns": 50}
    return ConversationStore(tmp_path / "conversations.sqlite3", **{**defaults, **limits})


def turn(q: str) -> Turn:
    return Turn(question=q, text=q, municipalities=["Jammerbugt"], years=[2014], answer={"answer": q})


def test_store_round_trips_turns_in_order(tmp_path):
    store = make_store(tmp_path)
    cid = store.create()
    store.append(cid, turn("a"))
    store.append(cid, turn("b"))
    assert [t.question for t in store.turns(cid)] == ["a", "b"]
    assert store.turns(cid)[0] == turn("a")
    reopened = make_store(tmp_path)
    assert [t.answer for t in reopened.turns(cid)] == [{"answer": "a"}, {"answer": "b"}]


def test_store_keeps_the_last_turns_only(tmp_path):
    store = make_store(tmp_path, max_turns=2)
    cid = store.create()
    for q in "abcd":
        store.append(cid, turn(q))
    assert [t.question for t in store.turns(cid)] == ["c", "d"]


def test_store_drops_the_oldest_conversations_over_the_limit(tmp_path):
    store = make_store(tmp_path, max_conversations=2)
    first = store.create()
    second = store.create()
    store.append(first, turn("touch"))  # the first is now the most recently used
    third = store.create()
    assert store.count() == 2
    with pytest.raises(NotFound):
        store.turns(second)
    assert [t.question for t in store.turns(first)] == ["touch"]
    assert store.turns(third) == []


def test_store_expires_idle_conversations(tmp_path):
    store = make_store(tmp_path, max_age_hours=0.5 / 3600)
    cid = store.create()
    time.sleep(0.6)
    with pytest.raises(NotFound) as exc:
        store.turns(cid)
    assert exc.value.message == (
        f"conversation_id: no conversation '{cid}' for this request: it expired after 0.5 seconds idle, was "
        "deleted, never existed, or the X-Conversation-Token header (given when it was created) is missing or "
        "wrong. Omit it to start a new one."
    )


def test_store_refuses_ids_it_could_not_have_made(tmp_path):
    store = make_store(tmp_path)
    for bad in ("", "../../etc/passwd", "A" * 32, "0" * 31):
        with pytest.raises(InvalidRequest):
            store.turns(bad)


def test_deleted_conversation_is_gone(tmp_path):
    store = make_store(tmp_path)
    cid = store.create()
    store.delete(cid)
    with pytest.raises(NotFound):
        store.get(cid)
    assert store.count() == 0
