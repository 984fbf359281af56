"""Coach use cases for working time: weekly hours, date overrides, time off, session types offered."""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coaching.coaches.models import CoachProfile
from coaching.scheduling.models import AvailabilityRule, DateOverride, SessionType, TimeOff
from coaching.scheduling.slots import WEEKDAY_KEYS, parse_ranges
from coaching.timezones import is_valid_zone


class AvailabilityInvalid(Exception):
    """Input that cannot be saved; ``errors`` maps a field name to a message safe to show."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def weekly_text(db: Session, coach: CoachProfile) -> dict[str, str]:
    """The coach's weekly hours as editable text per weekday key: {"mon": "09:00-12:00, 13:00-17:00"}."""
    rules = db.scalars(select(AvailabilityRule).where(AvailabilityRule.coach_id == coach.id)
                       .order_by(AvailabilityRule.weekday, AvailabilityRule.start_time))
    out: dict[str, list[str]] = {k: [] for k in WEEKDAY_KEYS}
    for rule in rules:
        out[WEEKDAY_KEYS[rule.weekday]].append(f"{rule.start_time:%H:%M}-{rule.end_time:%H:%M}")
    return {k: ", ".join(v) for k, v in out.items()}


def save_weekly_hours(db: Session, coach: CoachProfile, timezone: str, by_day: dict[str, str]) -> None:
    """Replace the coach's zone and weekly hours; all or nothing. Raise ``AvailabilityInvalid``."""
    errors: dict[str, str] = {}
    if not is_valid_zone(timezone):
        errors["timezone"] = "Choose a time zone from the list."
    parsed: dict[int, list[tuple[time, time]]] = {}
    for weekday, key in enumerate(WEEKDAY_KEYS):
        try:
            parsed[weekday] = parse_ranges(by_day.get(key) or "")
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise AvailabilityInvalid(errors)
    coach.timezone = timezone
    db.execute(delete(AvailabilityRule).where(AvailabilityRule.coach_id == coach.id))
    for weekday, ranges in parsed.items():
        for start, end in ranges:
            db.add(AvailabilityRule(coach_id=coach.id, weekday=weekday, start_time=start, end_time=end))
    db.commit()


def add_override(db: Session, coach: CoachProfile, on_date: date, start: time | None, end: time | None,
                 closed: bool, *, today: date) -> None:
    """Set the hours of one date (replacing earlier ones for it), or close it. Raise ``AvailabilityInvalid``.

    ``today`` is the coach's local date: a date before it is in the past and is refused.
    """
    if on_date < today:
        raise AvailabilityInvalid({"on_date": f"{on_date:%d %B %Y} is in the past. Choose today or a later date."})
    if not closed:
        if start is None or end is None:
            raise AvailabilityInvalid({"start": "Give both times, or tick closed."})
        if end <= start:
            raise AvailabilityInvalid({"end": "The end must be after the start."})
    db.execute(delete(DateOverride).where(DateOverride.coach_id == coach.id, DateOverride.on_date == on_date))
    db.add(DateOverride(coach_id=coach.id, on_date=on_date, start_time=None if closed else start,
                        end_time=None if closed else end))
    db.commit()


def add_time_off(db: Session, coach: CoachProfile, start: date, end: date, reason: str) -> None:
    """Add whole local dates off, inclusive. Raise ``AvailabilityInvalid``."""
    if end < start:
        raise AvailabilityInvalid({"end_date": "The last day must not be before the first."})
    exists = db.scalar(select(TimeOff.id).where(TimeOff.coach_id == coach.id, TimeOff.start_date == start,
                                                TimeOff.end_date == end))
    if exists:
        raise AvailabilityInvalid({"start_date": "You already have this time off."})
    db.add(TimeOff(coach_id=coach.id, start_date=start, end_date=end, reason=reason.strip()[:200]))
    db.commit()


def remove_entry(db: Session, coach: CoachProfile, model: type[DateOverride] | type[TimeOff], entry_id: int) -> bool:
    """Delete one of the coach's own overrides or time-off entries; False if not theirs."""
    result = db.execute(delete(model).where(model.id == entry_id, model.coach_id == coach.id))
    db.commit()
    return bool(result.rowcount)


def set_session_types(db: Session, coach: CoachProfile, slugs: list[str]) -> None:
    """Offer exactly the active session types named by ``slugs``."""
    coach.session_types = list(db.scalars(select(SessionType).where(SessionType.slug.in_(slugs),
                                                                    SessionType.active.is_(True))))
    db.commit()
