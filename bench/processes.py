"""Start, wait for and stop local server processes (uvicorn, `chroma run`)
on loopback. Used by the end-to-end tests, the Chroma server-mode tests and
bench/ only, so it lives here rather than in the installed package. Waiting
is a bounded poll, never a timing assertion; output goes to files, not
pipes, so a chatty server cannot block on a full pipe.
"""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServerDidNotStart(RuntimeError):
    pass


@dataclass
class ServerProcess:
    process: subprocess.Popen
    base_url: str
    stdout_path: Path
    stderr_path: Path

    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout: float = 15) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)


def start_server(
    argv: list[str],
    *,
    port: int,
    ready_path: str,
    logs: Path,
    env: dict | None = None,
    cwd: Path | None = None,
    limit_s: float = 60,
) -> ServerProcess:
    """Spawn ``argv`` and poll http://127.0.0.1:<port><ready_path> until it
    answers 200; raise ServerDidNotStart (with the server's output) if the
    process exits or ``limit_s`` passes. The caller must ``stop()`` it."""
    logs.mkdir(parents=True, exist_ok=True)
    stdout_path, stderr_path = logs / "server.stdout", logs / "server.stderr"
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    server = ServerProcess(process, f"http://127.0.0.1:{port}", stdout_path, stderr_path)
    deadline = time.monotonic() + limit_s
    while True:
        if process.poll() is not None:
            raise ServerDidNotStart(
                f"{argv[0]} exited with {process.returncode}:\n{server.stdout()[-3000:]}\n{server.stderr()[-3000:]}"
            )
        try:
            if httpx.get(server.base_url + ready_path, timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise ServerDidNotStart(
                f"{argv[0]} did not answer {ready_path} within {limit_s} s:\n{server.stderr()[-3000:]}"
            )
        time.sleep(0.05)
