"""The public slot list may be cached briefly, but this process's own bookings show at once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.scheduling.models import Booking, BookingStatus
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

QUERY = {"session_type": "consultation", "start": "2026-11-03", "end": "2026-11-03", "tz": "UTC"}
FIRST = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def config_overrides():
    return {"SLOTS_CACHE_SECONDS": 60}


@pytest.fixture
def coach_id(app, frozen_clock):
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        create_couple("ana@example.com", "ben@example.com")
        return coach.id


def starts(client, coach_id):
    body = client.get(f"/api/v1/coaches/{coach_id}/slots", query_string=QUERY).get_json()
    return [s["start"] for s in body["slots"]]


def test_a_repeated_query_is_answered_from_the_cache_within_its_lifetime(app, client, coach_id):
    before = starts(client, coach_id)
    with app.app_context():  # a change made behind the cache's back (raw SQL, as by a process without Redis)
        db.session.execute(insert(Booking.__table__).values(
            coach_id=coach_id, starts_at=FIRST, ends_at=FIRST.replace(hour=15), status=BookingStatus.CONFIRMED,
            ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=FIRST))
        db.session.commit()
    assert starts(client, coach_id) == before
    app.config["SLOTS_CACHE_SECONDS"] = 0
    assert starts(client, coach_id) != before


def test_a_booking_made_through_this_process_frees_the_cache_at_once(app, client, coach_id):
    before = starts(client, coach_id)
    assert before[0] == "2026-11-03T14:00:00+00:00"
    with app.app_context():
        token = create_api_token(db.session, user_by_email("ana@example.com"), "t")
    made = client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"},
                       json={"coach_id": coach_id, "session_type": "consultation", "start": before[0]})
    assert made.status_code == 201
    assert before[0] not in starts(client, coach_id)


def test_busy_times_read_from_the_coachs_calendar_elsewhere_free_the_cache_at_once(app, client, coach_id):
    """A sync (coaching/calendars) replaces the coach's external busy rows in bulk; the cached
    answer must not keep offering the time the coach just filled elsewhere."""
    from sqlalchemy import delete

    from coaching.calendars.models import CalendarKind, ExternalBusy, ExternalCalendar

    before = starts(client, coach_id)
    assert before[0] == "2026-11-03T14:00:00+00:00"
    with app.app_context():
        calendar = ExternalCalendar(coach_id=coach_id, kind=list(CalendarKind)[0], url="https://calendar.example/ana")
        db.session.add(calendar)
        db.session.commit()
        assert starts(client, coach_id) == before  # cached again after the connect
        db.session.execute(delete(ExternalBusy).where(ExternalBusy.calendar_id == calendar.id))
        db.session.execute(insert(ExternalBusy), [{"calendar_id": calendar.id, "coach_id": coach_id, "starts_at": FIRST,
                                                   "ends_at": FIRST.replace(hour=15), "synced_at": FIRST}])
        db.session.commit()
    assert before[0] not in starts(client, coach_id)
