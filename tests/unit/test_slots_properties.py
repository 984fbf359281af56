"""Properties of the slot engine that must hold for any hours, bookings and session rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.scheduling.slots import (
    Availability,
    Busy,
    SessionRules,
    WeeklyHours,
    _edge_to_utc,
    _steady_range_slots,
    _wall_clock_range_slots,
    free_slots,
    local_to_utc,
    working_ranges,
)

ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns"]
BASE = datetime(2026, 3, 1, tzinfo=UTC)


@st.composite
def weekly_hours(draw):
    hours = []
    for weekday in range(7):
        start = draw(st.integers(0, 22 * 4)) * 15
        length = draw(st.integers(1, 24 * 4)) * 15
        end = min(start + length, 23 * 60 + 45)
        if end > start and draw(st.booleans()):
            hours.append(WeeklyHours(weekday, time(start // 60, start % 60), time(end // 60, end % 60)))
    return tuple(hours)


@st.composite
def busy_intervals(draw):
    out = []
    for _ in range(draw(st.integers(0, 12))):
        start = BASE + timedelta(minutes=15 * draw(st.integers(0, 4 * 24 * 40)))
        out.append(Busy(start, start + timedelta(minutes=15 * draw(st.integers(1, 16)))))
    return out


rules_strategy = st.builds(
    SessionRules,
    duration_min=st.sampled_from([20, 30, 45, 50, 60, 90]),
    buffer_before_min=st.sampled_from([0, 5, 15]),
    buffer_after_min=st.sampled_from([0, 10, 30]),
    min_notice_hours=st.integers(0, 48),
    horizon_days=st.integers(1, 60),
    slot_interval_min=st.sampled_from([15, 30, 60]),
)


@settings(max_examples=150, deadline=None)
@given(zone=st.sampled_from(ZONES), weekly=weekly_hours(), busy=busy_intervals(), rules=rules_strategy,
       offset_days=st.integers(0, 40))
def test_no_slot_overlaps_busy_time_or_leaves_working_hours_and_each_lasts_the_session(
        zone, weekly, busy, rules, offset_days):
    now = BASE + timedelta(days=offset_days, hours=7)
    availability = Availability(zone, weekly)
    window_start, window_end = now - timedelta(days=2), now + timedelta(days=21)
    slots = free_slots(availability, rules, busy, window_start, window_end, now)
    tz = ZoneInfo(zone)
    before, after = timedelta(minutes=rules.buffer_before_min), timedelta(minutes=rules.buffer_after_min)
    for start, end in slots:
        assert end - start == timedelta(minutes=rules.duration_min)
        assert window_start <= start < window_end
        assert now + timedelta(hours=rules.min_notice_hours) <= start < now + timedelta(days=rules.horizon_days)
        for b in busy:
            assert not (start - before < b.end and b.start < end + after), (start, b)
        local_start, local_end = start.astimezone(tz), end.astimezone(tz)
        ranges = working_ranges(availability, local_start.date())
        assert any(datetime.combine(local_start.date(), lo, tzinfo=tz).astimezone(UTC) <= start
                   and end <= datetime.combine(local_start.date(), hi, tzinfo=tz).astimezone(UTC)
                   for lo, hi in ranges), (local_start, local_end, ranges)
    assert slots == sorted(set(slots))


# The fast path for ranges without a clock change must give exactly the wall-clock path's answer.


@settings(max_examples=300, deadline=None)
@given(
    zone_name=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"]),
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    start_minutes=st.integers(0, 22 * 60),
    length_minutes=st.integers(15, 10 * 60),
    step_minutes=st.sampled_from([10, 15, 30, 45, 60]),
    duration_minutes=st.sampled_from([20, 50, 90]),
    notice_minutes=st.integers(-600, 900),
)
def test_steady_ranges_give_the_same_slots_as_stepping_wall_time(zone_name, day, start_minutes, length_minutes,
                                                                 step_minutes, duration_minutes, notice_minutes):
    zone = ZoneInfo(zone_name)
    start_wall = time(start_minutes // 60, start_minutes % 60)
    end_total = min(start_minutes + length_minutes, 23 * 60 + 59)
    end_wall = time(end_total // 60, end_total % 60)
    if end_wall <= start_wall:
        return
    first = local_to_utc(day, start_wall, zone)
    range_end = _edge_to_utc(day, end_wall, zone)
    if first is None or first.astimezone(zone).utcoffset() != range_end.astimezone(zone).utcoffset():
        return  # a clock-change range: only the wall-clock path applies
    earliest = first + timedelta(minutes=notice_minutes)
    latest = first + timedelta(days=1)
    busy_starts = [first + timedelta(minutes=95)]
    busy_ends = [first + timedelta(minutes=140)]
    args = (timedelta(minutes=duration_minutes), timedelta(minutes=step_minutes), earliest, latest,
            busy_starts, busy_ends)
    assert _steady_range_slots(first, range_end, *args) == _wall_clock_range_slots(
        day, start_wall, end_wall, zone, range_end, *args)
