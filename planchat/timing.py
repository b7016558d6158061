"""One way to time the stages of a request: ``Timer`` laps, in milliseconds."""

from __future__ import annotations

import time


class Timer:
    """Laps since a start (default: now). ``lap(name)`` records the time since
    the previous lap; ``ms()`` returns the laps and their ``total``, rounded to
    hundredths of a millisecond as the API reports them."""

    def __init__(self, started: float | None = None):
        self.started = started if started is not None else time.perf_counter()
        self._last = self.started
        self._laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self._laps[name] = self._laps.get(name, 0.0) + (now - self._last)
        self._last = now

    def since_start_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)

    def ms(self) -> dict[str, float]:
        out = {name: round(seconds * 1000, 2) for name, seconds in self._laps.items()}
        out["total"] = round((self._last - self.started) * 1000, 2)
        return out
