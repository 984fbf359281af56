"""Coach use cases: importing the catalogue, reading profiles."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.accounts.services import find_user
from coaching import clock
from coaching.coaches.catalog import Catalog, CatalogError, CoachSpec, SessionTypeSpec, parse_catalog
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.scheduling.models import AvailabilityRule, SessionKind, SessionType, TimeOff


class CatalogInvalid(Exception):
    def __init__(self, errors: list[CatalogError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportReport:
    session_types_created: int = 0
    session_types_updated: int = 0
    coaches_created: int = 0
    coaches_updated: int = 0


def validate_catalog(db: Session, data: object, welcome_slug: str | None = None) -> Catalog:
    """Parse the file's data against the database's session types; raise ``CatalogInvalid``.

    Once the welcome call's session type (``WELCOME_SESSION_TYPE``) is in the file or the
    database, it must be free and individual, and every coach with session types must offer it."""
    existing = set(db.scalars(select(SessionType.slug)).all())
    catalog, errors = parse_catalog(data, existing)
    if welcome_slug is None:  # the CLI may run without an application context
        welcome_slug = current_app.config.get("WELCOME_SESSION_TYPE", "welcome") if has_app_context() else "welcome"
    errors += _welcome_errors(catalog, existing, welcome_slug)
    for i, spec in enumerate(catalog.coaches):
        user = find_user(db, spec.email) if spec.email else None
        if user is not None and user.role != Role.COACH:
            errors.append(CatalogError(f"coaches[{i}].email", f"belongs to a {user.role.value} account"))
    if errors:
        raise CatalogInvalid(errors)
    return catalog


def _welcome_errors(catalog: Catalog, existing: set[str], slug: str) -> list[CatalogError]:
    errors = []
    for i, spec in enumerate(catalog.session_types):
        if spec.slug == slug and (spec.kind != SessionKind.INDIVIDUAL.value or spec.price_cents != 0):
            errors.append(CatalogError(f"session_types[{i}]", f"{slug!r} is the welcome call: it must be "
                                                              "individual and free"))
    if slug in existing or any(t.slug == slug for t in catalog.session_types):
        for i, spec in enumerate(catalog.coaches):
            if spec.session_types and slug not in spec.session_types:
                errors.append(CatalogError(f"coaches[{i}].session_types", f"must include {slug!r}: every "
                                                                           "couple starts with a welcome call"))
    return errors


def import_catalog(db: Session, catalog: Catalog,
                   progress: Callable[[int], None] = lambda _n: None) -> ImportReport:
    """Upsert session types and coaches (by slug and email) in one transaction."""
    report = ImportReport()
    try:
        types = {t.slug: t for t in db.scalars(select(SessionType))}
        for spec in catalog.session_types:
            created = spec.slug not in types
            types[spec.slug] = _upsert_session_type(db, types.get(spec.slug), spec)
            report.session_types_created += created
            report.session_types_updated += not created
        db.flush()
        for spec in catalog.coaches:
            created = _upsert_coach(db, spec, types)
            report.coaches_created += created
            report.coaches_updated += not created
            progress(1)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return report


def _upsert_session_type(db: Session, row: SessionType | None, spec: SessionTypeSpec) -> SessionType:
    if row is None:
        row = SessionType(slug=spec.slug)
        db.add(row)
    row.name, row.duration_min = spec.name, spec.duration_min
    row.price_cents, row.currency = spec.price_cents, spec.currency
    row.kind = SessionKind(spec.kind)
    row.buffer_before_min, row.buffer_after_min = spec.buffer_before_min, spec.buffer_after_min
    row.min_notice_hours, row.horizon_days = spec.min_notice_hours, spec.horizon_days
    row.slot_interval_min, row.daily_max = spec.slot_interval_min, spec.daily_max
    return row


def _upsert_coach(db: Session, spec: CoachSpec, types: dict[str, SessionType]) -> bool:
    user = find_user(db, spec.email)
    created = user is None
    if user is None:
        user = User(email=spec.email, role=Role.COACH, email_verified_at=clock.now(),
                    password_hash=passwords.hash_password(secrets.token_urlsafe(24)),
                    name=spec.name, timezone=spec.timezone)
        db.add(user)
        db.flush()
    user.name, user.timezone = spec.name, spec.timezone
    profile = db.scalar(select(CoachProfile).where(CoachProfile.user_id == user.id))
    if profile is None:
        profile = CoachProfile(user_id=user.id, timezone=spec.timezone)
        db.add(profile)
    for attr in ("timezone", "languages", "specialties", "approaches", "formats", "gender",
                 "lgbtq_affirming", "faith_based", "safety_trained", "accepting_new",
                 "max_active_couples", "bio"):
        setattr(profile, attr, getattr(spec, attr))
    profile.session_types = [types[slug] for slug in spec.session_types]
    db.flush()
    db.execute(delete(AvailabilityRule).where(AvailabilityRule.coach_id == profile.id))
    for weekday, ranges in spec.weekly_hours.items():
        for start, end in ranges:
            db.add(AvailabilityRule(coach_id=profile.id, weekday=weekday, start_time=start, end_time=end))
    existing_off = {(t.start_date, t.end_date) for t in
                    db.scalars(select(TimeOff).where(TimeOff.coach_id == profile.id))}
    for start, end in spec.time_off:
        if (start, end) not in existing_off:
            db.add(TimeOff(coach_id=profile.id, start_date=start, end_date=end))
    return created


def list_public_coaches(db: Session) -> list[CoachProfile]:
    return list(db.scalars(select(CoachProfile).join(User).where(User.is_active.is_(True)).order_by(User.name)))


def assigned_couples(db: Session, coach_id: int) -> list[Couple]:
    """The couples currently assigned to the coach, newest first."""
    return list(db.scalars(select(Couple).where(Couple.coach_id == coach_id).order_by(Couple.created_at.desc())))


PROFILE_FIELDS = ("bio", "languages", "specialties", "approaches", "formats", "gender",
                  "lgbtq_affirming", "faith_based")
ADMIN_FIELDS = ("accepting_new", "max_active_couples", "safety_trained")


def update_profile(db: Session, profile: CoachProfile, changes: dict[str, object], *, by_admin: bool) -> None:
    """Save a coach's profile; only admins may change intake, capacity and safety training."""
    allowed = PROFILE_FIELDS + (ADMIN_FIELDS if by_admin else ())
    for field in allowed:
        if field in changes:
            value = changes[field]
            setattr(profile, field, (value or None) if field == "gender" else value)
    db.commit()


def next_open_times(db: Session, profile: CoachProfile, now: datetime, count: int = 3) -> list[tuple[str, datetime]]:
    """The next few bookable starts of the coach's first offered session type (next 21 days)."""
    from coaching.scheduling.services import free_slots

    offered = [t for t in profile.session_types if t.active]
    if not offered:
        return []
    session_type = min(offered, key=lambda t: (t.price_cents, t.id))
    found = free_slots(db, profile.id, session_type, now, now + timedelta(days=21), now)
    return [(session_type.name, start) for start, _end in found[:count]]
