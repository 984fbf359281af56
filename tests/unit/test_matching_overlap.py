"""Shared free time of two partners in different zones, including a daylight-saving day."""

from __future__ import annotations

from datetime import UTC, datetime

from coaching.matching.overlap import intersect, shared_free, weekly_to_utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_weekly_local_ranges_become_utc_intervals():
    got = weekly_to_utc("America/New_York", {"mon": [["18:00", "21:00"]]}, utc(2026, 11, 30), utc(2026, 12, 7))
    assert got == [(utc(2026, 11, 30, 23), utc(2026, 12, 1, 2))]


def test_local_hours_stay_local_across_the_autumn_change():
    # 1 November 2026: New York leaves daylight time; Sunday 09:00-11:00 local is 14:00-16:00 UTC.
    before = weekly_to_utc("America/New_York", {"sun": [["09:00", "11:00"]]}, utc(2026, 10, 25), utc(2026, 10, 26))
    after = weekly_to_utc("America/New_York", {"sun": [["09:00", "11:00"]]}, utc(2026, 11, 1), utc(2026, 11, 2))
    assert before == [(utc(2026, 10, 25, 13), utc(2026, 10, 25, 15))]
    assert after == [(utc(2026, 11, 1, 14), utc(2026, 11, 1, 16))]


def test_partners_in_two_zones_share_only_the_common_hours():
    chicago = ("America/Chicago", {"tue": [["17:00", "21:00"]]})      # 23:00-03:00 UTC
    los_angeles = ("America/Los_Angeles", {"tue": [["16:00", "18:00"]]})  # 00:00-02:00 UTC
    got = shared_free([chicago, los_angeles], utc(2026, 12, 1), utc(2026, 12, 3))
    assert got == [(utc(2026, 12, 2, 0), utc(2026, 12, 2, 2))]


def test_one_partner_alone_has_no_shared_time():
    assert shared_free([("UTC", {"mon": [["09:00", "17:00"]]})], utc(2026, 11, 30), utc(2026, 12, 1)) == []


def test_malformed_ranges_are_ignored():
    weekly = {"mon": [["25:00", "26:00"], ["10:00", "09:00"], ["x"], ["09:00", "10:00"]]}
    assert weekly_to_utc("UTC", weekly, utc(2026, 11, 30), utc(2026, 12, 1)) == [
        (utc(2026, 11, 30, 9), utc(2026, 11, 30, 10))]


def test_intersection_of_interval_lists():
    a = [(utc(2026, 1, 1, 0), utc(2026, 1, 1, 5)), (utc(2026, 1, 1, 8), utc(2026, 1, 1, 9))]
    b = [(utc(2026, 1, 1, 4), utc(2026, 1, 1, 8, 30))]
    assert intersect(a, b) == [(utc(2026, 1, 1, 4), utc(2026, 1, 1, 5)), (utc(2026, 1, 1, 8), utc(2026, 1, 1, 8, 30))]
