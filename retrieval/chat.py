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

LLM answers are generated whole and judged (retrieval/judge.py) before a
word of them is shown: a user never sees LLM text that later turns out to be
unsupported. A stream does not wait for it: ``steps`` gives the extractive
answer first (a draft, verified like every extractive answer), then the
final one, which is the LLM's only when the judge accepted it.

Personal data (planchat/redact.py): the question and every history message
are redacted (CPR numbers, e-mail addresses, phone numbers -> placeholders)
before anything else reads them, so what is analysed, condensed by an LLM,
logged and stored is the redacted text; the query analyser reads it without
the placeholders. Work per request is bounded: at most
``PLANCHAT_MAX_HISTORY_MESSAGES`` messages of at most
``PLANCHAT_MAX_HISTORY_CHARS`` characters in all, and only the last
``CONTEXT_QUESTIONS`` questions of a client's history are analysed for the
follow-up's context. A stored turn is at most
``PLANCHAT_MAX_STORED_TURN_CHARS`` long (over it, the answer body is left
out), and ``PLANCHAT_STORE_CONVERSATIONS=false`` stores nothing
(``ConversationsOff`` stands in for the store).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field

from ingest.snapshot import IndexSnapshot
from planchat.config import Settings
from planchat.deadline import Deadline
from planchat.errors import InvalidRequest, NotFound, PayloadTooLarge
from planchat.records import Answer, Passage
from planchat.redact import redact, without_placeholders
from planchat.timing import Timer

from .conversation import ConversationStore, FollowUpResolver, Resolved
from .query import detect_language, query_analyzer
from .service import AskService, require_text

log = logging.getLogger(__name__)

ROLES = ("user", "assistant", "system")
MAX_HISTORY_CONTENT_CHARS = 20_000
# The questions of a client's history that are analysed for a follow-up's context (each cut to a question's
# length): a follow-up leans on the last few; an older municipality reaches it only through them.
CONTEXT_QUESTIONS = 6


@dataclass
class Prepared:
    snapshot: IndexSnapshot  # the one index generation this turn reads
    service: AskService
    resolved: Resolved
    k: int
    conversation_id: str | None = None  # None: stateless (history came in the request)
    started: float = field(default_factory=time.perf_counter)
    conversation_token: str | None = None  # set only when this turn created the conversation (never stored)
    deadline: Deadline = field(default_factory=Deadline.unlimited)  # PLANCHAT_REQUEST_BUDGET_S, from prepare()


@dataclass
class Reply:
    """One answered turn: the answer, the note for the user (a fallback), and the body as the front end shapes it."""

    answer: Answer
    notice: str | None
    body: dict


def answer_record(prepared: Prepared, answer: Answer, notice: str | None) -> dict:
    """The answer record with the turn's context (what ``planchat ask --json`` prints)."""
    return {**asdict(answer), "question": prepared.resolved.question, "carried": prepared.resolved.carried,
            "conversation_id": prepared.conversation_id, "notice": notice}  # fmt: skip


Shape = Callable[[Prepared, Answer, str | None], dict]


class ChatService:
    def __init__(
        self, settings: Settings, store: ConversationStore | None, generator=None, shape: Shape = answer_record
    ):
        self.settings = settings
        self.store = store
        self.generator = generator
        self.shape = shape  # the body of a reply, as the front end returns it (and stores it with the turn)

    def validate_history(self, messages: Sequence[dict], field_name: str = "history") -> list[dict]:
        """Checked (count, each message, total size; in that order, so no work is done on a list over
        the count) and redacted."""
        self.check_count(len(messages), field_name)
        checked = [self.validate_message(m, f"{field_name}[{i}]") for i, m in enumerate(messages)]
        self.check_total_chars(checked, field_name)
        return [{**m, "content": redact(m["content"])} for m in checked]

    def check_count(self, count: int, field_name: str) -> None:
        limit = self.settings.max_history_messages
        if count > limit:
            raise InvalidRequest(
                f"{field_name}: at most {limit} messages; got {count}. Send only the recent part of the conversation."
            )

    def check_total_chars(self, messages: Sequence[dict], field_name: str) -> None:
        total, limit = sum(len(m["content"]) for m in messages), self.settings.max_history_chars
        if total > limit:
            raise PayloadTooLarge(
                f"{field_name}: {total} characters in all; the limit is {limit} (PLANCHAT_MAX_HISTORY_CHARS). "
                "Send only the recent part of the conversation."
            )

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
        municipalities: list[str] | None = None,
        years: list[int] | None = None,
        top_k: int | None = None,
        history: Sequence[dict] | None = None,
        conversation_id: str | None = None,
        remember: bool = True,
        history_field: str = "history",
    ) -> Prepared:
        started = time.perf_counter()
        deadline = Deadline(self.settings.request_budget_s or None)
        k = service.validate(question, municipalities, years, top_k)
        question = redact(question)
        log.debug("question (redacted): %s", question)
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
            turns = resolver.turns_from_messages(self.context_questions(messages))

        standalone = question
        if self.generator is not None and turns:
            from .condense import condense

            standalone = redact(condense(self.generator, messages, question))
        deadline.check("Reading the conversation")
        resolved = resolver.resolve(without_placeholders(standalone), turns, municipalities, years)
        resolved.turn.question = question.strip()
        if standalone != question:  # the condense prompt always writes Danish: answer in the asker's language
            resolved.query = resolved.query.with_(lang=detect_language(question))
        token = None
        if conversation_id is None and remember and not history and self.store is not None:
            conversation_id, token = self.store.create_with_token()  # only once the question is known to be answerable
        return Prepared(snapshot, service, resolved, k, conversation_id, started, token, deadline)

    def context_questions(self, messages: Sequence[dict]) -> list[dict]:
        """The (redacted) history's last ``CONTEXT_QUESTIONS`` user messages, each cut to a question's
        length and without placeholders: all the follow-up rules read of it."""
        users = [m for m in messages if m["role"] == "user"][-CONTEXT_QUESTIONS:]
        limit = self.settings.max_question_chars
        return [{"role": "user", "content": without_placeholders(m["content"][:limit])} for m in users]

    def answer(self, prepared: Prepared) -> tuple[Answer, list[Passage]]:
        answer, passages = self.extractive(prepared)
        return self.upgraded(prepared, answer, passages), passages

    def extractive(self, prepared: Prepared) -> tuple[Answer, list[Passage]]:
        """Retrieve and answer from the quotes: the answer a stream shows first."""
        return prepared.service.answer_query(
            prepared.snapshot, prepared.resolved.query, prepared.k, timer=Timer(prepared.started)
        )

    def will_upgrade(self, answer: Answer, passages: list[Passage]) -> bool:
        """Will an LLM be asked to write this answer (and so perhaps replace it)?"""
        from .generate import asks_llm

        return self.generator is not None and asks_llm(answer, passages)

    def upgraded(self, prepared: Prepared, answer: Answer, passages: list[Passage]) -> Answer:
        """With an LLM configured: its answer when the judge accepts it, else ``answer`` with the fallback reason."""
        if self.generator is None or not passages:
            return answer
        from .generate import generate_answer

        prepared.deadline.check("Answering")  # the LLM call is the slow part: not begun once the budget is spent
        t0 = time.perf_counter()
        generated = generate_answer(self.generator, prepared.resolved.query, passages, answer)
        generated.timings_ms = {**answer.timings_ms, **generated.timings_ms}
        generated.timings_ms["total"] = round((time.perf_counter() - prepared.started) * 1000, 2)
        generated.timings_ms.setdefault("generate", round((time.perf_counter() - t0) * 1000, 2))
        return generated

    def turn(self, prepared: Prepared) -> Reply:
        """Answer a prepared question, shape the body, store the turn (when it has a conversation)."""
        answer, _ = self.answer(prepared)
        return self.finish(prepared, answer)

    def steps(self, prepared: Prepared) -> Iterator[tuple[str, Reply]]:
        """The turn in two steps, for a stream that shows text at once: ("draft", the extractive reply,
        not stored) when an LLM will be asked, then ("final", the reply ``turn`` gives, stored)."""
        answer, passages = self.extractive(prepared)
        if self.will_upgrade(answer, passages):
            prepared.deadline.check("Answering")  # refused before any text, as /v1/ask refuses it
            yield "draft", Reply(answer, None, self.shape(prepared, answer, None))
            answer = self.upgraded(prepared, answer, passages)
        yield "final", self.finish(prepared, answer)

    def finish(self, prepared: Prepared, answer: Answer) -> Reply:
        """The notice for a fallback, the body as the front end shapes it, and the turn stored."""
        notice = self.notice(answer, prepared.resolved.query.lang)
        body = self.shape(prepared, answer, notice)
        self.remember(prepared, body)
        return Reply(answer, notice, body)

    def notice(self, answer: Answer, lang: str) -> str | None:
        if not answer.fallback_reason:
            return None
        from .llm_prompts import fallback_notice

        return fallback_notice(lang)

    def remember(self, prepared: Prepared, response: dict) -> None:
        """Store the turn, redacted (again: this is the one door into the store) and capped in size."""
        if self.store is None or prepared.conversation_id is None:
            return
        turn = prepared.resolved.turn
        turn.question, turn.text = redact(turn.question), redact(turn.text)
        answer = dict(response)
        if isinstance(answer.get("question"), str):
            answer["question"] = redact(answer["question"])
        turn.answer = answer
        if len(json.dumps(turn.__dict__, ensure_ascii=False)) > self.settings.max_stored_turn_chars:
            turn.answer = None  # the follow-up context is kept; the answer is not shown again after a reload
        self.store.append(prepared.conversation_id, turn)


class ConversationsDisabled(NotFound):
    code = "conversations_disabled"


class ConversationsOff:
    """The conversation store's stand-in when ``PLANCHAT_STORE_CONVERSATIONS=false``:
    nothing is kept, and every request for a conversation is a 404 that says so."""

    MESSAGE = (
        "conversation: this server stores no conversations (PLANCHAT_STORE_CONVERSATIONS=false), so there is "
        "nothing to read or delete. Send the earlier messages as history to ask a follow-up."
    )

    def _refuse(self, *args, **kwargs):
        raise ConversationsDisabled(self.MESSAGE)

    get = delete = turns = authorize = _refuse

    def count(self) -> int:
        return 0

    def close(self) -> None:
        pass
