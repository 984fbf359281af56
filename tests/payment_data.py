"""Builders and fixtures shared by the payments tests (stand-in Stripe, a coach, a couple)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.scheduling.models import Booking, SessionType
from tests.mail import SentEmail, sent_emails
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email
from tests.stripe_standin import StripeStandIn

WEBHOOK_SECRET = "whsec_test_standin"
#: A slot inside the coach's hours, three days after the frozen clock's 2026-11-02 15:00 UTC.
SLOT = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)


def stripe_config(standin: StripeStandIn) -> dict[str, Any]:
    return {"STRIPE_SECRET_KEY": "sk_test_standin", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": standin.base, "STRIPE_CHECKOUT_ORIGIN": standin.base,
            "STRIPE_MAX_NETWORK_RETRIES": 0, "STRIPE_TIMEOUT_SECONDS": 2}


@pytest.fixture
def standin() -> Iterator[StripeStandIn]:
    with StripeStandIn(WEBHOOK_SECRET) as server:
        yield server


@dataclass
class World:
    coach: CoachProfile
    session_type: SessionType
    couple: Couple
    partner_a: User
    partner_b: User
    other_couple: Couple
    other: User


def create_world(price_cents: int = 12000) -> World:
    """A coach offering a paid joint session, a couple of two partners, and another couple."""
    st = create_session_type("couples-session", price_cents=price_cents)
    coach = create_coach(session_types=[st])
    couple = create_couple("ana@example.com", "ben@example.com")
    other_couple = create_couple("cleo@example.com", "dev@example.com")
    return World(coach, st, couple, user_by_email("ana@example.com"), user_by_email("ben@example.com"),
                 other_couple, user_by_email("cleo@example.com"))


def place(world: World, user: User, now: datetime, start: datetime = SLOT) -> Booking:
    from coaching.scheduling.services import place_hold

    return place_hold(db.session, user=user, coach_id=world.coach.id, session_type_slug=world.session_type.slug,
                      start=start, now=now)


def emails(kind: str, to: str | None = None) -> list[SentEmail]:
    """The emails of ``kind`` delivered so far (the outbox keeps no content once sent)."""
    db.session.commit()  # see what other threads committed (SQLite keeps a read snapshot)
    return sent_emails(to=to, kind=kind)


def count(model: Any, *where: Any) -> int:
    db.session.commit()
    return int(db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def fresh(obj: Any) -> Any:
    """Re-read a row from the database (other threads or requests changed it)."""
    db.session.commit()
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


@pytest.fixture(name="config_overrides")
def stripe_config_overrides(standin: StripeStandIn) -> dict[str, object]:
    """Import into a test module to run its app against the Stripe stand-in."""
    return stripe_config(standin)


@pytest.fixture(name="world")
def world_fixture(dbs: object, frozen_clock: object) -> World:
    """A coach, a paid session type and a couple (import into a test module to use)."""
    return create_world()
