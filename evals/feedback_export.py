"""``planchat feedback export --format jsonl``: the stored feedback on
answers (retrieval/feedback.py) as the skeleton of a question set in the
eval schema (evals/README.md), one JSON object per line, newest first:

- ``id``: ``feedback-<n>`` (n: the feedback's id, stable);
- ``question``: the question asked (redacted when it was stored);
- ``expected``: ``[]``, left for the evaluator to fill in (as it stands the
  line scores retrieval only, through ``gold_quote``);
- ``municipalities``: those of the answer's evidence citations, in order;
- ``expect_abstain``: false (the evaluator decides);
- ``tags``: ``feedback`` and ``feedback-up`` or ``feedback-down``;
- ``gold_quote``: the first evidence quote checked against its document,
  its first line cut at a word to at most 90 characters (the schema's
  25–90 characters of one line); left out when there is none;
- ``note``: the user's comment, when there is one.

The lines load with ``evals.runner.load_set`` as they are.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from planchat.config import Settings
from retrieval.feedback import FeedbackStore

GOLD_MAX = 90


def gold_quote(quote: str, limit: int = GOLD_MAX) -> str:
    """The quote's first non-empty line, cut after the last whole word within ``limit`` characters."""
    line = next((part.strip() for part in quote.splitlines() if part.strip()), "")
    if len(line) <= limit:
        return line
    cut = line[: limit + 1].rsplit(" ", 1)[0] if " " in line[:limit] else line[:limit]
    return cut.rstrip(" ,;:")


def question_line(entry: dict) -> dict:
    evidence = [c for c in entry["citations"] if c.get("role") != "see_also"]
    municipalities = list(dict.fromkeys(c["municipality"] for c in evidence if c.get("municipality")))
    line = {
        "id": f"feedback-{entry['feedback_id']}",
        "question": entry["question"],
        "expected": [],
        "municipalities": municipalities,
        "expect_abstain": False,
        "tags": ["feedback", f"feedback-{entry['rating']}"],
    }
    verified = next((c["quote"] for c in evidence if c.get("verified") and c.get("quote")), None)
    if verified:
        line["gold_quote"] = gold_quote(verified)
    if entry.get("comment"):
        line["note"] = entry["comment"]
    return line


def export_lines(store: FeedbackStore, rating: str | None = None) -> list[str]:
    entries, offset = [], 0
    while batch := store.entries(limit=500, offset=offset, rating=rating):
        entries.extend(batch)
        offset += len(batch)
    return [json.dumps(question_line(e), ensure_ascii=False) for e in entries]


def cmd_feedback(args, settings: Settings) -> int:
    store = FeedbackStore(settings.feedback_file, settings.feedback_max_age_days, settings.max_feedback)
    try:
        lines = export_lines(store, None if args.rating == "all" else args.rating)
    finally:
        store.close()
    text = "".join(line + "\n" for line in lines)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"{len(lines)} questions written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def add_feedback_command(sub) -> None:
    p = sub.add_parser("feedback", help="export the feedback on answers as a question-set skeleton")
    p.add_argument("action", choices=["export"])
    p.add_argument("--format", choices=["jsonl"], default="jsonl", help="JSON Lines in the eval schema")
    p.add_argument("--rating", choices=["all", "up", "down"], default="all", help="only this rating")
    p.add_argument("--out", type=Path, help="write here (default: stdout)")
    p.set_defaults(func=cmd_feedback)
