"""A request's time budget: heavy work (a comparison row per plan, a
ministermål cell per goal and plan, a chat turn before its LLM call) checks
it between steps and stops with ``TimeBudgetExceeded`` (503) once it is
spent, instead of holding a worker for as long as the request asks.

Passed as an argument (``deadline=``) from the route to the service; the
default, ``Deadline.unlimited()``, never expires (the CLI and the evals use
it). The budget is ``PLANCHAT_REQUEST_BUDGET_S``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from .errors import TimeBudgetExceeded


@dataclass(frozen=True)
class Deadline:
    seconds: float | None  # None: no budget
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def unlimited(cls) -> Deadline:
        return cls(None)

    def remaining(self) -> float:
        """Seconds left (``inf`` without a budget; never below 0)."""
        if self.seconds is None:
            return math.inf
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    @staticmethod
    def count(n: int, noun: str) -> str:
        """«1 plan», «5 plans»: for the ``what`` of a message."""
        return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

    def check(self, what: str) -> None:
        """TimeBudgetExceeded when the budget is spent; ``what`` names the work in the message."""
        if self.seconds is not None and self.remaining() <= 0:
            raise TimeBudgetExceeded(
                f"{what} took longer than this server's budget of {self.seconds:g} s per request "
                "(PLANCHAT_REQUEST_BUDGET_S). Narrow it (fewer municipalities or years, a shorter question) "
                "and try again."
            )
