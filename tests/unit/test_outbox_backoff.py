"""The outbox's retry schedule: 30 s doubling per failed attempt, capped at six hours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coaching.notify.delivery import backoff


@pytest.mark.parametrize(("attempts", "delay"), [
    (0, timedelta(seconds=30)),
    (1, timedelta(seconds=30)),
    (2, timedelta(minutes=1)),
    (3, timedelta(minutes=2)),
    (5, timedelta(minutes=8)),
    (10, timedelta(seconds=30 * 2**9)),
    (11, timedelta(hours=6)),
    (60, timedelta(hours=6)),
])
def test_retry_waits_longer_after_each_failure_up_to_six_hours(attempts: int, delay: timedelta) -> None:
    assert backoff(attempts) == delay


def test_retry_delays_never_shrink() -> None:
    delays = [backoff(n) for n in range(1, 100)]
    assert delays == sorted(delays)


def test_eight_attempts_span_more_than_an_hour_so_a_short_outage_loses_nothing() -> None:
    assert sum((backoff(n) for n in range(1, 8)), timedelta()) > timedelta(hours=1)
