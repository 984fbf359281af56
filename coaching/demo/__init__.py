"""Demo data for ``make run``: an admin, three coaches in three time zones, a demo couple."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.accounts.services import find_user
from coaching.coaches.services import import_catalog, validate_catalog
from coaching.homework.demo import seed_homework
from coaching.intake.models import Couple, Partner

CATALOG = Path(__file__).with_name("coaches.json")
# Demo logins only: seed-demo is for a local machine, never for production data.
ADMIN = ("admin@example.com", "Demo Admin", "tandem-admin-demo")
COACH_PASSWORD = "tandem-coach-demo"
PARTNERS = [
    ("sam@example.com", "Sam Rivera", "America/Chicago", "tandem-client-demo"),
    ("alex@example.com", "Alex Rivera", "America/Los_Angeles", "tandem-client-demo"),
]


def _user(db: Session, email: str, name: str, role: Role, password: str, zone: str) -> User:
    user = find_user(db, email)
    if user is None:
        user = User(email=email, name=name, role=role, timezone=zone,
                    password_hash=passwords.hash_password(password), email_verified_at=clock.now())
        db.add(user)
        db.flush()
    return user


def seed(db: Session) -> list[str]:
    """Create the demo data if missing; return the lines to print (logins)."""
    catalog = validate_catalog(db, json.loads(CATALOG.read_text()))
    import_catalog(db, catalog)
    for spec in catalog.coaches:
        coach = find_user(db, spec.email)
        assert coach is not None
        if not passwords.verify_password(coach.password_hash, COACH_PASSWORD):
            coach.password_hash = passwords.hash_password(COACH_PASSWORD)
    _user(db, ADMIN[0], ADMIN[1], Role.ADMIN, ADMIN[2], "UTC")
    partners = [_user(db, e, n, Role.CLIENT, p, z) for e, n, z, p in PARTNERS]
    if db.scalar(select(Partner.id).where(Partner.user_id == partners[0].id).limit(1)) is None:
        couple = Couple()
        db.add(couple)
        db.flush()
        for slot, user in zip("ab", partners):
            db.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id, joined_at=clock.now()))
    db.commit()
    lines = ["Demo logins (password after the slash):",
             f"  admin   {ADMIN[0]} / {ADMIN[2]}"]
    lines += [f"  coach   {c.email} / {COACH_PASSWORD}  ({c.timezone})" for c in catalog.coaches]
    lines += [f"  partner {e} / {p}  ({z})" for e, _n, z, p in PARTNERS]
    from coaching.notes.demo import seed_history

    lines += seed_history(db)  # a couple with months of sessions and notes, coached by Ana
    from coaching.checkins.demo import seed_checkins

    lines += seed_checkins(db)  # their intake scores and three monthly check-ins
    lines += seed_homework(db)  # their summaries, homework and reflections (coaching/homework/demo.py)
    from coaching.twofactor.demo import seed_second_factors

    lines += seed_second_factors(db)  # demo staff enrolled in two-step sign-in, keys printed
    from coaching.erasure.demo import seed_separated

    lines += seed_separated(db)  # a couple that ended: one of them can start again
    return lines
