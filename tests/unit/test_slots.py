"""The slot engine: working hours, daylight saving, buffers, notice, horizon, daily maximum."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching.scheduling.slots import (
    Availability, Busy, DateHours, DaysOff, FreeTimes, SessionRules, WeeklyHours, both_free,
    free_slots, parse_ranges, within_free_times,
)

EVERY_DAY_9_TO_5 = tuple(WeeklyHours(d, time(9), time(17)) for d in range(7))
HOUR = SessionRules(duration_min=60, slot_interval_min=60, min_notice_hours=0, horizon_days=400)
LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def day_window(zone: str, day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_starts(slots, zone: str) -> list[str]:
    return [s.astimezone(ZoneInfo(zone)).strftime("%H:%M") for s, _ in slots]


DST_DAYS = [
    pytest.param("America/New_York", date(2026, 3, 8), id="new-york-spring"),
    pytest.param("America/New_York", date(2026, 11, 1), id="new-york-autumn"),
    pytest.param("Europe/London", date(2026, 3, 29), id="london-spring"),
    pytest.param("Europe/London", date(2026, 10, 25), id="london-autumn"),
    pytest.param("Australia/Sydney", date(2026, 10, 4), id="sydney-spring"),
    pytest.param("Australia/Sydney", date(2026, 4, 5), id="sydney-autumn"),
]


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_local_working_hours_stay_local_on_the_day_the_clocks_change(zone, day):
    availability = Availability(zone, EVERY_DAY_9_TO_5)
    slots = free_slots(availability, HOUR, [], *day_window(zone, day), LONG_AGO)
    assert local_starts(slots, zone) == [f"{h:02d}:00" for h in range(9, 17)]
    assert all(end - start == timedelta(hours=1) for start, end in slots)


@pytest.mark.parametrize(("zone", "day"), DST_DAYS)
def test_a_local_time_that_does_not_exist_is_never_offered_and_a_repeated_one_only_once(zone, day):
    night = tuple(WeeklyHours(d, time(0), time(6)) for d in range(7))
    rules = SessionRules(duration_min=30, slot_interval_min=30, horizon_days=400)
    slots = free_slots(Availability(zone, night), rules, [], *day_window(zone, day), LONG_AGO)
    tz = ZoneInfo(zone)
    walls = [s.astimezone(tz).replace(tzinfo=None) for s, _ in slots]
    assert len(walls) == len(set(walls)), "a repeated wall time was offered twice"
    for start, _ in slots:
        local = start.astimezone(tz)
        assert local.replace(tzinfo=None).replace(tzinfo=tz).astimezone(UTC) == start
        assert local.minute in (0, 30)
    assert all(end.astimezone(tz).time() <= time(6) for _, end in slots)
    # the changed day still offers every existing wall time on the grid once
    natural = {time(h, m) for h in range(6) for m in (0, 30)}
    existing = {w for w in natural
                if datetime.combine(day, w, tzinfo=tz).astimezone(UTC).astimezone(tz).time() == w}
    assert {w.time() for w in walls} == existing
    assert len(existing) in (10, 12)  # an hour is missing only on a spring day


@pytest.mark.parametrize(("zone", "day", "expected_first"), [
    pytest.param("America/New_York", date(2026, 3, 9), "13:00", id="new-york-after-spring"),
    pytest.param("Europe/London", date(2026, 11, 2), "13:00", id="london-winter"),
])
def test_afternoon_hours_until_late_evening_cross_utc_midnight(zone, day, expected_first):
    afternoons = tuple(WeeklyHours(d, time(13), time(23)) for d in range(7))
    slots = free_slots(Availability(zone, afternoons), HOUR, [], *day_window(zone, day), LONG_AGO)
    starts = local_starts(slots, zone)
    assert starts[0] == expected_first and starts[-1] == "22:00" and len(starts) == 10
    if zone == "America/New_York":
        assert slots[-1][0].date() == day + timedelta(days=1)  # 22:00 EDT is 02:00 UTC next day


@pytest.mark.parametrize(("day", "la_first"), [
    pytest.param(date(2026, 3, 2), "01:00", id="both-on-standard-time-8-hours"),
    pytest.param(date(2026, 3, 16), "02:00", id="us-moved-first-7-hours"),
    pytest.param(date(2026, 4, 6), "01:00", id="both-on-summer-time-8-hours"),
    pytest.param(date(2026, 10, 26), "02:00", id="uk-moved-back-first-7-hours"),
    pytest.param(date(2026, 11, 2), "01:00", id="both-back-8-hours"),
])
def test_london_coach_seen_from_los_angeles_when_offsets_differ(day, la_first):
    slots = free_slots(Availability("Europe/London", EVERY_DAY_9_TO_5), HOUR, [],
                       *day_window("Europe/London", day), LONG_AGO)
    assert local_starts(slots, "Europe/London")[0] == "09:00"
    assert local_starts(slots, "America/Los_Angeles")[0] == la_first


def test_buffers_keep_distance_from_bookings_but_not_from_working_hour_edges():
    rules = SessionRules(duration_min=60, slot_interval_min=15, buffer_before_min=15,
                         buffer_after_min=15, horizon_days=400)
    zone = "UTC"
    day = date(2026, 6, 1)
    booked = Busy(datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 13, tzinfo=UTC))
    slots = free_slots(Availability(zone, EVERY_DAY_9_TO_5), rules, [booked], *day_window(zone, day), LONG_AGO)
    starts = local_starts(slots, zone)
    assert starts[0] == "09:00" and starts[-1] == "16:00"
    assert "10:45" in starts and "11:00" not in starts  # 11:00-12:00 leaves no 15 minutes after
    assert "13:00" not in starts and "13:15" in starts  # 15 minutes before the next session


@pytest.mark.parametrize(("notice_hours", "first"), [(0, "09:00"), (2, "12:00"), (5, "15:00"), (9, None)])
def test_minimum_notice_is_measured_from_now(notice_hours, first):
    now = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    rules = SessionRules(duration_min=60, slot_interval_min=60, min_notice_hours=notice_hours)
    slots = free_slots(Availability("UTC", EVERY_DAY_9_TO_5), rules, [], *day_window("UTC", date(2026, 6, 1)), now)
    starts = [s for s in local_starts(slots, "UTC")]
    if notice_hours == 0:
        assert starts[0] == "10:00"  # nothing in the past
    else:
        assert (starts[0] if starts else None) == first


def test_horizon_is_measured_from_now():
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    rules = SessionRules(duration_min=60, slot_interval_min=60, horizon_days=2)
    slots = free_slots(Availability("UTC", EVERY_DAY_9_TO_5), rules, [], now, now + timedelta(days=10), now)
    assert slots[-1][0] < now + timedelta(days=2)
    assert slots[-1][0] == datetime(2026, 6, 3, 11, tzinfo=UTC)


@pytest.mark.parametrize(("counted", "uncounted", "offered"), [(0, 0, True), (1, 0, True), (2, 0, False), (1, 3, True)])
def test_a_day_with_its_daily_maximum_of_bookings_offers_nothing_more(counted, uncounted, offered):
    rules = SessionRules(duration_min=30, slot_interval_min=60, daily_max=2, horizon_days=400)
    busy = [Busy(datetime(2026, 6, 1, 9 + i, tzinfo=UTC), datetime(2026, 6, 1, 9 + i, 30, tzinfo=UTC), counts=True)
            for i in range(counted)]
    busy += [Busy(datetime(2026, 6, 1, 14 + i, tzinfo=UTC), datetime(2026, 6, 1, 14 + i, 30, tzinfo=UTC))
             for i in range(uncounted)]
    slots = free_slots(Availability("UTC", EVERY_DAY_9_TO_5), rules, busy, *day_window("UTC", date(2026, 6, 1)), LONG_AGO)
    assert bool(slots) is offered


@pytest.mark.parametrize(("override", "expected"), [
    pytest.param(DateHours(date(2026, 6, 1)), [], id="closed"),
    pytest.param(DateHours(date(2026, 6, 1), time(18), time(20)), ["18:00", "19:00"], id="evening-only"),
    pytest.param(DateHours(date(2026, 6, 2), time(18), time(20)), [f"{h:02d}:00" for h in range(9, 17)], id="other-date"),
])
def test_a_date_override_replaces_the_weekly_hours_of_its_date(override, expected):
    availability = Availability("UTC", EVERY_DAY_9_TO_5, overrides=(override,))
    slots = free_slots(availability, HOUR, [], *day_window("UTC", date(2026, 6, 1)), LONG_AGO)
    assert local_starts(slots, "UTC") == expected


@pytest.mark.parametrize(("day", "offered"), [
    (date(2026, 6, 30), True), (date(2026, 7, 1), False), (date(2026, 7, 3), False), (date(2026, 7, 4), True)])
def test_time_off_closes_each_date_of_its_inclusive_range(day, offered):
    availability = Availability("Australia/Sydney", EVERY_DAY_9_TO_5,
                                days_off=(DaysOff(date(2026, 7, 1), date(2026, 7, 3)),))
    slots = free_slots(availability, HOUR, [], *day_window("Australia/Sydney", day), LONG_AGO)
    assert bool(slots) is offered


def test_window_limits_the_starts_returned():
    zone = "America/New_York"
    start, _ = day_window(zone, date(2026, 6, 1))
    slots = free_slots(Availability(zone, EVERY_DAY_9_TO_5), HOUR, [], start, start + timedelta(hours=14), LONG_AGO)
    assert local_starts(slots, zone) == ["09:00", "10:00", "11:00", "12:00", "13:00"]


@pytest.mark.parametrize(("text", "message"), [
    ("09:00-12:00, 11:00-13:00", "overlap"),
    ("12:00-09:00", "end must be after"),
    ("9-12", "not HH:MM"),
    ("09:00", "not a range"),
])
def test_hours_text_with_mistakes_is_refused_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=message):
        parse_ranges(text)


def test_hours_text_parses_into_sorted_ranges():
    assert parse_ranges("13:00-17:00, 09:00-12:00") == [(time(9), time(12)), (time(13), time(17))]
    assert parse_ranges("  ") == []


def test_slot_inside_both_partners_free_times_in_their_own_zones_is_marked():
    a = FreeTimes("America/New_York", {"mon": [("18:00", "21:00")]})
    b = FreeTimes("Europe/London", {"mon": [("22:00", "23:59")], "tue": [("00:00", "02:00")]})
    evening = (datetime(2026, 6, 1, 22, tzinfo=UTC), datetime(2026, 6, 1, 23, tzinfo=UTC))  # 18-19 NY, 23-00 London
    assert within_free_times(evening, a)
    assert not within_free_times(evening, b)  # crosses London midnight
    earlier = (datetime(2026, 6, 1, 21, tzinfo=UTC), datetime(2026, 6, 1, 21, 50, tzinfo=UTC))
    assert not both_free(earlier, [a, b])  # 17:00 in New York is before her free time
    fits = (datetime(2026, 6, 1, 22, tzinfo=UTC), datetime(2026, 6, 1, 22, 50, tzinfo=UTC))
    assert both_free(fits, [a, b])
    assert not both_free(fits, [a])


@pytest.mark.parametrize(("window_start", "window_end", "now"), [
    (datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC) + timedelta(days=3), LONG_AGO),
    (datetime.max.replace(tzinfo=UTC) - timedelta(days=3), datetime.max.replace(tzinfo=UTC),
     datetime.max.replace(tzinfo=UTC) - timedelta(days=2)),
    (datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC)),
])
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago"])
def test_windows_at_the_ends_of_time_never_overflow(zone, window_start, window_end, now):
    availability = Availability(zone, EVERY_DAY_9_TO_5)
    rules = SessionRules(duration_min=60, slot_interval_min=60, horizon_days=3)
    found = free_slots(availability, rules, [], window_start, window_end, now)
    assert all(window_start <= start < window_end for start, _ in found)


def test_a_horizon_beyond_the_calendar_is_cut_at_the_end_of_time():
    rules = SessionRules(duration_min=60, slot_interval_min=60, horizon_days=10**6)
    now = datetime(9998, 12, 25, tzinfo=UTC)
    found = free_slots(Availability("UTC", EVERY_DAY_9_TO_5), rules, [], now, now + timedelta(days=3), now)
    assert len(found) == 3 * 8
