"""Server-Sent Events for /v1/ask/stream, and the OpenAI wire format for
/v1/chat/completions (plain and streamed).

/v1/ask/stream events, in order:
  event: meta    {"conversation_id", "conversation_token", "question", "carried", "municipalities", "years"}
  event: delta   {"text"}                       (several; concatenated they are the first answer's text)
  event: draft   the extractive /v1/ask body + {"upgrading": true}   (only when an LLM is asked)
  event: upgrade the final /v1/ask body, generator "llm:<model>"    (only when the judge accepted the LLM's answer)
  event: done    the /v1/ask response body      (citations, targets, timings_ms, ...; always the final answer)
or, when something fails after the stream started:
  event: error   {"error": {"code", "message"}, "status"}
Bad input is refused before the stream starts, as a plain JSON 4xx.

Without an LLM (or where it is not asked: the extractive answer abstains)
the deltas spell the answer that ``done`` carries, as they always did. With
one, the deltas and the ``draft`` come as soon as the extractive answer is
ready, the LLM writes meanwhile, and then either ``upgrade`` + ``done`` carry
its verified answer (which replaces the draft), or ``done`` alone carries
the extractive answer again with ``fallback_reason`` and ``notice`` (the
draft stays). A client that reads only ``done`` gets what /v1/ask returns.

OpenAI: the answer text (as Markdown: ``markdown_answer``) carries the [n]
markers followed by a "Kilder:" list; the structured answer (citations with
offsets, targets, abstained, kind, ...) travels in the extra top-level field
``planchat`` of the completion, and of the last chunk when streaming.

Chat UIs render that text as Markdown, so plan text in it is written to stay
text (``markdown_safe``): every ``\\ ` [ ] < >`` outside the answer's real
markers (api/markers.py) is backslash-escaped, which leaves no opener for a
link or image (``[klik her](javascript:…)``, ``![x](http://…)``), a link
definition, an autolink (``<javascript:…>``), raw HTML or a code span; a
"(" or ":" right after a marker is escaped too ("[1](…" is no link, "[1]: …"
no link definition). "(", ")" and "!" need no escape once no "[" opens a
link, so the text reads as it did. The markers and the list lines stay
Markdown as they were; a renderer shows the words exactly. The one link the
text holds is ours: each source line ends with a link to the source viewer
on this server (``source_link``: /documents/{doc_id}?start=&end=, the quote
highlighted), built from the request's base URL, percent-encoded, and left
out when that base URL is not a plain http(s) origin and path.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote

from ingest.tokens import count_tokens

from .markers import markers_of

WORDS_PER_DELTA = 4
_WORD = re.compile(r"\S+\s*|\s+")


def sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def pieces(text: str, words: int = WORDS_PER_DELTA) -> Iterator[str]:
    """The text in small pieces of a few words; joined they are the text."""
    tokens = _WORD.findall(text)
    for i in range(0, len(tokens), words):
        yield "".join(tokens[i : i + words])


def error_payload(status: int, code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}, "status": status}


# ---- list answers as Markdown ---------------------------------------------------

# An item line of a list answer: "- «item» [n]", after "Municipality: " when the
# list has no introduction. The item's quote may run over several lines; it ends at "» [n]".
_ITEM = re.compile(r"^(?:([^«\n]*?:) )?- «")
_ITEM_END = re.compile(r"» \[\d+\]$")


def markdown_answer(text: str) -> str:
    """The answer text with its list items as a Markdown list: a label before
    the first item gets its own line, an item's further lines are indented
    under it, and a blank line ends the list (so the "(Listen i planen …)"
    note or the next quote does not run on into the last item). The words are
    the answer's own; a text without items is returned as it is."""
    out: list[str] = []
    in_item = in_list = False
    for line in text.split("\n"):
        if in_item:
            out.append(f"  {line}" if line else line)
            in_item = not _ITEM_END.search(line)
            continue
        item = _ITEM.match(line)
        if item:
            if item.group(1):
                out.append(item.group(1))
                line = line[len(item.group(1)) + 1 :]
            out.append(line)
            in_item, in_list = not _ITEM_END.search(line), True
            continue
        if in_list and line:
            out.append("")
        in_list = False
        out.append(line)
    return "\n".join(out)


# ---- plan text that stays text in Markdown ---------------------------------------

_MARKDOWN_ACTIVE = re.compile(r"[\\`\[\]<>]")


def escape_markdown(text: str) -> str:
    """``text`` with every character that could open a link, image, autolink, raw HTML or code span escaped."""
    return _MARKDOWN_ACTIVE.sub(r"\\\g<0>", text)


def markdown_safe(text: str, markers: list[tuple[int, int]]) -> str:
    """``text`` escaped for Markdown except at the ``markers`` (start, end), which stay as written."""
    out, last = [], 0
    for start, end in sorted(markers):
        out.append(escape_markdown(text[last:start]))
        out.append(text[start:end])
        if text[end : end + 1] in ("(", ":"):
            out.append("\\")  # the marker is no link text and no link label
        last = end
    out.append(escape_markdown(text[last:]))
    return "".join(out)


# ---- OpenAI -----------------------------------------------------------------

MODEL_ID = "planchat"
# A base URL a link may start with: http(s), a host (name, IPv4 or [IPv6]) and port, a plain path ending in "/".
_BASE_URL = re.compile(r"^https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?(?:/[A-Za-z0-9._~-]+)*/$")
LINK_WORDS = {"da": "Vis i planen", "en": "Show in the plan"}


def source_link(base_url: str | None, citation: dict, lang: str = "da") -> str:
    """' ([Vis i planen](<base>documents/<doc_id>?start=&end=))', or '' without a plain base URL."""
    if not base_url or not _BASE_URL.match(base_url):
        return ""
    start, end = citation.get("start"), citation.get("end")
    if not isinstance(start, int) or not isinstance(end, int):
        return ""
    url = f"{base_url}documents/{quote(str(citation['doc_id']), safe='')}?start={start}&end={end}"
    return f" ([{LINK_WORDS.get(lang, LINK_WORDS['en'])}]({url}))"


def sources_text(body: dict, lang: str = "da", base_url: str | None = None) -> str:
    """The answer plus a numbered sources list, for chat UIs that only show text; plan text
    (quotes, sections, page labels) is escaped so a Markdown renderer shows it as text. With
    ``base_url`` (this server's, as the request reached it) each source links to the source viewer."""
    answer = markdown_answer(markdown_safe(body["answer"], [(m.start, m.end) for m in markers_of(body)]))
    citations = body.get("citations") or []
    if not citations:
        return answer
    heading = "Kilder:" if lang == "da" else "Sources:"
    page_word = "s." if lang == "da" else "p."
    lines = []
    for c in citations:
        page = c.get("page_label") or c.get("page")
        where = f"{c['municipality']} {c['year']}" + (f", {page_word} {page}" if c.get("page") else "")
        section = f" – {c['section']}" if c.get("section") else ""
        ocr = ""
        if c.get("ocr"):  # the quote was recognised by OCR from a scanned page (ingest/ocr.py)
            ocr = " (tekst genkendt fra scannet side)" if lang == "da" else " (text recognised from a scanned page)"
        link = source_link(base_url, c, lang)
        lines.append(f"[{c['n']}] {escape_markdown(where + section)}{ocr}: «{escape_markdown(c['quote'])}»{link}")
    return f"{answer}\n\n{heading}\n" + "\n".join(lines)


def usage(prompt: str, completion: str) -> dict:
    p, c = count_tokens(prompt), count_tokens(completion)
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


def completion(body: dict, prompt: str, lang: str, base_url: str | None = None) -> dict:
    content = sources_text(body, lang, base_url)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": usage(prompt, content),
        "planchat": body,
    }


def chunk(completion_id: str, created: int, delta: dict, finish_reason=None, extra: dict | None = None) -> bytes:
    payload = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": MODEL_ID,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
    }
    if extra:
        payload.update(extra)
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


DONE = b"data: [DONE]\n\n"


def openai_error_chunk(status: int, code: str, message: str) -> bytes:
    payload = {
        "error": {
            "message": message,
            "type": "invalid_request_error" if status < 500 else "server_error",
            "code": code,
            "status": status,
        }
    }
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()
