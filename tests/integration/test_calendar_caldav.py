"""Two-way CalDAV sync against a real Radicale server (started by the tests; never skipped).

Tandem writes each confirmed booking to the coach's calendar (created, moved with the same UID,
deleted on cancel), reads the calendar's busy times into the slot engine (its own events not
counted twice), keeps booking on the last known busy times when the server is down or refuses
the login, shows the coach the problem, emails them once after an hour, and never stores the
app password in plaintext.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from coaching import clock
from coaching.calendars import services as cal
from coaching.calendars.models import CalendarEvent, ExternalBusy, ExternalCalendar
from coaching.scheduling import services
from coaching.scheduling.models import Booking
from tests import mail
from tests.radicale_server import PASSWORD, USER, Radicale, radicale  # noqa: F401 - the fixture
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NOV = lambda day, hour, minute=0: datetime(2026, 11, day, hour, minute, tzinfo=UTC)  # noqa: E731


@pytest.fixture
def config_overrides():
    return {"CALENDAR_ALLOW_PRIVATE_ADDRESSES": True, "CALENDAR_TIMEOUT_SECONDS": 5}


@pytest.fixture
def setup(app, dbs, frozen_clock):
    st = create_session_type("consultation", duration_min=50, slot_interval_min=60)
    coach = create_coach("ana@example.com", session_types=[st])  # 09:00-17:00 New York, every day
    create_couple("robin@example.com", "sam@example.com")
    return coach, st


def connect(dbs, coach, url, password=PASSWORD):
    calendar = cal.connect_caldav(dbs, coach, url=url, username=USER, password=password, now=clock.now())
    cal.sync_after_change(dbs, clock.now(), [calendar.id])
    dbs.expire_all()
    return dbs.get(ExternalCalendar, calendar.id)


def book(dbs, coach, start):
    return services.place_hold(dbs, user=user_by_email("robin@example.com"), coach_id=coach.id,
                               session_type_slug="consultation", start=start, now=clock.now())


def starts(dbs, coach, st, day):
    return [s for s, _ in services.free_slots(dbs, coach.id, st, NOV(day, 0), NOV(day + 1, 0), clock.now())]


def test_a_booking_is_created_moved_and_deleted_in_the_coachs_calendar(setup, dbs, radicale):
    coach, st = setup
    calendar_url = radicale.new_calendar()
    connect(dbs, coach, calendar_url)

    booking = book(dbs, coach, NOV(4, 15))  # 10:00 New York; pushed after the commit
    uid = booking.ical_uid
    [event] = radicale.events(calendar_url)
    assert str(event["UID"]) == uid
    assert event["DTSTART"].dt == NOV(4, 15) and event["DTEND"].dt == NOV(4, 15, 50)
    assert str(event["SUMMARY"]) == "Tandem: Consultation"

    moved = services.reschedule_booking(dbs, booking, new_start=NOV(5, 17), now=clock.now(), by_coach=True)
    assert moved.ical_uid == uid
    [event] = radicale.events(calendar_url)  # the same event, moved: not a second one
    assert str(event["UID"]) == uid and event["DTSTART"].dt == NOV(5, 17)
    assert int(event["SEQUENCE"]) == moved.ical_sequence

    services.cancel_booking(dbs, moved, now=clock.now(), by_coach=True, reason="ill")
    assert radicale.events(calendar_url) == []
    assert dbs.scalar(select(CalendarEvent).where(CalendarEvent.uid == uid)).dirty is False


def test_an_event_made_in_the_calendar_blocks_the_slots_it_overlaps(setup, dbs, radicale):
    coach, st = setup
    calendar_url = radicale.new_calendar()
    before = starts(dbs, coach, st, 5)
    assert NOV(5, 15) in before and NOV(5, 16) in before and NOV(5, 17) in before
    radicale.add_event(calendar_url, f"{uuid.uuid4()}@elsewhere", NOV(5, 15, 30), NOV(5, 16, 30))
    connect(dbs, coach, calendar_url)

    after = starts(dbs, coach, st, 5)
    assert NOV(5, 15) not in after and NOV(5, 16) not in after  # both overlap 15:30-16:30
    assert NOV(5, 17) in after and NOV(5, 14) in after
    [row] = dbs.scalars(select(ExternalBusy)).all()
    assert (row.starts_at, row.ends_at, row.synced_at) == (NOV(5, 15, 30), NOV(5, 16, 30), clock.now())
    with pytest.raises(services.SlotTaken):  # the booking check sees it too
        book(dbs, coach, NOV(5, 15))


def test_tandems_own_events_are_not_busy_twice(setup, dbs, radicale):
    coach, st = setup
    calendar_url = radicale.new_calendar()
    connect(dbs, coach, calendar_url)
    booking = book(dbs, coach, NOV(4, 15))
    cal.sync_due(dbs, clock.now() + timedelta(hours=1))
    assert len(radicale.events(calendar_url)) == 1
    assert dbs.scalars(select(ExternalBusy)).all() == []  # the event it wrote is not read back as busy
    # so the booking can still move to a time overlapping its own old slot
    services.reschedule_booking(dbs, booking, new_start=NOV(4, 15, 0) + timedelta(hours=1), now=clock.now(),
                                by_coach=True)


def test_a_stopped_server_keeps_the_last_busy_times_and_tells_the_coach_once(setup, dbs, tmp_path, app, client,
                                                                           frozen_clock):
    from tests.conftest import login

    coach, st = setup
    own = Radicale(tmp_path / "own").start()
    try:
        calendar_url = own.new_calendar()
        own.add_event(calendar_url, "dentist@elsewhere", NOV(5, 15), NOV(5, 16))
        calendar = connect(dbs, coach, calendar_url)
        assert calendar.last_success_at == clock.now() and calendar.last_error is None
    finally:
        own.stop()
    synced = clock.now()

    frozen_clock.advance(minutes=11)
    assert cal.sync_due(dbs, clock.now()) == 0
    dbs.expire_all()
    calendar = dbs.get(ExternalCalendar, calendar.id)
    assert "could not be reached" in calendar.last_error and calendar.last_success_at == synced
    assert NOV(5, 15) not in starts(dbs, coach, st, 5)  # the last known busy time still blocks
    booking = book(dbs, coach, NOV(5, 17))  # booking works; its write waits
    assert booking.status == "confirmed"
    assert dbs.scalar(select(CalendarEvent)).dirty is True

    login(client, "ana@example.com")
    page = client.get("/coach/calendar/connect").get_data(as_text=True)
    assert "Tandem cannot sync this calendar" in page and "could not be reached" in page
    assert "Last successful sync" in page

    mail.clear()
    frozen_clock.advance(minutes=40)
    cal.sync_due(dbs, clock.now())
    assert mail.sent_emails(kind="calendar_sync_failing") == []  # not yet an hour
    for _ in range(3):
        frozen_clock.advance(minutes=15)
        cal.sync_due(dbs, clock.now())
    notices = mail.sent_emails(kind="calendar_sync_failing")
    assert len(notices) == 1 and notices[0].to_addr == "ana@example.com"  # once, not every sweep
    assert "could not be reached" in notices[0].text_body


def test_a_wrong_password_is_shown_and_booking_goes_on(setup, dbs, radicale, app, client):
    from tests.conftest import login

    coach, st = setup
    calendar = connect(dbs, coach, radicale.new_calendar(), password="not-the-password")
    assert "refused the user name or app password" in calendar.last_error
    assert calendar.last_success_at is None
    assert book(dbs, coach, NOV(4, 15)).status == "confirmed"
    login(client, "ana@example.com")
    page = client.get("/coach/calendar/connect").get_data(as_text=True)
    assert "refused the user name or app password" in page and "Not yet" in page


def test_the_app_password_is_not_stored_in_plaintext(setup, dbs, radicale):
    coach, st = setup
    calendar_url = radicale.new_calendar()
    connect(dbs, coach, calendar_url)
    row = dbs.execute(text("SELECT * FROM external_calendars")).mappings().one()
    raw = " ".join(str(v) for v in row.values())
    assert PASSWORD not in raw and calendar_url not in raw
    assert row["password"].startswith("gAAAA")  # a Fernet token
    assert dbs.get(ExternalCalendar, row["id"]).password == PASSWORD


def test_disconnecting_stops_blocking_and_writing(setup, dbs, radicale):
    coach, st = setup
    calendar_url = radicale.new_calendar()
    radicale.add_event(calendar_url, "gym@elsewhere", NOV(5, 15), NOV(5, 16))
    connect(dbs, coach, calendar_url)
    assert NOV(5, 15) not in starts(dbs, coach, st, 5)
    assert cal.disconnect(dbs, coach)
    assert NOV(5, 15) in starts(dbs, coach, st, 5)
    book(dbs, coach, NOV(6, 15))
    assert [str(e["UID"]) for e in radicale.events(calendar_url)] == ["gym@elsewhere"]
    assert dbs.scalars(select(Booking)).one().status == "confirmed"
