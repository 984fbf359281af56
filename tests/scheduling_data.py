"""Small ``create_*`` builders for scheduling tests: session types, coaches with hours, couples."""

from __future__ import annotations

from datetime import time
from typing import Any

from coaching import clock, db
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple, JointSessionOpening, Partner
from coaching.scheduling.models import AvailabilityRule, SessionKind, SessionType
from tests.conftest import PASSWORD


def create_session_type(slug: str = "consultation", *, price_cents: int = 0, duration_min: int = 50,
                        kind: SessionKind = SessionKind.JOINT, **rules: Any) -> SessionType:
    values = dict(min_notice_hours=0, horizon_days=60, slot_interval_min=60, buffer_before_min=0,
                  buffer_after_min=0, daily_max=None)
    values.update(rules)
    st = SessionType(slug=slug, name=slug.replace("-", " ").capitalize(), duration_min=duration_min,
                     price_cents=price_cents, kind=kind, **values)
    db.session.add(st)
    db.session.commit()
    return st


def create_user_row(email: str, *, role: Role = Role.CLIENT, timezone: str = "America/New_York",
                    name: str | None = None) -> User:
    user = User(email=email, name=name or email.split("@")[0].title(), role=role, timezone=timezone,
                password_hash=passwords.hash_password(PASSWORD), email_verified_at=clock.now())
    db.session.add(user)
    db.session.flush()
    return user


def create_coach(email: str = "coach@example.com", *, timezone: str = "America/New_York",
                 hours: dict[int, list[tuple[time, time]]] | None = None,
                 session_types: list[SessionType] = (), name: str = "Casey Coach") -> CoachProfile:
    user = create_user_row(email, role=Role.COACH, timezone=timezone, name=name)
    coach = CoachProfile(user_id=user.id, timezone=timezone)
    coach.session_types = list(session_types)
    db.session.add(coach)
    db.session.flush()
    for weekday, ranges in (hours if hours is not None else {d: [(time(9), time(17))] for d in range(7)}).items():
        for start, end in ranges:
            db.session.add(AvailabilityRule(coach_id=coach.id, weekday=weekday, start_time=start, end_time=end))
    db.session.commit()
    return coach


def create_couple(*emails: str, timezones: tuple[str, ...] = ("America/New_York", "Europe/London"),
                  free_times: tuple[dict, ...] = ({}, {}), joint_open: bool = True) -> Couple:
    """A couple of ``emails``; by default their coach has already opened joint sessions
    (``joint_open=False``: still at the welcome calls)."""
    couple = Couple()
    db.session.add(couple)
    db.session.flush()
    if joint_open:
        db.session.add(JointSessionOpening(couple_id=couple.id, opened_at=clock.now()))
    for i, email in enumerate(emails):
        user = create_user_row(email, timezone=timezones[i])
        db.session.add(Partner(couple_id=couple.id, slot="ab"[i], user_id=user.id, timezone=timezones[i],
                               free_times=free_times[i] if i < len(free_times) else {}))
    db.session.commit()
    return couple


def user_by_email(email: str) -> User:
    from sqlalchemy import select

    return db.session.scalar(select(User).where(User.email == email))
