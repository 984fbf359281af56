"""Demo data: the demo admin and coaches start with two-step sign-in on, and their keys printed.

``make run`` prints each key; add it to an authenticator app, or run ``flask two-factor code
EMAIL`` (development only) for the current code.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import Role, User
from coaching.twofactor import services


def seed_second_factors(db: Session) -> list[str]:
    staff = db.scalars(select(User).where(User.role.in_([Role.ADMIN, Role.COACH]),
                                          User.email.like("%@example.com")).order_by(User.role, User.email)).all()
    lines = ["Two-step sign-in keys of the demo staff (add one to an authenticator app, or run",
             "`.venv/bin/flask two-factor code EMAIL` for the current code):"]
    for user in staff:
        secret = services.enrol_directly(db, user)
        lines.append(f"  {user.email:<24} {secret}")
    return lines
