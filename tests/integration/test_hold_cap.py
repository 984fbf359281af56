"""A couple cannot block coaches' calendars with unpaid holds: at most ``MAX_HOLDS_PER_COUPLE``
live paid holds at a time, also when many requests race (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.payments import services as payment_services
from coaching.scheduling import services
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

#: 2026-11-03 09:00 in New York (the coaches' hours are 9 to 17 local); one slot an hour.
DAY = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def slot(i: int) -> datetime:
    return DAY + timedelta(hours=i)


@pytest.fixture
def world(dbs, frozen_clock):
    paid = create_session_type("couples-session", price_cents=15000)
    solo = create_session_type("individual-session", price_cents=9000, kind=SessionKind.INDIVIDUAL)
    free = create_session_type("consultation")
    coaches = [create_coach(f"coach{i}@example.com", session_types=[paid, solo, free]) for i in range(2)]
    couple = create_couple("ana@example.com", "ben@example.com")
    create_couple("cleo@example.com", "dev@example.com")
    return coaches, couple


def hold(user_email, coach, start, now, slug="couples-session"):
    return services.place_hold(db.session, user=user_by_email(user_email), coach_id=coach.id,
                               session_type_slug=slug, start=start, now=now)


def live_holds(couple_id) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.couple_id == couple_id, Booking.status == BookingStatus.HELD)) or 0


def test_a_third_paid_hold_of_a_couple_is_refused_and_stores_nothing(world, frozen_clock):
    (first, second), couple = world
    hold("ana@example.com", first, slot(0), frozen_clock())
    hold("ben@example.com", second, slot(1), frozen_clock())  # either partner: the couple's holds

    with pytest.raises(services.TooManyHolds) as refused:
        hold("ana@example.com", first, slot(3), frozen_clock())

    assert refused.value.status == 409 and "held and waiting for payment" in str(refused.value)
    assert live_holds(couple.id) == 2
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2


def test_the_cap_is_a_setting(world, frozen_clock, app):
    (coach, _), couple = world
    app.config["MAX_HOLDS_PER_COUPLE"] = 1
    hold("ana@example.com", coach, slot(0), frozen_clock())
    with pytest.raises(services.TooManyHolds):
        hold("ana@example.com", coach, slot(1), frozen_clock())


def test_an_expired_or_paid_hold_frees_a_place_under_the_cap(world, frozen_clock):
    (coach, _), couple = world
    first = hold("ana@example.com", coach, slot(0), frozen_clock())
    hold("ana@example.com", coach, slot(1), frozen_clock())
    payment_services.start_checkout(db.session, first, user_by_email("ana@example.com"), frozen_clock())  # manual
    third = hold("ana@example.com", coach, slot(2), frozen_clock())
    assert third.status == BookingStatus.HELD

    frozen_clock.advance(minutes=16)  # HOLD_MINUTES is 15: both open holds lapse
    assert hold("ana@example.com", coach, slot(4), frozen_clock()).status == BookingStatus.HELD
    assert hold("ana@example.com", coach, slot(5), frozen_clock()).status == BookingStatus.HELD


def test_free_sessions_and_other_couples_are_not_limited(world, frozen_clock):
    (coach, other_coach), couple = world
    hold("ana@example.com", coach, slot(0), frozen_clock())
    hold("ana@example.com", coach, slot(1), frozen_clock())

    free = hold("ana@example.com", other_coach, slot(0), frozen_clock(), slug="consultation")
    rival = hold("cleo@example.com", coach, slot(2), frozen_clock())

    assert free.status == BookingStatus.CONFIRMED and rival.status == BookingStatus.HELD


def test_one_partners_individual_holds_never_count_against_the_other(world, frozen_clock):
    """What a partner can do must not reveal the other's individual sessions."""
    (coach, other_coach), couple = world
    hold("ben@example.com", coach, slot(0), frozen_clock(), slug="individual-session")
    hold("ben@example.com", coach, slot(1), frozen_clock(), slug="individual-session")
    with pytest.raises(services.TooManyHolds):
        hold("ben@example.com", other_coach, slot(0), frozen_clock())

    assert hold("ana@example.com", other_coach, slot(0), frozen_clock()).status == BookingStatus.HELD
    assert hold("ana@example.com", other_coach, slot(1), frozen_clock(),
                slug="individual-session").status == BookingStatus.HELD
    with pytest.raises(services.TooManyHolds):
        hold("ana@example.com", other_coach, slot(2), frozen_clock())


# --- racing requests through the real HTTP API -------------------------------------------------


def post_booking(base, token, coach_id, start):
    body = json.dumps({"coach_id": coach_id, "session_type": "couples-session", "start": start.isoformat()}).encode()
    request = urllib.request.Request(base + "/api/v1/bookings", data=body, method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_many_requests_racing_for_one_couple_never_exceed_the_cap(app, world, server):
    coaches, couple = world
    paid = coaches[0].session_types
    coaches = list(coaches) + [create_coach(f"more{i}@example.com", session_types=paid) for i in range(4)]
    tokens = [create_api_token(db.session, user_by_email(email), "race")
              for email in ("ana@example.com", "ben@example.com")]
    db.session.commit()
    # Twelve different free slots on six coaches, so only the cap (not the slot, nor one
    # coach's lock) can refuse.
    calls = [(tokens[i % 2], coach.id, slot(h)) for i, (coach, h) in enumerate(
        (c, h) for c in coaches for h in range(2))]
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = post_booking(server, *call)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)

    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 2 + [409] * 10, results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"too_many_holds"}
    assert live_holds(couple.id) == 2
