"""Races through the real HTTP API (a werkzeug server in a thread), on SQLite and PostgreSQL.

However many clients race for one slot, or for overlapping slots, exactly one wins (201), every
other gets a 409 (never a 500), and one row holds the time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.scheduling import services
from coaching.scheduling.models import Booking, BookingStatus
from tests.racing import call_json, race
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

CLIENTS = 50
SLOT = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # Tuesday 10:00 New York


@pytest.fixture
def racers(app, frozen_clock):
    """A coach offering a free 60-minute consultation on a 15-minute grid, and 50 couples with API tokens."""
    with app.app_context():
        st = create_session_type("consultation", duration_min=60, slot_interval_min=15)
        coach = create_coach(session_types=[st])
        tokens = []
        for i in range(CLIENTS):
            create_couple(f"racer{i}@example.com", timezones=("America/Chicago",))
            tokens.append(create_api_token(db.session, user_by_email(f"racer{i}@example.com"), "race"))
        db.session.commit()
        return coach.id, tokens


def post_booking(base, token, coach_id, start):
    return call_json("POST", base + "/api/v1/bookings", token,
                     {"coach_id": coach_id, "session_type": "consultation", "start": start.isoformat()})


def blocking_rows(app):
    with app.app_context():
        return db.session.scalars(select(Booking).where(
            Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED]))).all()


def test_fifty_clients_racing_for_one_slot_get_one_201_and_49_409s(app, server, racers):
    coach_id, tokens = racers
    results = race([lambda t=t: post_booking(server, t, coach_id, SLOT) for t in tokens])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert all(body["error"]["code"] == "slot_taken" for status, body in results if status == 409)
    [row] = blocking_rows(app)
    assert row.starts_at == SLOT


def test_overlapping_but_unequal_ranges_are_refused_too(app, server, racers):
    coach_id, tokens = racers
    starts = [SLOT + timedelta(minutes=15 * (i % 4)) for i in range(CLIENTS)]  # 10:00, 10:15, 10:30, 10:45
    results = race([lambda t=t, s=s: post_booking(server, t, coach_id, s) for t, s in zip(tokens, starts)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (CLIENTS - 1)
    assert len(blocking_rows(app)) == 1


def test_reschedule_racing_new_bookings_leaves_exactly_one_booking_on_the_slot(app, server, racers):
    coach_id, tokens = racers
    target = SLOT + timedelta(hours=3)
    with app.app_context():
        status, body = post_booking(server, tokens[0], coach_id, SLOT)
        assert status == 201
        moving_id = body["booking"]["id"]

    def reschedule():
        with app.app_context():
            booking = db.session.get(Booking, moving_id)
            try:
                new = services.reschedule_booking(db.session, booking, new_start=target, by_coach=True,
                                                  now=datetime(2026, 11, 2, 15, tzinfo=UTC))
                return 200, {"booking": {"id": new.id}}
            except services.SlotTaken:
                return 409, {}
            finally:
                db.session.remove()

    calls = [reschedule] + [lambda t=t: post_booking(server, t, coach_id, target) for t in tokens[1:25]]
    results = race(calls)
    winners = [status for status, _ in results if status in (200, 201)]
    assert len(winners) == 1 and all(status in (200, 201, 409) for status, _ in results)
    rows = blocking_rows(app)
    assert len([r for r in rows if r.starts_at == target]) == 1
    with app.app_context():
        old = db.session.get(Booking, moving_id)
        chain = db.session.scalar(select(func.count()).select_from(Booking).where(
            Booking.replaces_id == moving_id, Booking.status == BookingStatus.CONFIRMED))
    if results[0][0] == 200:  # the reschedule won: the old slot is free, the new one is the chain's
        assert old.status == BookingStatus.CANCELLED and chain == 1 and len(rows) == 1
    else:  # a new booking won: the old booking still stands where it was
        assert old.status == BookingStatus.CONFIRMED and chain == 0 and len(rows) == 2
