"""The per-request time budget (planchat/deadline.py): deterministic, by
setting when the budget started rather than by waiting."""

from __future__ import annotations

import math
import time

import pytest

from planchat.deadline import Deadline
from planchat.errors import TimeBudgetExceeded

SPENT = (
    "Comparing 1000 plans took longer than this server's budget of 30 s per request (PLANCHAT_REQUEST_BUDGET_S). "
    "Narrow it (fewer municipalities or years, a shorter question) and try again."
)


def test_a_spent_budget_stops_the_work_with_a_503_that_says_what_to_do():
    deadline = Deadline(30, started=time.monotonic() - 31)
    with pytest.raises(TimeBudgetExceeded, match=r"^Comparing 1000 plans took longer") as raised:
        deadline.check("Comparing 1000 plans")
    assert (raised.value.status, raised.value.code, raised.value.message) == (503, "time_budget_exceeded", SPENT)
    assert deadline.remaining() == 0.0


def test_a_budget_with_time_left_and_no_budget_never_stop_anything():
    Deadline(30, started=time.monotonic() - 29).check("Comparing")
    unlimited = Deadline.unlimited()
    unlimited.check("Comparing")
    assert (unlimited.seconds, unlimited.remaining()) == (None, math.inf)
