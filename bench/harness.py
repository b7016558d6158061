"""What every bench script shares: settings no PLANCHAT_* variable can
change, nearest-rank percentiles and latency summaries, RSS readings, a
`planchat serve` subprocess on a copy of a data dir, a timed-calls loop and
the commit a result belongs to.

Imported by module name (``from harness import ...``): bench/ is on sys.path
when a bench script runs, and tests/conftest.py puts it there for tests.
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import subprocess
import time
from pathlib import Path

from processes import free_port, start_server

from planchat.config import REPO_ROOT, Settings

PLANCHAT = REPO_ROOT / ".venv" / "bin" / "planchat"
DEFAULT_SET = REPO_ROOT / "evals" / "sets" / "core.jsonl"
WARMUP_REQUESTS = 5
SERVER_START_LIMIT_S = 120  # a bound on waiting, not a measurement


class BenchSettings(Settings):
    """planchat's defaults plus what the bench sets: no PLANCHAT_* variable can change what is measured."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, **other_sources):
        return (init_settings,)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least p% of values <= it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def latency_summary(ms: list[float]) -> dict:
    return {
        "requests": len(ms),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1),
    }


def own_peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux


def proc_status_mb(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return round(int(line.split()[1]) / 1024, 1)  # "VmHWM:  123456 kB"
    except OSError:
        pass
    return None


def settings_env(settings: Settings) -> dict:
    """The environment that makes a `planchat` subprocess use exactly these settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANCHAT_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"PLANCHAT_{name.upper()}"] = str(value)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def timed_calls(client, calls) -> tuple[list[float], int]:
    """Run (method, path, kwargs) calls in order; (milliseconds per call, non-200 count)."""
    ms, errors = [], 0
    for method, path, kwargs in calls:
        started = time.perf_counter()
        response = getattr(client, method)(path, **kwargs)
        ms.append((time.perf_counter() - started) * 1000)
        errors += response.status_code != 200
    return ms, errors


def serve_copy(settings: Settings, workdir: Path, **update) -> tuple[object, float]:
    """`planchat serve --no-ingest` on a copy of the data dir (workdir/server-data), on a free
    127.0.0.1 port; ``update`` overrides settings. Returns (server, seconds from spawn to ready)."""
    data = workdir / "server-data"
    shutil.copytree(settings.data_dir, data)
    server_settings = settings.model_copy(update={"data_dir": data, **update})
    port = free_port()
    spawned = time.perf_counter()
    server = start_server(
        [str(PLANCHAT), "serve", "--no-ingest", "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        port=port, ready_path="/healthz", logs=workdir, env=settings_env(server_settings), cwd=workdir,
        limit_s=SERVER_START_LIMIT_S,
    )  # fmt: skip
    return server, time.perf_counter() - spawned


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
