"""The match page's fast path (open times kept per process as masks, profiles read as text) ranks
exactly as the plain computation: every coach's free slots from the slot engine, then ``rank``.
Randomized coaches, rules, bookings, holds, external busy times and couples, on both databases,
across a day's requests, a hold's expiry, midnight, and changes to bookings and hours between
requests."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from coaching import db
from coaching.accounts.models import User
from coaching.calendars.models import CalendarKind, ExternalBusy, ExternalCalendar
from coaching.coaches.models import CoachProfile
from coaching.matching import open_times, services
from coaching.matching.overlap import merge
from coaching.matching.scoring import CoachOffer, CoupleNeeds, Ranking, Weights, rank
from coaching.scheduling.models import AvailabilityRule, Booking, BookingStatus, DateOverride, SessionType, TimeOff
from coaching.scheduling.services import free_slots_many
from tests.functional.test_match_cache_shared import one_coach
from tests.scheduling_data import create_coach, create_couple, create_session_type

ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "UTC", "America/St_Johns"]
SPECIALTIES = ["infidelity", "trust", "communication", "conflict"]


def plain_offers(session_type: SessionType | None, welcome: str) -> list[CoachOffer]:
    """Every active coach read through the ORM, one object at a time."""
    active = services._active_couples(db.session)
    out = []
    for coach in db.session.scalars(select(CoachProfile).join(User, User.id == CoachProfile.user_id)
                                    .where(User.is_active.is_(True)).order_by(CoachProfile.id)):
        types = coach.session_types
        out.append(CoachOffer(
            coach_id=coach.id, name=coach.user.name, timezone=coach.timezone,
            languages=frozenset(coach.languages or ()), specialties=frozenset(coach.specialties or ()),
            approaches=frozenset(coach.approaches or ()), formats=frozenset(coach.formats or ()),
            gender=coach.gender, lgbtq_affirming=coach.lgbtq_affirming, faith_based=coach.faith_based,
            safety_trained=coach.safety_trained, accepting_new=coach.accepting_new,
            active_couples=active.get(coach.id, 0), max_active_couples=coach.max_active_couples,
            price_cents=session_type.price_cents if session_type is not None and session_type in types else None,
            offers_welcome=any(t.slug == welcome and t.active for t in types)))
    return out


def plain_ranking(needs: CoupleNeeds, now: datetime) -> Ranking:
    """Every coach with all its free slots in the window, ranked by the plain scorer."""
    session_type = services.matching_session_type(db.session)
    offers = plain_offers(session_type, "welcome")
    zones = {o.coach_id: o.timezone for o in offers}
    slots = free_slots_many(db.session, zones, session_type, now, now + services.WINDOW, now) if session_type else {}
    return rank(needs, [replace(o, open_slots=tuple(slots.get(o.coach_id, ()))) for o in offers], Weights(), now)


def random_hours(rng: random.Random) -> dict[int, list[tuple[time, time]]]:
    hours: dict[int, list[tuple[time, time]]] = {}
    for day in range(7):
        if rng.random() < 0.7:
            start = rng.randint(0, 12)
            ranges = [(time(start, rng.choice([0, 15, 30])), time(start + rng.randint(2, 8), rng.choice([0, 30])))]
            if rng.random() < 0.3 and ranges[0][1].hour < 21:
                ranges.append((time(ranges[0][1].hour + 1), time(min(23, ranges[0][1].hour + 4), 45)))
            hours[day] = ranges
    return hours


def seed(rng: random.Random, now: datetime) -> tuple[list[int], int]:
    rules = dict(duration_min=rng.choice([30, 50, 60, 90]), slot_interval_min=rng.choice([15, 30, 60]),
                 buffer_before_min=rng.choice([0, 10, 30]), buffer_after_min=rng.choice([0, 10, 15]),
                 min_notice_hours=rng.choice([0, 12, 30]), horizon_days=rng.choice([5, 14, 60]),
                 daily_max=rng.choice([None, 1, 2, 4]))
    consultation = create_session_type("consultation", **rules)
    welcome = create_session_type("welcome", duration_min=30)
    couple = create_couple("ana@example.com", "ben@example.com")
    coach_ids = []
    for i in range(14):
        types = [t for t, p in ((consultation, 0.85), (welcome, 0.9)) if rng.random() < p]
        coach = create_coach(f"coach{i}@example.com", timezone=rng.choice(ZONES), hours=random_hours(rng),
                             session_types=types, name=f"Coach {i}")
        coach.languages = ["en"] + (["es"] if rng.random() < 0.3 else [])
        coach.specialties = rng.sample(SPECIALTIES, rng.randint(0, 3))
        coach.accepting_new = rng.random() < 0.9
        coach.max_active_couples = rng.choice([0, 5, 10])
        today = now.date()
        if rng.random() < 0.3:
            first = today + timedelta(days=rng.randint(-3, 18))
            db.session.add(TimeOff(coach_id=coach.id, start_date=first, end_date=first + timedelta(days=rng.randint(0, 4))))
        for _ in range(rng.randint(0, 2)):
            on = today + timedelta(days=rng.randint(-1, 22))
            closed = rng.random() < 0.5
            db.session.add(DateOverride(coach_id=coach.id, on_date=on, start_time=None if closed else time(10),
                                        end_time=None if closed else time(rng.randint(11, 15))))
        at = now - timedelta(days=3)
        for _ in range(rng.randint(0, 12)):  # in order, never overlapping (the exclusion constraint)
            at += timedelta(minutes=rng.randint(30, 60 * 60))
            length = timedelta(minutes=rng.choice([30, 50, 90, 240]))
            held = rng.random() < 0.25
            db.session.add(Booking(
                coach_id=coach.id, session_type_id=rng.choice([consultation.id, welcome.id]),
                couple_id=couple.id if rng.random() < 0.8 else None, starts_at=at, ends_at=at + length,
                status=BookingStatus.HELD if held else BookingStatus.CONFIRMED,
                hold_expires_at=now + timedelta(minutes=rng.randint(-30, 240)) if held else None,
                ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=now))
            at += length
        if rng.random() < 0.3:  # busy times from the coach's calendar elsewhere, some near the margins
            calendar = ExternalCalendar(coach_id=coach.id, kind=CalendarKind.ICS, url="https://example.com/c.ics")
            db.session.add(calendar)
            db.session.flush()
            for _ in range(rng.randint(1, 6)):
                start = now + timedelta(days=rng.choice([-2, -1, 0, 3, 20, 21, 22]), minutes=rng.randint(-600, 600))
                db.session.add(ExternalBusy(calendar_id=calendar.id, coach_id=coach.id, starts_at=start,
                                            ends_at=start + timedelta(minutes=rng.choice([30, 90, 600])), synced_at=now))
        coach_ids.append(coach.id)
    db.session.commit()
    return coach_ids, couple.id


def random_needs(rng: random.Random, now: datetime) -> CoupleNeeds:
    free = []
    at = now - timedelta(hours=rng.randint(0, 30))
    while at < now + timedelta(days=22):
        at += timedelta(minutes=rng.randint(10, 2000), seconds=rng.choice([0, 0, 17]))
        free.append((at, at + timedelta(minutes=rng.randint(20, 600))))
    return CoupleNeeds(concerns=tuple(rng.sample(SPECIALTIES, rng.randint(0, 3))), languages_a=frozenset({"en"}),
                       languages_b=frozenset({"en", "es"}), shared_free=tuple(merge(free)),
                       timezones=tuple(rng.sample(ZONES, 2)), language=rng.choice([None, "es"]))


def assert_fast_equals_plain(app: Any, needs: CoupleNeeds, now: datetime, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "needs_of", lambda _db, _couple, _now: needs)
    expected = plain_ranking(needs, now)
    got = services.propose(db.session, None, now).ranking  # type: ignore[arg-type]
    assert list(got.matches) == list(expected.matches)
    assert got.excluded == expected.excluded
    app.config["MATCH_OPEN_TIMES_CACHE_SECONDS"] = 0  # the path taken when Redis does not answer
    try:
        bypassed = services.propose(db.session, None, now).ranking  # type: ignore[arg-type]
    finally:
        app.config["MATCH_OPEN_TIMES_CACHE_SECONDS"] = 600
    assert list(bypassed.matches) == list(expected.matches) and bypassed.excluded == expected.excluded


@pytest.mark.parametrize("seed_value", range(6))
def test_the_cached_ranking_equals_the_plain_one_over_a_day_of_changes(app: Any, frozen_clock: Any,
                                                                      monkeypatch: Any, seed_value: int) -> None:
    rng = random.Random(seed_value)
    day = date(2026, 3, 2) + timedelta(days=rng.randint(0, 30))  # the weeks of the March clock changes
    now = datetime.combine(day, time(rng.randint(0, 20), rng.randint(0, 59), rng.randint(0, 59),
                                     rng.randint(0, 999_999)), tzinfo=UTC)
    frozen_clock.set(now)
    computed: list[int] = []
    original = open_times._day_open_times

    def counted(_db: Any, zones: Any, *args: Any) -> Any:
        computed.append(len(zones))
        return original(_db, zones, *args)

    monkeypatch.setattr(open_times, "_day_open_times", counted)
    with app.app_context():
        coach_ids, couple_id = seed(rng, now)
        assert_fast_equals_plain(app, random_needs(rng, now), now, monkeypatch)
        assert computed, "the first request fills the cache"
        computed.clear()
        assert_fast_equals_plain(app, random_needs(rng, now), now, monkeypatch)  # another couple, same times
        assert computed == [], "a second request answers from the cache"
        for step in range(6):
            now += timedelta(minutes=rng.choice([1, 17, 45, 180, 600]))
            frozen_clock.set(now)
            change = rng.random()
            coach_id = rng.choice(coach_ids)
            if change < 0.4:  # a booking (ORM): the coach's generation moves
                start = now + timedelta(days=rng.randint(0, 10), hours=rng.randint(0, 23))
                start = start.replace(minute=0, second=0, microsecond=0)
                clash = db.session.scalar(select(Booking.id).where(
                    Booking.coach_id == coach_id, Booking.starts_at < start + timedelta(hours=2),
                    Booking.ends_at > start))
                if clash is None:
                    db.session.add(Booking(coach_id=coach_id, couple_id=couple_id, starts_at=start,
                                           ends_at=start + timedelta(hours=2), status=BookingStatus.CONFIRMED,
                                           ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=now))
            elif change < 0.6:  # new hours: every calendar's generation moves
                db.session.add(AvailabilityRule(coach_id=coach_id, weekday=rng.randint(0, 6), start_time=time(22),
                                                end_time=time(23, 30)))
            elif change < 0.7:
                booking = db.session.scalar(select(Booking).where(Booking.coach_id == coach_id,
                                                                   Booking.status == BookingStatus.CONFIRMED))
                if booking is not None:
                    booking.status = BookingStatus.CANCELLED
            elif change < 0.8:  # a sync replaces the coach's external busy times in bulk
                db.session.execute(delete(ExternalBusy).where(ExternalBusy.coach_id == coach_id))
            db.session.commit()
            assert_fast_equals_plain(app, random_needs(rng, now), now, monkeypatch)
        now = datetime.combine(now.date() + timedelta(days=1), time(0, 0, 1), tzinfo=UTC)  # past midnight
        frozen_clock.set(now)
        assert_fast_equals_plain(app, random_needs(rng, now), now, monkeypatch)


def test_an_expired_hold_frees_its_time_in_the_cached_answer(app: Any, frozen_clock: Any, monkeypatch: Any) -> None:
    now = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    frozen_clock.set(now)
    with app.app_context():
        coach = one_coach()
        start = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
        db.session.add(Booking(coach_id=coach.id, starts_at=start, ends_at=start + timedelta(hours=1),
                               status=BookingStatus.HELD, hold_expires_at=now + timedelta(minutes=10),
                               ical_uid=uuid.uuid4().hex, ical_sequence=0, version=1, created_at=now))
        db.session.commit()
        needs = CoupleNeeds(concerns=(), languages_a=frozenset({"en"}), languages_b=frozenset({"en"}),
                            shared_free=((start, start + timedelta(hours=2)),))
        monkeypatch.setattr(services, "needs_of", lambda _db, _couple, _now: needs)
        [match] = services.propose(db.session, None, now).ranking.matches  # type: ignore[arg-type]
        assert match.shared_slots == ((start + timedelta(hours=1), start + timedelta(hours=2)),)
        frozen_clock.set(now + timedelta(minutes=11))
        [match] = services.propose(db.session, None, now + timedelta(minutes=11)).ranking.matches  # type: ignore[arg-type]
        assert match.shared_slots == ((start, start + timedelta(hours=1)), (start + timedelta(hours=1),
                                                                             start + timedelta(hours=2)))
