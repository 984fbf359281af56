"""Two app instances (two "processes") share one database and Redis: a change made through one
removes stale slots from the other's cached answers at once; with Redis down, answers come
from the database (never stale, never a 500)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import insert

from coaching import config, create_app, db
from coaching.accounts.services import create_api_token
from coaching.coaches.models import CoachProfile
from coaching import config
from coaching.scheduling import availability
from coaching.scheduling.models import Booking, BookingStatus
from tests.conftest import REDIS_TEST_URL, unavailable
from tests.redis_server import RedisServer
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

QUERY = {"session_type": "consultation", "start": "2026-11-03", "end": "2026-11-03", "tz": "UTC"}
FIRST = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)


def shared_redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        unavailable("Redis", "TANDEM_REQUIRE_REDIS")
    return REDIS_TEST_URL


def instance(database_url: str, redis_url: str | None) -> Any:
    return create_app(config.TestConfig(DATABASE_URL=database_url, RATELIMIT_ENABLED=False, REDIS_URL=redis_url,
                                 SLOTS_CACHE_SECONDS=60, SLOTS_CALENDAR_CACHE_SECONDS=600))


def starts(app: Any, coach_id: int) -> list[str]:
    answer = app.test_client().get(f"/api/v1/coaches/{coach_id}/slots", query_string=QUERY)
    assert answer.status_code == 200
    return [s["start"] for s in answer.get_json()["slots"]]


def coach_and_client(app: Any) -> tuple[int, str]:
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        create_couple("ana@example.com", "ben@example.com")
        token = create_api_token(db.session, user_by_email("ana@example.com"), "t")
        return coach.id, token


def book(app: Any, token: str, coach_id: int, start: str) -> int:
    return app.test_client().post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"},
                                  json={"coach_id": coach_id, "session_type": "consultation", "start": start}
                                  ).status_code


def test_a_booking_through_one_instance_leaves_the_other_instances_answers_at_once(
        database_url: str, frozen_clock: Any) -> None:
    url = shared_redis_url()
    one, two = instance(database_url, url), instance(database_url, url)
    coach_id, token = coach_and_client(one)
    before = starts(two, coach_id)
    assert before[0] == "2026-11-03T14:00:00+00:00"
    assert starts(two, coach_id) == before  # answered again (from two's cache)
    assert book(one, token, coach_id, before[0]) == 201
    assert before[0] not in starts(two, coach_id)


def test_new_hours_saved_through_one_instance_show_in_the_others_answers_at_once(
        database_url: str, frozen_clock: Any) -> None:
    url = shared_redis_url()
    one, two = instance(database_url, url), instance(database_url, url)
    coach_id, _token = coach_and_client(one)
    assert starts(two, coach_id)[0] == "2026-11-03T14:00:00+00:00"  # 09:00 New York
    with one.app_context():
        coach = db.session.get(CoachProfile, coach_id)
        availability.save_weekly_hours(db.session, coach, "America/New_York", {"tue": "12:00-17:00"})
    assert starts(two, coach_id)[0] == "2026-11-03T17:00:00+00:00"  # 12:00 New York


def test_without_redis_the_other_instance_keeps_its_answer_for_its_lifetime(
        database_url: str, frozen_clock: Any) -> None:
    """The control: what the shared invalidation fixes (and proof the first test can fail)."""
    one, two = instance(database_url, None), instance(database_url, None)
    coach_id, token = coach_and_client(one)
    before = starts(two, coach_id)
    assert book(one, token, coach_id, before[0]) == 201
    assert starts(two, coach_id) == before
    assert before[0] not in starts(one, coach_id)


@pytest.fixture
def own_redis(tmp_path: Any) -> Any:
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


def test_with_redis_down_answers_come_from_the_database(database_url: str, frozen_clock: Any,
                                                       own_redis: RedisServer) -> None:
    app = instance(database_url, own_redis.url)
    coach_id, _token = coach_and_client(app)
    before = starts(app, coach_id)
    own_redis.stop()
    with app.app_context():  # behind the cache's back: only a fresh computation can see it
        db.session.execute(insert(Booking.__table__).values(
            coach_id=coach_id, starts_at=FIRST, ends_at=FIRST.replace(hour=15), status=BookingStatus.CONFIRMED,
            ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=FIRST))
        db.session.commit()
    after = starts(app, coach_id)
    assert before[0] in before and before[0] not in after
    own_redis.start()
