"""No two live bookings of a coach overlap on the nights the clocks change (SQLite and PostgreSQL).

Racing clients ask, through the real HTTP API, for times that look apart on the wall clock but
overlap in real time (spring: 01:30 EST to 02:30 "EST" is 03:30 EDT, past the 03:00 EDT start),
and for the hour that happens twice (autumn: 01:00 EDT and 01:00 EST). Exactly one of each
overlapping pair wins, every other answer is a 409 (never a 500), and one row holds the time.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.scheduling.models import Booking, BookingStatus
from tests.racing import call_json, race
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

PER_TIME = 8  # racers asking for each time

#: 01:00 EST on the autumn night: a wall time seen twice is offered once (its first, EDT), so the
#: second is refused as no bookable time (422), however it races.
REPEATED = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)

NIGHTS = [
    pytest.param(datetime(2027, 3, 10, 15, tzinfo=UTC),
                 [datetime(2027, 3, 14, 6, 30, tzinfo=UTC),  # 01:30 EST, ends 03:30 EDT
                  datetime(2027, 3, 14, 7, 0, tzinfo=UTC)],  # 03:00 EDT: half an hour "later" on the wall
                 id="new-york-spring"),
    pytest.param(datetime(2026, 10, 28, 15, tzinfo=UTC),
                 [datetime(2026, 11, 1, 5, 0, tzinfo=UTC),  # 01:00 EDT
                  datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT
                  REPEATED],
                 id="new-york-autumn"),
]


@pytest.fixture
def night_coach(app, frozen_clock, now):
    """On ``now``: a New York coach who works 00:00-06:00 local every day (60-minute sessions on a
    30-minute grid) and one API token per racer."""
    frozen_clock.set(now)
    with app.app_context():
        st = create_session_type("consultation", duration_min=60, slot_interval_min=30)
        coach = create_coach(session_types=[st], hours={d: [(time(0), time(6))] for d in range(7)})
        tokens = []
        for i in range(PER_TIME * 3):
            create_couple(f"night{i}@example.com")
            tokens.append(create_api_token(db.session, user_by_email(f"night{i}@example.com"), "night"))
        db.session.commit()
        return coach.id, tokens


@pytest.mark.parametrize(("now", "starts"), NIGHTS)
def test_racing_for_times_that_overlap_across_a_clock_change_leaves_one_booking(
        app, server, night_coach, now, starts):
    coach_id, tokens = night_coach
    asks = [starts[i % len(starts)] for i in range(PER_TIME * len(starts))]
    results = race([lambda t=t, s=s: call_json("POST", server + "/api/v1/bookings", t, {
        "coach_id": coach_id, "session_type": "consultation", "start": s.isoformat()})
        for t, s in zip(tokens, asks)])

    assert all(status == 422 and body["error"]["code"] == "not_a_slot"
               for (status, body), s in zip(results, asks) if s == REPEATED)
    statuses = sorted(status for (status, _), s in zip(results, asks) if s != REPEATED)
    assert statuses == [201] + [409] * (len(statuses) - 1)
    assert all(body["error"]["code"] == "slot_taken" for status, body in results if status == 409)
    with app.app_context():
        live = db.session.scalars(select(Booking).where(
            Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED]))).all()
        assert len(live) == 1 and live[0].starts_at in starts[:2]
