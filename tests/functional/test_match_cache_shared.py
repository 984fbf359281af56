"""Two app instances (two "processes") share one database and Redis: a booking made through one
removes the offered time from the other's match proposals at once, although the other keeps
each coach's open times cached; with Redis down, proposals come from the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from coaching import config, create_app, db
from coaching.accounts.services import create_api_token
from coaching.coaches.models import CoachProfile
from coaching.matching import services
from coaching.matching.scoring import CoupleNeeds
from coaching.scheduling.models import Booking, BookingStatus
from tests.functional.test_slot_cache_shared import book, own_redis, shared_redis_url  # noqa: F401 - a fixture
from tests.redis_server import RedisServer
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # the frozen clock
FREE = (datetime(2026, 11, 3, 14, 0, tzinfo=UTC), datetime(2026, 11, 3, 17, 0, tzinfo=UTC))
NEEDS = CoupleNeeds(concerns=(), languages_a=frozenset({"en"}), languages_b=frozenset({"en"}), shared_free=(FREE,),
                    timezones=("UTC",))


def instance(database_url: str, redis_url: str | None) -> Any:
    return create_app(config.TestConfig(DATABASE_URL=database_url, RATELIMIT_ENABLED=False, REDIS_URL=redis_url,
                                        MATCH_OPEN_TIMES_CACHE_SECONDS=600))


@pytest.fixture(autouse=True)
def couple_needs(monkeypatch: Any) -> None:
    """The couple is free on 3 November 14:00-17:00 UTC (their intake is not what is tested here)."""
    monkeypatch.setattr(services, "needs_of", lambda _db, _couple, _now: NEEDS)


def one_coach() -> CoachProfile:
    """A coach in UTC, 09:00-18:00 every day, offering hour-long consultations and welcome calls."""
    consultation = create_session_type("consultation", duration_min=60, slot_interval_min=60)
    welcome = create_session_type("welcome", duration_min=30)
    coach = create_coach(timezone="UTC", hours={d: [(time(9), time(18))] for d in range(7)},
                         session_types=[consultation, welcome])
    coach.languages = ["en"]
    db.session.commit()
    return coach


def coach_and_token(app: Any) -> tuple[int, str]:
    with app.app_context():
        coach = one_coach()
        create_couple("ana@example.com", "ben@example.com")
        return coach.id, create_api_token(db.session, user_by_email("ana@example.com"), "t")


def offered(app: Any) -> list[str]:
    """The start times the top proposal offers, as the match page lists them."""
    with app.app_context():
        proposal = services.propose(db.session, None, NOW)  # type: ignore[arg-type]
        [match] = proposal.top
        return [start.isoformat() for start, _ in match.shared_slots]


def test_a_booking_through_one_instance_leaves_the_other_instances_proposals_at_once(
        database_url: str, frozen_clock: Any) -> None:
    url = shared_redis_url()
    one, two = instance(database_url, url), instance(database_url, url)
    coach_id, token = coach_and_token(one)
    before = offered(two)
    assert before == ["2026-11-03T14:00:00+00:00", "2026-11-03T15:00:00+00:00", "2026-11-03T16:00:00+00:00"]
    assert offered(two) == before  # answered again, from two's cache
    assert book(one, token, coach_id, before[0]) == 201
    assert offered(two) == before[1:]


def test_without_redis_the_other_instance_keeps_offering_the_booked_time(database_url: str,
                                                                         frozen_clock: Any) -> None:
    """The control: what the shared generations fix (and proof the first test can fail)."""
    one, two = instance(database_url, None), instance(database_url, None)
    coach_id, token = coach_and_token(one)
    before = offered(two)
    assert book(one, token, coach_id, before[0]) == 201
    assert offered(two) == before
    assert offered(one) == before[1:]


def test_with_redis_down_proposals_come_from_the_database(database_url: str, frozen_clock: Any,
                                                          own_redis: RedisServer) -> None:
    app = instance(database_url, own_redis.url)
    coach_id, _token = coach_and_token(app)
    before = offered(app)
    own_redis.stop()
    with app.app_context():  # behind the cache's back: only a fresh computation can see it
        db.session.execute(insert(Booking.__table__).values(
            coach_id=coach_id, starts_at=FREE[0], ends_at=FREE[0] + timedelta(hours=1),
            status=BookingStatus.CONFIRMED, ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=NOW))
        db.session.commit()
    assert offered(app) == before[1:]
    own_redis.start()
