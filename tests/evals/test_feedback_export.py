"""``planchat feedback export --format jsonl`` (evals/feedback_export.py): the stored feedback as a question-set
skeleton in the eval schema, exact lines, and lines that load as a question set."""

from __future__ import annotations

import json
import os

from evals.feedback_export import export_lines, gold_quote
from evals.runner import load_set
from planchat.cli import main
from retrieval.feedback import FeedbackStore

TEXT = (
    "Indledning.\nTilgangen til førtidspension skal begrænses til 36 personer i december 2014, og antallet af "
    "langtidsledige skal begrænses til 228 personer.\nSlut."
)
LONG = TEXT.splitlines()[1]
SHORT = "Tilgangen til førtidspension skal begrænses til 36 personer"


def clean_text(doc_id: str) -> str | None:
    return TEXT if doc_id == "jammerbugt-2014" else None


def cite(n: int, quote: str, municipality="Jammerbugt", role="evidence", doc_id="jammerbugt-2014") -> dict:
    start = TEXT.find(quote)
    return {"n": n, "doc_id": doc_id, "municipality": municipality, "year": 2014, "quote": quote,
            "start": start if start >= 0 else None, "end": start + len(quote) if start >= 0 else None, "role": role}  # fmt: skip


def fill(store: FeedbackStore) -> None:
    store.add("Hvor mange førtidspensioner i Jammerbugt?", "36 [1]",
              [cite(1, "Slut."), cite(2, LONG), cite(3, "Rebild-tekst", "Rebild", "see_also", "rebild-2022")],
              "down", comment="Svaret mangler 228 – ring 12345678", clean_text=clean_text, now=1_000)  # fmt: skip
    store.add("Hvad med Vejle?", "Det fremgår ikke.", [cite(1, "opdigtet citat 010190-1234", "Vejle")], "up",
              clean_text=clean_text, now=2_000)  # fmt: skip


def test_gold_quote_is_the_first_line_cut_at_a_word_within_90_characters():
    assert gold_quote(LONG) == (
        "Tilgangen til førtidspension skal begrænses til 36 personer i december 2014, og antallet"
    )
    assert len(gold_quote(LONG)) <= 90 and LONG.startswith(gold_quote(LONG))
    assert gold_quote("\n  " + SHORT + "\nnæste linje") == SHORT


def test_export_lines_are_exact_newest_first(tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3", max_age_days=365 * 100, max_entries=10)
    fill(store)
    lines = [json.loads(line) for line in export_lines(store)]
    store.close()
    assert lines == [
        {"id": "feedback-2", "question": "Hvad med Vejle?", "expected": [], "municipalities": ["Vejle"],
         "expect_abstain": False, "tags": ["feedback", "feedback-up"]},  # its quote is not in a document: no gold
        {"id": "feedback-1", "question": "Hvor mange førtidspensioner i Jammerbugt?", "expected": [],
         "municipalities": ["Jammerbugt"], "expect_abstain": False, "tags": ["feedback", "feedback-down"],
         "gold_quote": "Slut.", "note": "Svaret mangler 228 – ring [telefon]"},
    ]  # fmt: skip


def test_the_cli_writes_a_set_that_loads(tmp_path, monkeypatch, capsys):
    for name in list(os.environ):
        if name.startswith("PLANCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PLANCHAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PLANCHAT_FEEDBACK_MAX_AGE_DAYS", str(365 * 100))
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite3", max_age_days=365 * 100, max_entries=10)
    fill(store)
    store.close()
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    out = capsys.readouterr().out
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["feedback-2", "feedback-1"]
    assert main(["feedback", "export", "--rating", "down", "--out", str(tmp_path / "set.jsonl")]) == 0
    (question,) = load_set(tmp_path / "set.jsonl")
    assert (question.id, question.gold_quote, question.note, question.expected) == (
        "feedback-1", "Slut.", "Svaret mangler 228 – ring [telefon]", [],
    )  # fmt: skip
    assert capsys.readouterr().err == f"1 questions written to {tmp_path / 'set.jsonl'}\n"
