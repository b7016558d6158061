"""The chat service: a question with its history -> a cited answer.

Shared by /v1/ask, /v1/ask/stream, /v1/chat/completions and ``planchat
ask``. In two steps, so a streaming endpoint can refuse bad input with a
plain 4xx before the stream starts, and report anything later as an error
event:

1. ``prepare``: validate, load the history (request ``history``/``messages``
   or a server-side ``conversation_id``, see ``retrieval/conversation.py``),
   condense the follow-up with the LLM when one is configured, carry
   municipality/year/topic by rule, analyse;
2. ``answer``: retrieve, answer extractively, and when an LLM is configured
   let it write the answer from the same passages, verified, falling back to
   the extractive answer (``fallback_reason`` says why).

``turn`` is step 2 as every front end runs it: answer, the notice for a
fallback, the body (shaped by the front end's ``shape``: the API's /v1/ask
response, or by default the answer record ``planchat ask --json`` prints),
and the turn stored in its server-side conversation.

LLM answers are generated whole and verified before a single word is
streamed: a user never sees text that later turns out to be unsupported.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable, Optional, Sequence

from ingest.snapshot import IndexSnapshot
from planchat.config import Settings
from planchat.errors import InvalidRequest
from planchat.records import Answer, Passage
from planchat.timing import Timer

from .query import detect_language, query_analyzer
from .conversation import ConversationStore, FollowUpResolver, Resolved, Turn
from .service import AskService, require_text

ROLES = ("user", "assistant", "system")
MAX_HISTORY_CONTENT_CHARS = 20_000


@dataclass
class Prepared:
    snapshot: IndexSnapshot  # the one index generation this turn reads
    service: AskService
    resolved: Resolved
    k: int
    conversation_id: Optional[str] = None  # None: stateless (history came in the request)
    started: float = field(default_factory=time.perf_counter)
    conversation_token: Optional[str] = None  # set only when this turn created the conversation (never stored)


@dataclass
class Reply:
    """One answered turn: the answer, the note for the user (a fallback), and the body as the front end shapes it."""

    answer: Answer
    notice: Optional[str]
    body: dict


def answer_record(prepared: Prepared, answer: Answer, notice: Optional[str]) -> dict:
    """The answer record with the turn's context (what ``planchat ask --json`` prints)."""
    return {**asdict(answer), "question": prepared.resolved.question, "carried": prepared.resolved.carried,
            "conversation_id": prepared.conversation_id, "notice": notice}  # fmt: skip


Shape = Callable[[Prepared, Answer, Optional[str]], dict]


class ChatService:
    def __init__(
        self, settings: Settings, store: Optional[ConversationStore], generator=None, shape: Shape = answer_record
    ):
        self.settings = settings
        self.store = store
        self.generator = generator
        self.shape = shape  # the body of a reply, as the front end returns it (and stores it with the turn)

    def validate_history(self, messages: Sequence[dict], field_name: str = "history") -> list[dict]:
        s = self.settings
        if len(messages) > s.max_history_messages:
            raise InvalidRequest(
                f"{field_name}: at most {s.max_history_messages} messages; got {len(messages)}. "
                "Send only the recent part of the conversation."
            )
        return [self.validate_message(m, f"{field_name}[{i}]") for i, m in enumerate(messages)]

    @staticmethod
    def validate_message(message: dict, label: str) -> dict:
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise InvalidRequest(f"{label}.role: must be one of {', '.join(ROLES)}; got {role!r}.")
        if not isinstance(content, str):
            raise InvalidRequest(f"{label}.content: must be text.")
        require_text(f"{label}.content", content)
        if len(content) > MAX_HISTORY_CONTENT_CHARS:
            raise InvalidRequest(
                f"{label}.content: is {len(content)} characters; the limit is {MAX_HISTORY_CONTENT_CHARS}."
            )
        return {"role": role, "content": content}

    def prepare(
        self,
        service: AskService,
        question: str,
        municipalities: Optional[list[str]] = None,
        years: Optional[list[int]] = None,
        top_k: Optional[int] = None,
        history: Optional[Sequence[dict]] = None,
        conversation_id: Optional[str] = None,
        remember: bool = True,
        history_field: str = "history",
    ) -> Prepared:
        started = time.perf_counter()
        k = service.validate(question, municipalities, years, top_k)
        if history and conversation_id:
            raise InvalidRequest(
                f"{history_field} and conversation_id: send one of them. history keeps the conversation in the "
                "client; conversation_id keeps it on the server."
            )
        snapshot = service.index.snapshot
        resolver = FollowUpResolver(query_analyzer(snapshot))
        messages: list[dict] = []
        if conversation_id:
            if self.store is None:
                raise InvalidRequest("conversation_id: this server keeps no conversations; send history instead.")
            turns = self.store.turns(conversation_id)
            for t in turns:
                messages.append({"role": "user", "content": t.question})
                if t.answer:
                    messages.append({"role": "assistant", "content": t.answer.get("answer", "")})
        else:
            messages = self.validate_history(history or [], history_field)
            turns = resolver.turns_from_messages(messages)

        standalone = question
        if self.generator is not None and turns:
            from .condense import condense

            standalone = condense(self.generator, messages, question)
        resolved = resolver.resolve(standalone, turns, municipalities, years)
        resolved.turn.question = question.strip()
        if standalone != question:  # the condense prompt always writes Danish: answer in the asker's language
            resolved.query = resolved.query.with_(lang=detect_language(question))
        token = None
        if conversation_id is None and remember and not history and self.store is not None:
            conversation_id, token = self.store.create_with_token()  # only once the question is known to be answerable
        return Prepared(snapshot, service, resolved, k, conversation_id, started, token)

    def answer(self, prepared: Prepared) -> tuple[Answer, list[Passage]]:
        answer, passages = prepared.service.answer_query(
            prepared.snapshot, prepared.resolved.query, prepared.k, timer=Timer(prepared.started)
        )
        if self.generator is not None and passages:
            from .generate import generate_answer

            t0 = time.perf_counter()
            generated = generate_answer(self.generator, prepared.resolved.query, passages, answer)
            generated.timings_ms = {**answer.timings_ms, **generated.timings_ms}
            generated.timings_ms["total"] = round((time.perf_counter() - prepared.started) * 1000, 2)
            generated.timings_ms.setdefault("generate", round((time.perf_counter() - t0) * 1000, 2))
            answer = generated
        return answer, passages

    def turn(self, prepared: Prepared) -> Reply:
        """Answer a prepared question, shape the body, store the turn (when it has a conversation)."""
        answer, _ = self.answer(prepared)
        notice = self.notice(answer, prepared.resolved.query.lang)
        body = self.shape(prepared, answer, notice)
        self.remember(prepared, body)
        return Reply(answer, notice, body)

    def notice(self, answer: Answer, lang: str) -> Optional[str]:
        if not answer.fallback_reason:
            return None
        from .llm_prompts import fallback_notice

        return fallback_notice(lang)

    def remember(self, prepared: Prepared, response: dict) -> None:
        if self.store is None or prepared.conversation_id is None:
            return
        turn = prepared.resolved.turn
        turn.answer = response
        self.store.append(prepared.conversation_id, turn)
