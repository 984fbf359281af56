"""Admin use cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import Role, User
from coaching.accounts.services import create_staff
from coaching.coaches.models import CoachProfile


def create_coach(db: Session, *, email: str, name: str, timezone: str) -> tuple[CoachProfile, str | None]:
    """Create a coach account and an empty profile; return it with a one-time password."""
    user, password = create_staff(db, email=email, name=name, role=Role.COACH, timezone=timezone)
    profile = db.scalar(select(CoachProfile).where(CoachProfile.user_id == user.id))
    if profile is None:
        profile = CoachProfile(user_id=user.id, timezone=timezone, accepting_new=False)
        db.add(profile)
        db.commit()
    return profile, password


def set_own_timezone(db: Session, user: User, zone: str) -> None:
    """Show ``user`` every time in ``zone`` (an IANA name the form has checked)."""
    user.timezone = zone
    db.commit()
