"""When a sign-in times out: idle and absolute limits, remembered client sign-ins, staff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.accounts.session_policy import TOUCH_EVERY, SessionLimits, ends_at, is_live, needs_touch

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LIMITS = SessionLimits.from_settings(idle_minutes=60, max_hours=24)


def live(minutes_since_start: float, minutes_since_seen: float, *, staff: bool = False,
         remembered: bool = False) -> bool:
    now = START + timedelta(minutes=minutes_since_start)
    return is_live(now=now, created_at=START, last_seen_at=now - timedelta(minutes=minutes_since_seen),
                   limits=LIMITS, staff=staff, remembered=remembered)


@pytest.mark.parametrize("staff", [False, True])
def test_a_sign_in_ends_exactly_when_idle_for_the_limit(staff: bool) -> None:
    assert live(300, 59.99, staff=staff)
    assert not live(300, 60, staff=staff)


@pytest.mark.parametrize(("staff", "remembered"), [(False, False), (False, True), (True, False), (True, True)])
def test_no_sign_in_outlives_the_absolute_limit_however_recently_used(staff: bool, remembered: bool) -> None:
    assert live(24 * 60 - 0.01, 0, staff=staff, remembered=remembered)
    assert not live(24 * 60, 0, staff=staff, remembered=remembered)


def test_a_remembered_client_sign_in_is_not_ended_by_idleness() -> None:
    assert live(23 * 60, 23 * 60, remembered=True)


def test_a_remembered_staff_sign_in_still_ends_when_idle() -> None:
    assert not live(120, 61, staff=True, remembered=True)


def test_the_end_is_the_earlier_of_the_idle_and_absolute_limits() -> None:
    seen = START + timedelta(hours=23, minutes=30)
    assert ends_at(created_at=START, last_seen_at=seen, limits=LIMITS, staff=False,
                   remembered=False) == START + timedelta(hours=24)
    seen = START + timedelta(hours=2)
    assert ends_at(created_at=START, last_seen_at=seen, limits=LIMITS, staff=True,
                   remembered=False) == seen + timedelta(hours=1)


def test_last_seen_is_written_only_once_the_throttle_has_passed() -> None:
    assert not needs_touch(now=START + TOUCH_EVERY - timedelta(seconds=1), last_seen_at=START)
    assert needs_touch(now=START + TOUCH_EVERY, last_seen_at=START)
