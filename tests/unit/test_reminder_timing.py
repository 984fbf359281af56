"""Reminder offsets and due times (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.config import Config, ConfigError
from coaching.reminders.timing import describe, due_times, has_started, parse_offsets

START = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "minutes"), [
    ("24h,1h", (1440, 60)), ("1h, 24h", (1440, 60)), ("90m", (90,)), ("2d,24h,1440m", (2880, 1440)),
    ("", ()), (" , ", ()), ("1H", (60,)),
])
def test_offsets_are_read_longest_first_without_repeats(raw, minutes):
    assert parse_offsets(raw) == minutes


@pytest.mark.parametrize("raw", ["24", "h", "-1h", "1.5h", "0m", "31d", "1w", "24h;1h", "99999999d"])
def test_unreadable_offsets_are_refused(raw):
    with pytest.raises(ValueError):
        parse_offsets(raw)


def test_the_setting_is_checked_at_start_up():
    assert Config({"REMINDER_OFFSETS": "2d,3h"}).REMINDER_OFFSETS == (2880, 180)
    assert Config({}).REMINDER_OFFSETS == (1440, 60)
    with pytest.raises(ConfigError, match="REMINDER_OFFSETS"):
        Config({"REMINDER_OFFSETS": "soon"})


def test_offsets_read_as_people_say_them():
    assert [describe(m) for m in (1440, 60, 90, 1, 2880, 120)] == [
        "24 hours", "1 hour", "90 minutes", "1 minute", "2 days", "2 hours"]


def test_only_reminders_still_ahead_are_made():
    assert due_times(START, (1440, 60), START - timedelta(days=3)) == [
        (1440, START - timedelta(hours=24)), (60, START - timedelta(hours=1))]
    assert due_times(START, (1440, 60), START - timedelta(hours=3)) == [(60, START - timedelta(hours=1))]
    assert due_times(START, (1440, 60), START - timedelta(hours=1)) == []  # due exactly now: too late


def test_a_reminder_found_at_or_after_the_start_is_skipped():
    assert not has_started(START, START - timedelta(seconds=1))
    assert has_started(START, START) and has_started(START, START + timedelta(minutes=5))
