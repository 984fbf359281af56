"""A series races single bookings (and other series) through the real HTTP API, on SQLite and
PostgreSQL: a series is held whole or not at all, and no two live bookings ever overlap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.scheduling.models import BLOCKING_STATUSES, Booking
from coaching.series.models import BookingSeries, SeriesOccurrence
from tests.integration.test_booking_concurrency import post_booking
from tests.racing import call_json, race
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

FIRST = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 New York
WEEKS = 4
SERIES_CLIENTS, SINGLE_CLIENTS = 4, 8


@pytest.fixture
def racers(app, frozen_clock):
    """A coach with a free 60-minute consultation on a 15-minute grid; couples with API tokens."""
    with app.app_context():
        st = create_session_type("consultation", duration_min=60, slot_interval_min=15)
        coach = create_coach(session_types=[st])
        tokens = []
        for i in range(SERIES_CLIENTS + SINGLE_CLIENTS):
            create_couple(f"racer{i}@example.com", timezones=("America/New_York",))
            tokens.append(create_api_token(db.session, user_by_email(f"racer{i}@example.com"), "race"))
        db.session.commit()
        return coach.id, tokens


def post_series(base, token, body):
    return call_json("POST", base + "/api/v1/series", token, body)


def live_rows(app):
    with app.app_context():
        db.session.commit()
        return db.session.scalars(select(Booking).where(Booking.status.in_(BLOCKING_STATUSES))
                                  .order_by(Booking.starts_at)).all()


def test_series_racing_single_bookings_is_held_whole_or_not_at_all(app, server, racers):
    coach_id, tokens = racers
    series_tokens, single_tokens = tokens[:SERIES_CLIENTS], tokens[SERIES_CLIENTS:]
    calls = [lambda t=t: ("series", post_series(server, t, {
        "coach_id": coach_id, "session_type": "consultation", "interval": "weekly", "start": FIRST.isoformat(),
        "count": WEEKS})) for t in series_tokens]
    # Singles aim at the series' own dates, some exactly, some overlapping by half an hour.
    for i, t in enumerate(single_tokens):
        start = FIRST + timedelta(weeks=i % WEEKS, minutes=30 * (i // WEEKS))
        calls.append(lambda t=t, s=start: ("single", post_booking(server, t, coach_id, s)))
    results = race(calls)

    statuses = [(kind, status) for kind, (status, _body) in results]
    assert all(status in (201, 409) for _kind, status in statuses), results
    won_series = [body for (kind, (status, body)) in results if kind == "series" and status == 201]
    assert len(won_series) <= 1
    for (kind, (status, body)) in results:
        if kind == "series" and status == 409:
            assert body["error"]["code"] in ("series_clash", "slot_taken")
    rows = live_rows(app)
    for earlier, later in zip(rows, rows[1:]):
        assert earlier.ends_at <= later.starts_at, "two live bookings overlap"
    with app.app_context():
        members = db.session.scalar(select(func.count()).select_from(SeriesOccurrence))
        series_rows = db.session.scalar(select(func.count()).select_from(BookingSeries))
    assert series_rows == len(won_series) and members == WEEKS * len(won_series)
    singles_won = sum(1 for kind, status in statuses if kind == "single" and status == 201)
    assert len(rows) == singles_won + WEEKS * len(won_series)
    if won_series:
        assert [o["status"] for o in won_series[0]["series"]["occurrences"]] == ["confirmed"] * WEEKS


def test_series_racing_each_other_for_the_same_dates_one_wins_whole(app, server, racers):
    coach_id, tokens = racers
    body = {"coach_id": coach_id, "session_type": "consultation", "interval": "fortnightly",
            "start": FIRST.isoformat(), "count": 3}
    results = race([lambda t=t: post_series(server, t, body) for t in tokens])
    assert sorted(status for status, _ in results) == [201] + [409] * (len(tokens) - 1)
    rows = live_rows(app)
    assert [r.starts_at for r in rows] == [FIRST, FIRST + timedelta(weeks=2), FIRST + timedelta(weeks=4)]
