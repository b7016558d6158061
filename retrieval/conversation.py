"""Conversations: follow-up questions, and where their history comes from.

A follow-up ("Og hvor mange må tilgangen til førtidspension højst være
samme sted?") is answered as a standalone question. Without an LLM the
context is carried by rules, on the analysed query rather than by
rewriting words:

- **municipality**: a question that names no municipality (and does not
  span "alle kommuner") keeps the previous turn's municipalities;
- **year**: a question that names no year keeps the previous turn's years,
  softly, as a year read from a question is (only where a plan of the
  municipalities in scope covers it);
- **topic**: an elliptical question ("Hvad med Vejle?", "Og i 2022?",
  "What about Rebild?"), one with at most one content word of its own
  beyond names and years, takes the previous question's topic words.

With an LLM configured, a Danish condense prompt first rewrites the
follow-up into a standalone question (``retrieval/generate.py``); the rules
still run on the rewrite, so a rewrite that dropped the municipality is
repaired, never made worse.

History arrives in one of two ways (never both in one request):
- in the request: ``history`` on /v1/ask and /v1/ask/stream, or the OpenAI
  ``messages`` on /v1/chat/completions (stateless; the client keeps it);
- from the server: ``conversation_id``. Every /v1/ask and /v1/ask/stream
  answer is stored as a turn of a conversation (a new one when no id was
  sent) in SQLite (``data_dir/conversations.sqlite3``), with the full
  answer and its citations, so a reloaded widget shows them again.
  Retention: conversations idle longer than
  ``PLANCHAT_CONVERSATION_MAX_AGE_HOURS`` (7 days) are deleted, at most
  ``PLANCHAT_MAX_CONVERSATIONS`` are kept (oldest idle go first), and each
  keeps its last ``PLANCHAT_CONVERSATION_MAX_TURNS`` turns.

A conversation is private to whoever started it: ``create_with_token``
hands out a random token once, and only its SHA-256 is stored.
``authorize`` lets a request in with that token or as admin; anything else
gets the NotFound of a conversation that does not exist, so an id alone
reveals nothing. Conversations stored before tokens existed (a database
migrated by adding the ``token_sha256`` column) have none: only the admin
reaches them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from planchat.danish import analyze
from planchat.errors import InvalidRequest, NotFound

from .query import YEAR, Query, QueryAnalyzer


@dataclass
class Turn:
    """What a follow-up needs from an earlier question (and, when stored,
    the answer it got)."""

    question: str  # as the user asked it
    text: str  # the standalone text it was answered as
    municipalities: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    answer: dict | None = None  # the /v1/ask response body, for reloads


@dataclass
class Resolved:
    query: Query
    question: str  # the standalone question, for display ("… (Jammerbugt, 2014)")
    carried: list[str]  # which of "municipality", "year", "topic" came from the history
    turn: Turn  # this question as the next follow-up will see it


_ELLIPSIS_LEAD = re.compile(
    r"(?i)^\s*(og|men|hvad så med|hvad med|hvordan med|end|samme|også|and|what about|how about|same)\b"
)
_TOPIC_STOP = set(
    """
    hvad hvordan hvor hvilk med så også end samm sted der det dem den
    about what how same place there kommun plan planern municipal
    """.split()
)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} hours"
    return f"{seconds:g} seconds"


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class FollowUpResolver:
    """Carries municipality, year and topic from the previous turn into a
    follow-up question (rules; see the module docstring)."""

    def __init__(self, analyzer: QueryAnalyzer):
        self.analyzer = analyzer

    def turns_from_messages(self, messages: Sequence[dict]) -> list[Turn]:
        """Client-sent history (role/content) -> turns, each user question
        resolved against the ones before it. Assistant messages carry no
        context of their own (the questions do)."""
        turns: list[Turn] = []
        for message in messages:
            if message.get("role") != "user":
                continue
            content = (message.get("content") or "").strip()
            if not content:
                continue
            try:
                turns.append(self.resolve(content, turns).turn)
            except InvalidRequest:
                continue  # an old question that no longer analyses adds no context
        return turns

    def resolve(
        self,
        question: str,
        history: Sequence[Turn],
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
    ) -> Resolved:
        query = self.analyzer.analyze(question, municipalities, years)
        previous = next((t for t in reversed(history) if t.text), None)
        carried: list[str] = []
        if previous is None:
            return Resolved(query, query.text, carried, self._turn(question, query))

        topic = self._topic_text(previous.text) if self._elliptical(query) else ""
        if topic:
            extra = self.analyzer.analyze(topic)
            query = query.with_(
                text=f"{topic} {query.text}",
                terms=list(dict.fromkeys(query.terms + extra.terms)),
                wants_number=query.wants_number or extra.wants_number,
                answer_type=query.answer_type or extra.answer_type,
            )
            carried.append("topic")

        names_own = bool(query.municipalities or query.unknown_municipalities or query.spanning)
        if not names_own and not municipalities and previous.municipalities:
            query = query.with_(
                municipalities=[m for m in previous.municipalities if m in self.analyzer.corpus_municipalities]
            )
            if query.municipalities:
                carried.append("municipality")
        if not query.years and not years and previous.years and not query.unknown_municipalities:
            if self.analyzer.docs_for(query.municipalities, previous.years):
                query = query.with_(years=list(previous.years))
                carried.append("year")
        if "municipality" in carried or "year" in carried:
            query = query.with_(
                doc_ids=self.analyzer.docs_for(query.municipalities, query.years, strict_years=bool(years))
            )

        if topic:
            # The topic question stands for this one: what the next follow-up carries, and what is shown.
            shown, context = topic, [*query.municipalities, *map(str, query.years)]
        else:
            shown = query.text
            context = [
                *(query.municipalities if "municipality" in carried else []),
                *(str(y) for y in (query.years if "year" in carried else [])),
            ]
        if context:
            shown = f"{shown} ({', '.join(context)})"
        turn = self._turn(question, query)
        if topic:
            turn.text = topic
        return Resolved(query, shown, carried, turn)

    def _elliptical(self, query: Query) -> bool:
        names = set(analyze(" ".join(query.municipalities + query.unknown_municipalities)))
        own = [t for t in dict.fromkeys(query.terms) if t not in names and t not in _TOPIC_STOP and not t.isdigit()]
        return len(own) <= 1 and (len(own) == 0 or bool(_ELLIPSIS_LEAD.search(query.text)))

    def _topic_text(self, text: str) -> str:
        """The previous question without its municipality names and years."""
        spans = [(m.start, m.end) for m in self.analyzer.mentions(text)]
        out, last = [], 0
        for start, end in spans:
            out.append(text[last:start])
            last = end
        out.append(text[last:])
        topic = YEAR.sub("", "".join(out))
        topic = re.sub(r"\s+(i|for|in)\s*([?.!,]|$)", r"\2", topic)
        topic = _ELLIPSIS_LEAD.sub("", topic).strip(" ?.!,–-")
        topic = re.sub(r"\s{2,}", " ", topic)
        if not topic:
            return ""
        return topic[0].upper() + topic[1:] + ("?" if text.strip().endswith("?") else "")

    @staticmethod
    def _turn(question: str, query: Query) -> Turn:
        return Turn(
            question=question.strip(),
            text=query.text,
            municipalities=list(query.municipalities),
            years=list(query.years),
        )


class ConversationStore:
    """Server-side conversations in SQLite, with the retention limits of the
    module docstring. Thread-safe (one connection, one lock)."""

    def __init__(self, path: Path, max_age_hours: float, max_conversations: int, max_turns: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_age_s = max_age_hours * 3600
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA secure_delete=ON")  # a deleted turn's text is overwritten, not left in free pages
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS conversations (
                id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, token_sha256 TEXT);
            CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated_at);
            CREATE TABLE IF NOT EXISTS turns (
                conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                n INTEGER NOT NULL, created_at REAL NOT NULL, turn TEXT NOT NULL,
                PRIMARY KEY (conversation_id, n));
            """
        )
        self._db.execute("PRAGMA foreign_keys=ON")
        self._add_token_column()

    def _add_token_column(self) -> None:
        """Migrate a store made before conversation tokens (its conversations keep no token: admin only)."""

        def missing() -> bool:
            return "token_sha256" not in {row[1] for row in self._db.execute("PRAGMA table_info(conversations)")}

        if not missing():
            return
        self._db.execute("BEGIN IMMEDIATE")  # another worker may be migrating the same file
        try:
            if missing():
                self._db.execute("ALTER TABLE conversations ADD COLUMN token_sha256 TEXT")
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    @staticmethod
    def check_id(conversation_id: str) -> str:
        if not re.fullmatch(r"[0-9a-f]{32}", conversation_id or ""):
            raise InvalidRequest(
                "conversation_id: not a planchat conversation id (32 hex characters, as a previous answer returned). "
                "Omit it to start a new conversation."
            )
        return conversation_id

    def _missing(self, conversation_id: str) -> NotFound:
        """The one answer for a conversation that is not there and for one the request may not see."""
        return NotFound(
            f"conversation_id: no conversation '{conversation_id}' for this request: it expired after "
            f"{_duration(self.max_age_s)} idle, was deleted, never existed, or the X-Conversation-Token header "
            "(given when it was created) is missing or wrong. Omit it to start a new one."
        )

    def _row(self, conversation_id: str):
        cutoff = time.time() - self.max_age_s
        row = self._db.execute(
            "SELECT id, created_at, updated_at, token_sha256 FROM conversations WHERE id = ? AND updated_at >= ?",
            (conversation_id, cutoff),
        ).fetchone()
        if row is None:
            raise self._missing(conversation_id)
        return row

    def authorize(self, conversation_id: str, token: str | None, admin: bool = False) -> None:
        """NotFound unless the conversation exists and ``token`` is its token
        (or the caller is the admin). The hashes are compared in constant time."""
        self.check_id(conversation_id)
        with self._lock:
            stored = self._row(conversation_id)[3]
        if admin:
            return
        if stored is None or token is None or not hmac.compare_digest(stored, token_sha256(token)):
            raise self._missing(conversation_id)

    def turns(self, conversation_id: str) -> list[Turn]:
        self.check_id(conversation_id)
        with self._lock:
            self._row(conversation_id)
            rows = self._db.execute(
                "SELECT turn FROM turns WHERE conversation_id = ? ORDER BY n", (conversation_id,)
            ).fetchall()
        return [Turn(**json.loads(r[0])) for r in rows]

    def get(self, conversation_id: str) -> dict:
        self.check_id(conversation_id)
        with self._lock:
            _, created, updated, _ = self._row(conversation_id)
        return {
            "conversation_id": conversation_id,
            "created_at": created,
            "updated_at": updated,
            "turns": self.turns(conversation_id),
        }

    def create(self) -> str:
        """A conversation without a token: only the admin reaches it over HTTP."""
        return self._insert(None)

    def create_with_token(self) -> tuple[str, str]:
        """A new conversation's id and its token (returned once; only its SHA-256 is kept)."""
        token = secrets.token_urlsafe(32)
        return self._insert(token_sha256(token)), token

    def _insert(self, token_hash: str | None) -> str:
        conversation_id = uuid.uuid4().hex
        now = time.time()
        with self._lock:
            self._db.execute("INSERT INTO conversations (id, created_at, updated_at, token_sha256) VALUES (?, ?, ?, ?)",
                             (conversation_id, now, now, token_hash))  # fmt: skip
            self._prune(now)
        return conversation_id

    def append(self, conversation_id: str, turn: Turn) -> None:
        now = time.time()
        payload = json.dumps(turn.__dict__, ensure_ascii=False)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                exists = self._db.execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
                if exists is None:  # deleted or pruned while the answer was being written: start it again (admin only)
                    self._db.execute("INSERT INTO conversations (id, created_at, updated_at) VALUES (?, ?, ?)",
                                     (conversation_id, now, now))  # fmt: skip
                last = self._db.execute(
                    "SELECT COALESCE(MAX(n), 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()[0]
                self._db.execute("INSERT INTO turns VALUES (?, ?, ?, ?)", (conversation_id, last + 1, now, payload))
                self._db.execute(
                    "DELETE FROM turns WHERE conversation_id = ? AND n <= ?",
                    (conversation_id, last + 1 - self.max_turns),
                )
                self._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now, conversation_id))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def delete(self, conversation_id: str) -> None:
        self.check_id(conversation_id)
        with self._lock:
            self._row(conversation_id)
            self._db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]

    def _prune(self, now: float) -> None:
        self._db.execute("DELETE FROM conversations WHERE updated_at < ?", (now - self.max_age_s,))
        excess = self._db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] - self.max_conversations
        if excess > 0:
            self._db.execute(
                "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations ORDER BY updated_at LIMIT ?)",
                (excess,),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()
