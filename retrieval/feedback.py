"""Feedback on answers (👍/👎 and an optional comment), kept so that an
evaluator can turn it into regression questions (``planchat feedback
export``, evals/feedback_export.py).

What is stored, and what never is:

- the question, the answer and the comment pass through
  ``planchat/redact.py`` first: a CPR number, an e-mail address or a phone
  number a user typed is stored as ``[CPR]``, ``[e-mail]`` or
  ``[telefon]``, never as itself (the request body is not logged either);
- a cited quote is plan text, kept verbatim only where it is: when the
  stored clean text of its document holds it at its ``start``/``end`` (or
  anywhere, without them). Any other "quote" is text the client made up and
  is redacted like the rest (``verified: false``);
- retention: entries older than ``PLANCHAT_FEEDBACK_MAX_AGE_DAYS`` are
  deleted, and at most ``PLANCHAT_MAX_FEEDBACK`` are kept (the oldest go
  first), checked at every write. ``secure_delete`` overwrites what is
  deleted.

SQLite in the data dir (``data_dir/feedback.sqlite3``), WAL, one connection
and one lock per process; several workers share the file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from planchat.redact import redact

CITATION_FIELDS = ("n", "doc_id", "municipality", "year", "title", "section", "page", "quote", "start", "end", "role")


def checked_citations(citations: list[dict], clean_text: Callable[[str], str | None]) -> list[dict]:
    """The citations as stored: a quote the document holds stays verbatim, any other is redacted."""
    texts: dict[str, str | None] = {}
    out = []
    for cited in citations:
        c = {k: cited.get(k) for k in CITATION_FIELDS}
        doc_id, quote, start, end = c["doc_id"], str(c["quote"] or ""), c["start"], c["end"]
        if doc_id and doc_id not in texts:
            texts[doc_id] = clean_text(doc_id)
        text = texts.get(doc_id) if doc_id else None
        if text is not None and quote and isinstance(start, int) and isinstance(end, int):
            verified = 0 <= start < end <= len(text) and text[start:end] == quote
        else:
            verified = bool(text is not None and quote and start is None and quote in text)
        if not verified:
            c.update(quote=redact(quote), start=None, end=None)
        for key in ("municipality", "title", "section"):
            value = c[key]
            if isinstance(value, str) and not verified:
                c[key] = redact(value)
        out.append({**c, "verified": verified})
    return out


class FeedbackStore:
    """Feedback entries in SQLite with the retention limits of the module docstring. Thread-safe."""

    def __init__(self, path: Path, max_age_days: float, max_entries: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_age_s = max_age_days * 86400
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")  # a deleted entry's text is overwritten, not left in free pages
        self._db.execute(
            """CREATE TABLE IF NOT EXISTS feedback (
                id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, conversation_id TEXT,
                rating TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, comment TEXT,
                citations TEXT NOT NULL)"""
        )
        self._db.execute("CREATE INDEX IF NOT EXISTS feedback_created ON feedback(created_at)")

    def add(
        self,
        question: str,
        answer: str,
        citations: list[dict],
        rating: str,
        comment: str | None = None,
        conversation_id: str | None = None,
        clean_text: Callable[[str], str | None] = lambda doc_id: None,
        now: float | None = None,
    ) -> int:
        """Store one entry, redacted (module docstring); its id."""
        now = time.time() if now is None else now
        comment = redact(comment.strip()) if comment and comment.strip() else None
        row = (now, conversation_id, rating, redact(question), redact(answer), comment,
               json.dumps(checked_citations(citations, clean_text), ensure_ascii=False))  # fmt: skip
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "INSERT INTO feedback (created_at, conversation_id, rating, question, answer, comment, citations) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                self._prune(now)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return int(cursor.lastrowid or 0)

    def _prune(self, now: float) -> None:
        self._db.execute("DELETE FROM feedback WHERE created_at < ?", (now - self.max_age_s,))
        self._db.execute(
            "DELETE FROM feedback WHERE id NOT IN (SELECT id FROM feedback ORDER BY created_at DESC, id DESC LIMIT ?)",
            (self.max_entries,),
        )

    def entries(self, limit: int = 100, offset: int = 0, rating: str | None = None) -> list[dict]:
        """Newest first (only those within the age limit, even before the next write prunes)."""
        cutoff = time.time() - self.max_age_s
        where, args = "created_at >= ?", list[object]([cutoff])
        if rating:
            where += " AND rating = ?"
            args.append(rating)
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created_at, conversation_id, rating, question, answer, comment, citations FROM feedback "
                f"WHERE {where} ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                (*args, limit, offset),
            ).fetchall()
        keys = ("feedback_id", "created_at", "conversation_id", "rating", "question", "answer", "comment", "citations")
        return [{**dict(zip(keys, r)), "citations": json.loads(r[7])} for r in rows]

    def count(self, rating: str | None = None) -> int:
        cutoff = time.time() - self.max_age_s
        with self._lock:
            if rating:
                row = self._db.execute(
                    "SELECT COUNT(*) FROM feedback WHERE created_at >= ? AND rating = ?", (cutoff, rating)
                ).fetchone()
            else:
                row = self._db.execute("SELECT COUNT(*) FROM feedback WHERE created_at >= ?", (cutoff,)).fetchone()
            return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
