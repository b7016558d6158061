"""End to end, issue 17 finding 6 (slow clients): Debian's nginx with the
shipped deploy/nginx.conf in front of a real ``planchat serve``, both
started here on loopback, spoken to as a browser, a careless client and an
attacker would.

The config nginx runs is deploy/nginx.conf with only what an unprivileged
test run needs changed (ports, pid/log/temp paths under a temp prefix, the
worker user), each replacement asserted to happen exactly once, so the test
breaks if the shipped file changes shape. planchat has an LLM (tests/
fake_llm.py) that holds its answer until the test lets go: a stream's first
event must arrive through nginx while planchat cannot yet have written the
rest, which is what "passed on event by event" means without a stopwatch.

Processes are stopped by PID in the fixtures' teardown; waits are bounded
(socket and HTTP time-outs, polls), never assertions about speed.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

import httpx
import pytest
from e2e_support import serve_real_copy
from expected import FOLLOWUP_Q, JAMMERBUGT_Q
from fake_llm import FakeLLM
from processes import ServerDidNotStart, free_port, start_server

from planchat.config import REPO_ROOT, Settings

pytestmark = pytest.mark.e2e

NGINX = Path("/usr/sbin/nginx")
SHIPPED = REPO_ROOT / "deploy" / "nginx.conf"
ADMIN = "proxy-admin-key-0123456789"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
TOO_LARGE = ("The request body is larger than the proxy allows: 256 KB (PLANCHAT_MAX_BODY_KB), or 50 MB for an "
             "upload to /v1/documents (PLANCHAT_MAX_UPLOAD_MB). Send a smaller file or request.")  # fmt: skip


def replace_once(text: str, pattern: str, replacement: str) -> str:
    changed, n = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert n == 1, f"deploy/nginx.conf: expected one line matching {pattern!r}, found {n}"
    return changed


def loopback_config(shipped: str, prefix: Path, listen: int, upstream: int) -> str:
    """The shipped config with the paths and ports of an unprivileged run under ``prefix``."""
    # As root (CI containers) the workers would otherwise run as www-data, which cannot enter pytest's
    # private temp dirs; as another user nginx ignores the directive.
    text = replace_once(shipped, r"^user www-data;$", "user root;" if os.geteuid() == 0 else "")
    text = replace_once(text, r"^pid /run/planchat-nginx\.pid;$", f"pid {prefix}/nginx.pid;")
    text = replace_once(
        text, r"^error_log /var/log/nginx/planchat-error\.log warn;$", f"error_log {prefix}/error.log info;"
    )
    text = replace_once(text, r"^    access_log /var/log/nginx/planchat-access\.log planchat;$",
                        f"    access_log {prefix}/access.log planchat;")  # fmt: skip
    text = replace_once(text, r"^        server 127\.0\.0\.1:8000;", f"        server 127.0.0.1:{upstream};")
    text = replace_once(text, r"^        listen 80;", f"        listen 127.0.0.1:{listen};")
    temp = "".join(f"    {name}_temp_path {prefix}/{name}_temp;\n" for name in TEMP_PATHS)
    return replace_once(text, r"^http \{\n", "http {\n" + temp)


def body_limits_of(shipped: str) -> list[str]:
    return re.findall(r"^\s*client_max_body_size (\S+);", shipped, flags=re.MULTILINE)


@pytest.fixture(scope="module")
def llm():
    with FakeLLM() as server:
        yield server


@pytest.fixture(scope="module")
def planchat(real_index, real_settings, llm, tmp_path_factory):
    server = serve_real_copy(
        real_settings,
        tmp_path_factory.mktemp("behind-nginx"),
        "--no-ingest",
        PLANCHAT_LLM_BASE_URL=llm.base_url,
        PLANCHAT_LLM_MODEL="fake-model",
        PLANCHAT_LLM_TIMEOUT_S="300",
        PLANCHAT_API_KEY=ADMIN,
        PLANCHAT_LOG_FORMAT="json",
    )
    try:
        yield server, int(server.base_url.rsplit(":", 1)[1])
    finally:
        server.stop()


def start_nginx(shipped: str, prefix: Path, upstream: int):
    """nginx from ``shipped`` (deploy/nginx.conf, or a variant of it) on a free loopback port, in front of ``upstream``."""
    if not NGINX.exists():
        pytest.fail(f"{NGINX} is missing: `make nginx` installs it (apt-get install -y --no-install-recommends nginx)")
    listen = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(loopback_config(shipped, prefix, listen, upstream), encoding="utf-8")
    argv = [str(NGINX), "-p", str(prefix), "-c", str(conf), "-e", str(prefix / "error.log"), "-g", "daemon off;"]
    try:
        return start_server(argv, port=listen, ready_path="/healthz", logs=prefix / "logs", cwd=prefix, limit_s=30)
    except ServerDidNotStart as exc:
        pytest.fail(
            f"{exc}\n{(prefix / 'error.log').read_text(errors='replace') if (prefix / 'error.log').exists() else ''}"
        )


@pytest.fixture(scope="module")
def nginx(planchat, tmp_path_factory):
    prefix = tmp_path_factory.mktemp("nginx")
    server = start_nginx(SHIPPED.read_text(encoding="utf-8"), prefix, planchat[1])
    try:
        yield server, prefix, int(server.base_url.rsplit(":", 1)[1])
    finally:
        server.stop()


@pytest.fixture
def http(nginx):
    with httpx.Client(base_url=nginx[0].base_url, timeout=httpx.Timeout(60, read=30)) as client:
        yield client


def sse_events(lines) -> iter[tuple[str, str]]:
    """(event, data) pairs from a stream's lines, each as soon as its blank line arrives."""
    event, data = None, []
    for line in lines:
        if line.startswith("event: "):
            event = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
        elif line == "" and (event or data):
            yield event or "message", "\n".join(data)
            event, data = None, []


def test_the_shipped_body_limits_are_planchats_own():
    settings = Settings()
    assert body_limits_of(SHIPPED.read_text(encoding="utf-8")) == [
        f"{settings.max_body_kb}k",
        f"{settings.max_upload_mb:g}m",
    ]


def test_an_sse_stream_arrives_event_by_event_through_nginx(http, llm):
    release = llm.hold()  # the LLM's answer cannot be written until the test lets go
    with http.stream("POST", "/v1/ask/stream", json={"question": JAMMERBUGT_Q}) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.iter_lines())
        first = next(events)  # a proxy that buffered would hold it: the read times out (30 s) and the test fails
        assert first[0] == "meta" and json.loads(first[1])["municipalities"] == ["Jammerbugt"]
        shown = []  # the extractive answer and its draft arrive while the LLM is still writing
        while not shown or shown[-1][0] != "draft":
            shown.append(next(events))
        release.set()
        rest = list(events)
    assert {name for name, _ in shown[:-1]} == {"delta"} and len(shown) > 2
    assert [name for name, _ in rest] == ["done"]
    draft, done = json.loads(shown[-1][1]), json.loads(rest[-1][1])
    assert (done["generator"], done["fallback_reason"] is not None, draft["upgrading"]) == ("extractive", True, True)
    assert "".join(json.loads(data)["text"] for _, data in shown[:-1]) == draft["answer"] == done["answer"]


def test_a_streamed_chat_completion_arrives_chunk_by_chunk_through_nginx(http, llm):
    """planchat sends no X-Accel-Buffering header here: nginx's own proxy_buffering off passes it on."""
    release = llm.hold()
    body = {"model": "planchat", "stream": True, "messages": [{"role": "user", "content": JAMMERBUGT_Q}]}
    with http.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200
        chunks = sse_events(response.iter_lines())
        first = json.loads(next(chunks)[1])
        assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
        release.set()
        rest = [data for _, data in chunks]
    assert rest[-1] == "[DONE]" and json.loads(rest[-2])["choices"][0]["finish_reason"] == "stop"


def raw_exchange(port: int, request: bytes, limit_s: float = 60) -> bytes:
    """Send ``request`` and read until the server closes the connection (bounded by ``limit_s``)."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit_s) as sock:
        sock.sendall(request)
        return read_to_close(sock)


def read_to_close(sock: socket.socket) -> bytes:
    """What the server sent before it closed the connection (a reset after its answer counts as closed)."""
    received = b""
    try:
        while chunk := sock.recv(65536):  # socket.timeout if it never closes: the test fails
            received += chunk
    except ConnectionResetError:
        pass
    return received


def test_too_large_bodies_get_a_413_that_says_which_limit(http, nginx):
    big = http.post("/v1/ask", content=b'{"question": "' + b"x" * 300_000 + b'"}',
                    headers={"content-type": "application/json", "X-Request-ID": "big-1"})  # fmt: skip
    assert (big.status_code, big.headers["content-type"], big.headers["X-Request-ID"]) == (
        413,
        "application/json",
        "big-1",
    )
    assert big.json() == {"error": {"code": "payload_too_large", "message": TOO_LARGE}}
    upload = raw_exchange(nginx[2], b"POST /v1/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 60000000\r\n"
                                    b"Content-Type: multipart/form-data; boundary=x\r\nConnection: close\r\n\r\n")  # fmt: skip
    assert upload.startswith(b"HTTP/1.1 413 ") and TOO_LARGE.encode() in upload
    # Under the proxy's limit, over planchat's own history cap: planchat's 413 passes through unchanged.
    history = [{"role": "user", "content": "Hvor mange langtidsledige? " * 740}] * 12
    capped = http.post("/v1/ask", json={"question": FOLLOWUP_Q, "history": history})
    assert capped.status_code == 413
    assert capped.json()["error"]["message"].startswith("history: 239760 characters in all; the limit is 20000")


def test_slow_clients_are_cut_off_by_the_header_and_body_timeouts(nginx):
    """A slowloris (half a header, then silence) and a stalled body: nginx closes both
    (client_header_timeout 10 s, client_body_timeout 15 s); the wait is bounded by the socket time-out."""
    port = nginx[2]
    header = socket.create_connection(("127.0.0.1", port), timeout=90)
    body = socket.create_connection(("127.0.0.1", port), timeout=90)
    try:
        header.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        body.sendall(b'POST /v1/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n'
                     b'Content-Length: 100\r\n\r\n{"question": ')  # fmt: skip
        for sock in (header, body):
            received = read_to_close(sock)  # socket.timeout (90 s) if nginx never closes: the test fails
            assert received == b"" or received.startswith(b"HTTP/1.1 408 "), received[:200]
    finally:
        header.close()
        body.close()


def test_the_original_host_reaches_planchat_so_its_origin_check_holds(http, nginx):
    own = f"http://127.0.0.1:{nginx[2]}"
    upload = {
        "files": {"file": ("plan.txt", b"# Plan\n\nTekst.\n")},
        "data": {"municipality": "Aarhus", "year": "2024"},
    }
    same_site = http.post("/v1/documents", headers={"Origin": own}, **upload)
    assert (same_site.status_code, same_site.json()["error"]["code"]) == (401, "unauthorized")  # on to the key check
    foreign = http.post("/v1/documents", headers={"Origin": "http://evil.example"}, **upload)
    assert foreign.status_code == 403 and foreign.json()["error"]["message"].startswith("Cross-site write refused")
    https = http.post("/v1/documents", headers={"Origin": own.replace("http:", "https:")}, **upload)
    assert https.status_code == 403  # X-Forwarded-Proto said http


def test_one_request_id_in_nginx_planchat_and_the_response_and_no_free_text_in_nginxs_log(http, nginx, planchat):
    server, prefix, _ = nginx
    asked = http.post("/v1/ask", json={"question": JAMMERBUGT_Q}, headers={"X-Request-ID": "proxy-1"})
    assert asked.headers.get_list("X-Request-ID") == ["proxy-1"]
    cid, token = asked.json()["conversation_id"], asked.json()["conversation_token"]
    assert http.get(f"/v1/conversations/{cid}", headers={"X-Conversation-Token": token}).status_code == 200
    targets = http.get("/v1/targets", params={"q": "Borger 010190-1234"}, headers={"X-Request-ID": "x" * 65})
    generated = targets.headers["X-Request-ID"]
    assert targets.status_code == 200 and re.fullmatch(r"[0-9a-f]{32}", generated)  # nginx's $request_id

    deadline = time.monotonic() + 30
    while (log := (prefix / "access.log").read_text(encoding="utf-8")).count("\n") < 3 or generated not in log:
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
    lines = {r["request_id"]: r for r in map(json.loads, log.splitlines())}
    assert (lines["proxy-1"]["method"], lines["proxy-1"]["path"], lines["proxy-1"]["status"]) == (
        "POST",
        "/v1/ask",
        200,
    )
    assert lines[generated]["path"] == "/v1/targets"
    assert "/v1/conversations/***" in log and cid not in log and "Borger" not in log and "010190" not in log
    planchat_lines = [json.loads(line) for line in planchat[0].stdout().splitlines() if line.startswith("{")]
    assert {r.get("request_id") for r in planchat_lines if r["logger"] == "uvicorn.access"} >= {"proxy-1", generated}


def test_a_flood_from_one_address_gets_nginx_429s_in_planchats_shape(planchat, tmp_path_factory):
    """The shipped limit_req, with its rate slowed to one a minute and a burst of three so that the
    count is exact: the first request and three more pass, the rest of the flood is refused. The first
    is start_nginx's readiness probe (one GET /healthz answered 200), so three of the flood pass."""
    shipped = SHIPPED.read_text(encoding="utf-8")
    slowed = replace_once(shipped, r"rate=20r/s;", "rate=1r/m;")
    slowed = replace_once(slowed, r"limit_req zone=planchat_per_address burst=40 nodelay;",
                          "limit_req zone=planchat_per_address burst=3 nodelay;")  # fmt: skip
    server = start_nginx(slowed, tmp_path_factory.mktemp("nginx-flood"), planchat[1])
    try:
        with httpx.Client(base_url=server.base_url, timeout=30) as client:
            responses = [client.get("/healthz") for _ in range(10)]
    finally:
        server.stop()
    assert [r.status_code for r in responses] == [200] * 3 + [429] * 7
    refused = responses[-1]
    assert refused.json() == {"error": {"code": "rate_limited",
                                        "message": "Too many requests from this address. Wait a moment and try again."}}  # fmt: skip
    assert refused.headers["retry-after"] == "1" and refused.headers["x-request-id"]
