"""A read-only iCal subscription, fetched from a local HTTP server: recurring events expanded,
all-day events blocking the coach's whole local day, time-zoned events right across a DST
change; a failed fetch keeps the last busy times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from coaching import clock
from coaching.calendars import services as cal
from coaching.calendars.models import ExternalBusy, ExternalCalendar
from coaching.scheduling import services
from tests.calendar_http import CalendarHTTP
from tests.scheduling_data import create_coach, create_couple, create_session_type
from tests.unit.test_calendar_busy import cal as ics, event

NOV = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # noqa: E731

FEED = ics(
    # every Thursday 10:00-11:00 New York from 22 Oct: 14:00 UTC before 1 Nov, 15:00 UTC after
    event("weekly@google", "DTSTART;TZID=America/New_York:20261022T100000",
          "DTEND;TZID=America/New_York:20261022T110000", "RRULE:FREQ=WEEKLY;COUNT=6"),
    event("holiday@google", "DTSTART;VALUE=DATE:20261110", "DTEND;VALUE=DATE:20261111"),
    event("free@google", "DTSTART:20261109T150000Z", "DTEND:20261109T160000Z", "TRANSP:TRANSPARENT"),
    # Wednesdays 10:00 New York across the spring change (14 March 2027): 15:00 UTC, then 14:00 UTC
    event("spring@google", "DTSTART;TZID=America/New_York:20270310T100000",
          "DTEND;TZID=America/New_York:20270310T103000", "RRULE:FREQ=WEEKLY;COUNT=2"),
)


@pytest.fixture
def config_overrides():
    return {"CALENDAR_ALLOW_PRIVATE_ADDRESSES": True, "CALENDAR_TIMEOUT_SECONDS": 3, "CALENDAR_SYNC_DAYS": 150}


@pytest.fixture
def setup(app, dbs, frozen_clock):
    st = create_session_type("consultation", duration_min=50, slot_interval_min=60)
    coach = create_coach("ana@example.com", session_types=[st])  # 09:00-17:00 New York, every day
    create_couple("robin@example.com", "sam@example.com")
    return coach, st


@pytest.fixture
def http_server():
    with CalendarHTTP() as server:
        yield server


def starts(dbs, coach, st, first, last):
    return {s for s, _ in services.free_slots(dbs, coach.id, st, first, last, clock.now())}


def test_the_subscription_blocks_recurring_all_day_and_time_zoned_events(setup, dbs, http_server):
    coach, st = setup
    url = http_server.ics("/secret/basic.ics", FEED)
    calendar = cal.subscribe(dbs, coach, url=url, now=clock.now())
    assert cal.sync_calendar(dbs, calendar.id, clock.now())

    free = starts(dbs, coach, st, NOV(2, 0), NOV(30, 0))
    # Thursdays at 10:00 New York (EST now: 15:00 UTC) are gone, 09:00 and 11:00 stay
    for day in (5, 12, 19, 26):
        assert NOV(day, 15) not in free and NOV(day, 14) in free and NOV(day, 16) in free
    # the whole of 10 November in New York is blocked (05:00 UTC to 05:00 UTC)
    assert not {s for s in free if NOV(10, 5) <= s < NOV(11, 5)}
    assert NOV(11, 14) in free
    assert NOV(9, 15) in free  # a "free" event blocks nothing
    rows = dbs.scalars(select(ExternalBusy).order_by(ExternalBusy.starts_at)).all()
    spans = [(r.starts_at, r.ends_at) for r in rows]
    assert spans[0] == (NOV(5, 15), NOV(5, 16))  # read from a day before now: 29 Oct (EDT) is past
    assert spans[-2:] == [(datetime(2027, 3, 10, 15, tzinfo=UTC), datetime(2027, 3, 10, 15, 30, tzinfo=UTC)),
                          (datetime(2027, 3, 17, 14, tzinfo=UTC), datetime(2027, 3, 17, 14, 30, tzinfo=UTC))]
    assert len(spans) == 4 + 1 + 2  # Thursdays 5-26 Nov, the holiday, two Wednesdays in March
    assert all(r.synced_at == clock.now() for r in rows)


def test_a_failed_fetch_keeps_the_last_busy_times_and_says_why(setup, dbs, http_server, frozen_clock):
    coach, st = setup
    url = http_server.ics("/secret/basic.ics", FEED)
    calendar = cal.subscribe(dbs, coach, url=url, now=clock.now())
    assert cal.sync_calendar(dbs, calendar.id, clock.now())
    synced = clock.now()
    http_server.routes["/secret/basic.ics"] = (503, {}, b"down")
    frozen_clock.advance(minutes=20)
    assert cal.sync_due(dbs, clock.now()) == 0
    dbs.expire_all()
    calendar = dbs.get(ExternalCalendar, calendar.id)
    assert calendar.last_error == "The calendar server answered 503." and calendar.last_success_at == synced
    assert NOV(5, 15) not in starts(dbs, coach, st, NOV(5, 0), NOV(6, 0))
    http_server.ics("/secret/basic.ics", "this is not a calendar")
    assert not cal.sync_calendar(dbs, calendar.id, clock.now())
    dbs.expire_all()
    assert "could not be read" in dbs.get(ExternalCalendar, calendar.id).last_error
    assert dbs.scalars(select(ExternalBusy)).all()  # still the last known busy times


def test_the_page_subscribes_and_reads_at_once(setup, app, client, dbs, http_server):
    from tests.conftest import csrf_token, login

    url = http_server.ics("/secret/basic.ics", FEED)
    login(client, "ana@example.com")
    token = csrf_token(client, "/coach/calendar/connect")
    response = client.post("/coach/calendar/connect/subscription", data={"ics-url": url, "ics-csrf_token": token})
    assert response.status_code == 302
    page = client.get("/coach/calendar/connect").get_data(as_text=True)
    assert "iCal subscription (read only)" in page and "Not yet" not in page
    assert url not in page  # the secret address is not shown back
    assert dbs.scalar(select(ExternalBusy.id)) is not None
    response = client.post("/coach/calendar/connect/disconnect", data={"action-csrf_token": csrf_token(
        client, "/coach/calendar/connect")})
    assert response.status_code == 302 and dbs.scalar(select(ExternalBusy.id)) is None
