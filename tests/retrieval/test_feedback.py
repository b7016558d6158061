"""The feedback store (retrieval/feedback.py): redacted before it is written, quotes kept verbatim only where the
document holds them, retention by count and age."""

from __future__ import annotations

import time

from retrieval.feedback import FeedbackStore, checked_citations

TEXT = "Indledning. Antallet af langtidsledige skal begrænses til 228 personer i december 2014. Slut."
QUOTE = "Antallet af langtidsledige skal begrænses til 228 personer i december 2014."
START = TEXT.index(QUOTE)
CPR = "010190-1234"


def clean_text(doc_id: str) -> str | None:
    return TEXT if doc_id == "jammerbugt-2014" else None


def cited(**overrides) -> dict:
    return {"n": 1, "doc_id": "jammerbugt-2014", "municipality": "Jammerbugt", "year": 2014, "title": "Plan",
            "section": "Mål", "page": 3, "quote": QUOTE, "start": START, "end": START + len(QUOTE),
            "role": "evidence", **overrides}  # fmt: skip


def test_a_quote_the_document_holds_stays_verbatim_any_other_is_redacted():
    checked = checked_citations(
        [cited(), cited(start=None, end=None), cited(quote=f"Borger {CPR} ringede", start=0, end=10),
         cited(doc_id="ukendt", quote="mail a@b.dk")],
        clean_text,
    )  # fmt: skip
    assert [(c["quote"], c["start"], c["verified"]) for c in checked] == [
        (QUOTE, START, True),
        (QUOTE, None, True),  # no span: found in the text
        ("Borger [CPR] ringede", None, False),
        ("mail [e-mail]", None, False),
    ]


def test_question_answer_and_comment_are_redacted_before_they_reach_the_file(tmp_path):
    path = tmp_path / "feedback.sqlite3"
    store = FeedbackStore(path, max_age_days=30, max_entries=100)
    feedback_id = store.add(
        f"Hvad gælder for borger {CPR}?", "Svar til jens@example.dk", [cited()], "down",
        comment=f"Forkert, ring 12 34 56 78 om {CPR}", clean_text=clean_text,
    )  # fmt: skip
    (entry,) = store.entries()
    assert {k: entry[k] for k in ("feedback_id", "rating", "question", "answer", "comment", "conversation_id")} == {
        "feedback_id": feedback_id, "rating": "down", "question": "Hvad gælder for borger [CPR]?",
        "answer": "Svar til [e-mail]", "comment": "Forkert, ring [telefon] om [CPR]", "conversation_id": None,
    }  # fmt: skip
    assert entry["citations"][0]["quote"] == QUOTE and entry["citations"][0]["verified"] is True
    store.close()
    written = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("feedback.sqlite3"))
    for secret in (CPR, "010190", "jens@example.dk", "12 34 56 78"):
        assert secret.encode() not in written
    assert b"Forkert, ring [telefon] om [CPR]" in written


def test_retention_keeps_the_newest_by_count_and_drops_the_old_by_age(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3", max_age_days=10, max_entries=2)
    now = time.time()
    store.add("gammel", "", [], "up", now=now - 11 * 86400)
    assert store.count() == 0  # older than the age limit: not shown even before the next write prunes it
    for n in range(3):
        store.add(f"spørgsmål {n}", "", [], "up", now=now + n)
    assert [e["question"] for e in store.entries()] == ["spørgsmål 2", "spørgsmål 1"]
    assert store._db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == 2  # the old one is gone from the file
    assert [e["question"] for e in store.entries(rating="down")] == [] and store.count("up") == 2
    store.close()
