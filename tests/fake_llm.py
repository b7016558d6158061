"""A small real OpenAI-protocol chat server for tests, on a free loopback port.

``POST /v1/chat/completions`` answers from a script of replies, one per
request, and records every request (path, headers, JSON body). A reply can
be content, an HTTP error status, a body that is not JSON, a stall: the
handler waits (until the server stops) so the client's time-out fires, or a
hold: it waits until the test releases it (what does a client see while
the LLM is still writing?).
With the script empty it answers HTTP 500 "no scripted reply".

The failure modes a real small model showed (issue 18: Qwen2.5 1.5B and
Gemma 3 270M on llama.cpp), each a method, so a test names what it plays:
``abstain_falsely`` (the abstention sentence of the system prompt copied,
with a marker, for a question the passages answer), ``uncited`` (an answer
with no [n]), ``wrong_number`` (a figure in no passage) and ``late`` (a good
answer that comes after the client gave up).

    with FakeLLM() as llm:
        llm.reply("Jammerbugt vil ... [1]")
        generator = OpenAIChatGenerator(llm.base_url, "fake-model")
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str | None = None
    status: int = 200
    raw: bytes | None = None  # sent as the body instead of a chat completion
    stall: bool = False  # wait until the server stops, never answering in time
    hold: threading.Event | None = None  # wait until this is set (or the server stops), then answer


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: dict = field(default_factory=dict)


class FakeLLM:
    def __init__(self) -> None:
        self.script: deque[Reply] = deque()
        self.requests: list[Request] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- scripting -----------------------------------------------------------
    def reply(self, content: str) -> None:
        self.script.append(Reply(content=content))

    def fail(self, status: int = 500) -> None:
        self.script.append(Reply(status=status, raw=b'{"error": {"message": "boom"}}'))

    def malformed(self) -> None:
        self.script.append(Reply(raw=b"{this is not json"))

    def stall(self) -> None:
        self.script.append(Reply(stall=True))

    # -- the failure modes seen for real -----------------------------------------
    def abstain_falsely(self, municipality: str = "Jammerbugt") -> None:
        """What Qwen2.5 1.5B answered for Jammerbugt's 228 and Rebild's 10 %."""
        self.reply(f"Det fremgår ikke af planerne for {municipality}. Nærmeste afsnit: [1].")

    def uncited(
        self, content: str = "Kommunen vil nedbringe ledigheden og styrke samarbejdet med virksomhederne."
    ) -> None:
        self.reply(content)

    def wrong_number(
        self, content: str = "Jammerbugt vil begrænse antallet af langtidsledige til 42 personer [1]."
    ) -> None:
        self.reply(content)

    def late(self, content: str) -> threading.Event:
        """``content``, sent only once the returned event is set: after the client's time-out, in a test."""
        release = threading.Event()
        self.script.append(Reply(content=content, hold=release))
        return release

    def hold(self, status: int = 500) -> threading.Event:
        """The next request waits until the returned event is set, then gets ``status``
        (by default an error, so the extractive answer is served)."""
        release = threading.Event()
        self.script.append(Reply(status=status, raw=b'{"error": {"message": "released"}}', hold=release))
        return release

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- lifecycle -----------------------------------------------------------
    def __enter__(self) -> FakeLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()  # releases stalled handlers
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next(self, request: Request) -> Reply:
        self.requests.append(request)
        return self.script.popleft() if self.script else Reply(status=500, raw=b"no scripted reply")

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"_raw": raw.decode("utf-8", "replace")}
                reply = fake._next(Request(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if reply.stall:
                    fake._stop.wait()
                    return
                while reply.hold is not None and not reply.hold.wait(0.05) and not fake._stop.is_set():
                    pass
                if self.path != "/v1/chat/completions":
                    reply = Reply(status=404, raw=b"not found")
                payload = reply.raw if reply.raw is not None else json.dumps(_completion(body, reply.content)).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up first

            def log_message(self, format: str, *args) -> None:
                pass  # keep test output clean

        return Handler


def _completion(request: dict, content: str | None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", ""),
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
