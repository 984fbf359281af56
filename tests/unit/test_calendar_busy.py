"""iCalendar text -> busy UTC intervals (coaching/calendars/busy.py, pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coaching.calendars.busy import CalendarUnreadable, Interval, busy_intervals, merged

START = datetime(2026, 10, 1, tzinfo=UTC)
END = datetime(2027, 1, 1, tzinfo=UTC)

NEW_YORK = """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE"""


def cal(*events: str) -> str:
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + NEW_YORK.replace("\n", "\r\n") + "\r\n" + \
        "\r\n".join(e.strip().replace("\n", "\r\n") for e in events) + "\r\nEND:VCALENDAR\r\n"


def event(uid: str, *lines: str) -> str:
    return "\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261001T000000Z", *lines, "END:VEVENT"])


def spans(intervals, uid=None):
    return [(i.start, i.end) for i in intervals if uid is None or i.uid == uid]


def test_weekly_event_keeps_its_local_time_across_the_dst_change():
    text = cal(event("weekly", "DTSTART;TZID=America/New_York:20261022T100000",
                     "DTEND;TZID=America/New_York:20261022T110000", "RRULE:FREQ=WEEKLY;COUNT=3"))
    got = spans(busy_intervals(text, START, END, "America/New_York"))
    assert got == [  # 10:00 New York each Thursday: EDT (UTC-4) until 1 Nov, then EST (UTC-5)
        (datetime(2026, 10, 22, 14, tzinfo=UTC), datetime(2026, 10, 22, 15, tzinfo=UTC)),
        (datetime(2026, 10, 29, 14, tzinfo=UTC), datetime(2026, 10, 29, 15, tzinfo=UTC)),
        (datetime(2026, 11, 5, 15, tzinfo=UTC), datetime(2026, 11, 5, 16, tzinfo=UTC)),
    ]


def test_an_exdate_removes_one_occurrence_and_the_window_limits_expansion():
    text = cal(event("daily", "DTSTART:20261101T120000Z", "DTEND:20261101T130000Z", "RRULE:FREQ=DAILY",
                     "EXDATE:20261102T120000Z"))
    got = spans(busy_intervals(text, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 4, tzinfo=UTC), "UTC"))
    assert [s.day for s, _ in got] == [1, 3]


def test_an_all_day_event_blocks_the_whole_local_day_in_the_coachs_zone():
    text = cal(event("allday", "DTSTART;VALUE=DATE:20261110", "DTEND;VALUE=DATE:20261111"))
    assert spans(busy_intervals(text, START, END, "Australia/Sydney")) == [
        (datetime(2026, 11, 9, 13, tzinfo=UTC), datetime(2026, 11, 10, 13, tzinfo=UTC))]  # AEDT is UTC+11
    assert spans(busy_intervals(text, START, END, "America/New_York")) == [
        (datetime(2026, 11, 10, 5, tzinfo=UTC), datetime(2026, 11, 11, 5, tzinfo=UTC))]


def test_a_multi_day_all_day_event_and_one_without_an_end():
    text = cal(event("trip", "DTSTART;VALUE=DATE:20261201", "DTEND;VALUE=DATE:20261204"),
               event("single", "DTSTART;VALUE=DATE:20261220"))
    got = busy_intervals(text, START, END, "UTC")
    assert spans(got, "trip") == [(datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC))]
    assert spans(got, "single") == [(datetime(2026, 12, 20, tzinfo=UTC), datetime(2026, 12, 21, tzinfo=UTC))]


def test_floating_times_are_read_in_the_coachs_zone_and_durations_count():
    text = cal(event("floating", "DTSTART:20261110T090000", "DURATION:PT90M"))
    assert spans(busy_intervals(text, START, END, "Europe/London")) == [
        (datetime(2026, 11, 10, 9, tzinfo=UTC), datetime(2026, 11, 10, 10, 30, tzinfo=UTC))]


def test_free_cancelled_and_own_events_block_nothing():
    text = cal(event("free", "DTSTART:20261110T090000Z", "DTEND:20261110T100000Z", "TRANSP:TRANSPARENT"),
               event("gone", "DTSTART:20261110T090000Z", "DTEND:20261110T100000Z", "STATUS:CANCELLED"),
               event("x@tandem", "DTSTART:20261110T090000Z", "DTEND:20261110T100000Z"),
               event("busy", "DTSTART:20261110T120000Z", "DTEND:20261110T130000Z"))
    got = busy_intervals(text, START, END, "UTC", skip_uids={"x@tandem"})
    assert [i.uid for i in got] == ["busy"]


def test_several_documents_are_read_and_sorted_and_limited():
    first = cal(event("b", "DTSTART:20261111T090000Z", "DTEND:20261111T100000Z"))
    second = cal(event("a", "DTSTART:20261110T090000Z", "DTEND:20261110T100000Z"))
    assert [i.uid for i in busy_intervals([first, second], START, END, "UTC")] == ["a", "b"]
    many = cal(event("m", "DTSTART:20261101T000000Z", "DTEND:20261101T003000Z", "RRULE:FREQ=HOURLY"))
    assert len(busy_intervals(many, START, END, "UTC", limit=50)) == 50


@pytest.mark.parametrize("text", [b"not a calendar", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\n"])
def test_garbage_is_unreadable_not_a_crash(text):
    with pytest.raises(CalendarUnreadable):
        busy_intervals(text, START, END, "UTC")


def test_an_endless_secondly_or_minutely_rule_is_read_as_its_first_occurrence():
    import time

    for freq in ("SECONDLY", "MINUTELY"):
        text = cal(event("storm", "DTSTART:20261101T000000Z", "DTEND:20261101T000030Z", f"RRULE:FREQ={freq}"))
        started = time.perf_counter()
        assert spans(busy_intervals(text, START, END, "UTC")) == [
            (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, 0, 0, 30, tzinfo=UTC))]
        assert time.perf_counter() - started < 5


def test_overlapping_and_touching_intervals_are_stored_merged():
    at = lambda h, m=0: datetime(2026, 11, 5, h, m, tzinfo=UTC)  # noqa: E731
    got = merged([Interval(at(9), at(10), "a"), Interval(at(12), at(13), "d"), Interval(at(9, 30), at(11), "b"),
                  Interval(at(11), at(11, 30), "c"), Interval(at(12, 15), at(12, 45), "e")])
    assert got == [(at(9), at(11, 30)), (at(12), at(13))]
