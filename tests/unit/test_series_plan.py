"""The dates of a series keep the local wall time across clock changes (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coaching.series import plan


def test_new_york_weekly_series_keeps_ten_oclock_across_the_november_change():
    first = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)  # Tue 10:00 EDT
    got = plan.occurrences(first, "America/New_York", 1, 3)
    assert [o.start for o in got] == [datetime(2026, 10, 20, 14, tzinfo=UTC), datetime(2026, 10, 27, 14, tzinfo=UTC),
                                      datetime(2026, 11, 3, 15, tzinfo=UTC)]  # 10:00 EST is 15:00 UTC
    assert [o.local_date for o in got] == ["2026-10-20", "2026-10-27", "2026-11-03"]


def test_london_fortnightly_series_keeps_nine_oclock_across_the_march_change():
    first = datetime(2027, 3, 16, 9, 0, tzinfo=UTC)  # Tue 09:00 GMT
    got = plan.occurrences(first, "Europe/London", 2, 3)
    assert [o.start for o in got] == [datetime(2027, 3, 16, 9, tzinfo=UTC), datetime(2027, 3, 30, 8, tzinfo=UTC),
                                      datetime(2027, 4, 13, 8, tzinfo=UTC)]  # 09:00 BST is 08:00 UTC


def test_a_wall_time_skipped_by_the_clocks_is_reported_not_moved():
    first = datetime(2027, 3, 7, 7, 30, tzinfo=UTC)  # Sun 02:30 EST; on 14 March 02:30 does not exist
    got = plan.occurrences(first, "America/New_York", 1, 3)
    assert got[0].start is not None and got[1].start is None and got[1].local_date == "2027-03-14"
    assert got[2].start == datetime(2027, 3, 21, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("count", [0, 1, 13, 1000, -2, True, "6", None, 2.5])
def test_counts_outside_two_to_twelve_are_refused(count):
    with pytest.raises(plan.PlanError):
        plan.check_count(count)


@pytest.mark.parametrize("every", ["daily", "", 3, 0, True, None, "monthly", "1 "])
def test_only_weekly_and_every_other_week_are_intervals(every):
    with pytest.raises(plan.PlanError):
        plan.interval_weeks(every)


def test_intervals_by_name():
    assert [plan.interval_weeks(x) for x in ("weekly", "fortnightly", "1", "2", 1, 2)] == [1, 2, 1, 2, 1, 2]


def test_a_naive_first_time_is_refused():
    with pytest.raises(plan.PlanError):
        plan.occurrences(datetime(2026, 11, 3, 10), "America/New_York", 1, 3)
