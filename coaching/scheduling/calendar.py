"""A coach's calendar as the slot engine needs it (zone, offered session types, working time),
read in a few column-only queries and kept per app in the slot cache between changes.

Only the public slot list and the "next free times" of a refusal read it from the cache; a
booking itself always checks the database (``services._require_slot``).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile, coach_session_types
from coaching.scheduling import slot_cache, slots
from coaching.scheduling.models import AvailabilityRule, DateOverride, SessionType, TimeOff


@dataclass(frozen=True)
class OfferedType:
    id: int
    slug: str
    rules: slots.SessionRules


@dataclass(frozen=True)
class CoachCalendar:
    coach_id: int
    timezone: str
    zone: ZoneInfo
    offered: dict[str, OfferedType]  # active session types the (active) coach offers, by slug
    availability: slots.Availability  # weekly hours, every override and every time off


def load(db: Session, coach_id: int) -> CoachCalendar | None:
    """The coach's calendar from the database; None if there is no such active coach."""
    row = db.execute(select(CoachProfile.timezone).join(User, User.id == CoachProfile.user_id)
                     .where(CoachProfile.id == coach_id, User.is_active.is_(True))).first()
    if row is None:
        return None
    timezone = row[0]
    offered = {}
    for (type_id, slug, duration, before, after, notice, horizon, interval, daily_max) in db.execute(
            select(SessionType.id, SessionType.slug, SessionType.duration_min, SessionType.buffer_before_min,
                   SessionType.buffer_after_min, SessionType.min_notice_hours, SessionType.horizon_days,
                   SessionType.slot_interval_min, SessionType.daily_max)
            .join(coach_session_types, coach_session_types.c.session_type_id == SessionType.id)
            .where(coach_session_types.c.coach_id == coach_id, SessionType.active.is_(True))):
        offered[slug] = OfferedType(type_id, slug, slots.SessionRules(
            duration_min=duration, buffer_before_min=before, buffer_after_min=after, min_notice_hours=notice,
            horizon_days=horizon, slot_interval_min=interval, daily_max=daily_max))
    weekly = tuple(slots.WeeklyHours(*r) for r in db.execute(
        select(AvailabilityRule.weekday, AvailabilityRule.start_time, AvailabilityRule.end_time)
        .where(AvailabilityRule.coach_id == coach_id)))
    overrides = tuple(slots.DateHours(*r) for r in db.execute(
        select(DateOverride.on_date, DateOverride.start_time, DateOverride.end_time)
        .where(DateOverride.coach_id == coach_id)))
    days_off = tuple(slots.DaysOff(*r) for r in db.execute(
        select(TimeOff.start_date, TimeOff.end_date).where(TimeOff.coach_id == coach_id)))
    return CoachCalendar(coach_id, timezone, ZoneInfo(timezone), offered,
                         slots.Availability(timezone, weekly, overrides, days_off))


def of(db: Session, coach_id: int, gens: slot_cache.Generations | None) -> CoachCalendar | None:
    """The coach's calendar, from this app's cache when the calendars' generation still matches.

    ``gens`` comes from ``slot_cache.generations`` (read before any row): None bypasses the cache.
    """
    ttl = float(current_app.config.get("SLOTS_CALENDAR_CACHE_SECONDS", 60))
    if gens is None or ttl <= 0:
        return load(db, coach_id)
    cache = slot_cache.current()
    key = ("calendar", coach_id, gens[0])
    found = cache.get(key, ttl)
    if found is None:
        found = load(db, coach_id)
        if found is None:
            return None
        cache.put(key, found, ttl)
    return found


def near(calendar: CoachCalendar, first, last) -> slots.Availability:  # type: ignore[no-untyped-def]
    """The calendar's availability with only the overrides and time off touching local dates
    ``[first, last]`` (the engine scans them per day)."""
    a = calendar.availability
    return slots.Availability(a.timezone, a.weekly, tuple(o for o in a.overrides if first <= o.on_date <= last),
                              tuple(d for d in a.days_off if d.start <= last and d.end >= first))
