"""A couple that has ended, for ``flask seed-demo``: Robin and Quinn separated a month ago, so
Robin can try "Start with a new partner" on ``/account/couple`` (and invite anyone, as a new
client does). Idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.erasure.models import CoupleSeparation
from coaching.intake.models import Couple, CoupleStatus, Partner

PASSWORD = "tandem-client-demo"
PEOPLE = (("robin@example.com", "Robin Hale", "Europe/London"), ("quinn@example.com", "Quinn Hale", "Europe/London"))


def seed_separated(db: Session) -> list[str]:
    """The ended couple, if missing; the lines to print."""
    lines = [f"  partner {PEOPLE[0][0]} / {PASSWORD}  (their couple ended: start again at /account/couple)"]
    if db.scalar(select(User.id).where(User.email == PEOPLE[0][0])) is not None:
        return lines
    now = clock.now()
    ended = now - timedelta(days=30)
    couple = Couple(status=CoupleStatus.ACTIVE, created_at=now - timedelta(days=120),
                    intake_completed_at=now - timedelta(days=110))
    db.add(couple)
    db.flush()
    for slot, (email, name, zone) in zip("ab", PEOPLE, strict=True):
        user = User(email=email, name=name, role=Role.CLIENT, timezone=zone, email_verified_at=now,
                    password_hash=passwords.hash_password(PASSWORD))
        db.add(user)
        db.flush()
        db.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id, joined_at=couple.created_at,
                       timezone=zone, ended_at=ended))
        if slot == "a":
            db.add(CoupleSeparation(couple_id=couple.id, separated_at=ended, separated_by_id=user.id))
    db.commit()
    return lines
