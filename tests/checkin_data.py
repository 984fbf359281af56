"""Builders for the check-in tests: a couple past its intake with an assigned coach.

Everything is made directly in the database (the intake flow has its own tests), inside the
caller's app context. Sam (A, intake CSI-4 8) and Alex (B, intake CSI-4 17) have both consented;
Ana is their coach (offering a free consultation), Otto an unassigned coach, Ada an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.checkins.models import CheckIn
from coaching.intake.models import Consent, CoupleStatus, SatisfactionResponse
from coaching.intake.services import consent_version
from coaching.notify.models import OutboxMessage
from tests.conftest import PASSWORD, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row

NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}
POSITIVE = {**NEGATIVE, "fear": "often", "physical_harm": "yes"}


def csi(*values: int) -> dict[str, str]:
    return {f"csi{i}": str(v) for i, v in enumerate(values, 1)}


@dataclass
class World:
    couple: int
    partner_a: int
    partner_b: int
    coach: int  # CoachProfile id
    emails: dict[str, str]


def create_world(*, coach_email: str = "ana@example.com", prefix: str = "") -> World:
    """The couple, its coach, an unassigned coach and an admin (inside an app context)."""
    consultation = create_session_type(prefix + "consultation", duration_min=20, min_notice_hours=12)
    coach = create_coach(prefix + coach_email, name="Ana Ruiz", session_types=[consultation])
    create_coach(prefix + "otto@example.com", name="Otto Other")
    create_user_row(prefix + "ada@example.com", role=Role.ADMIN, name="Ada Admin")
    couple = create_couple(prefix + "sam@example.com", prefix + "alex@example.com")
    couple.coach_id, couple.status = coach.id, CoupleStatus.ACTIVE
    couple.partners[0].user.name, couple.partners[1].user.name = "Sam Rivera", "Alex Rivera"
    taken = clock.now() - timedelta(days=90)
    for partner, items in zip(couple.partners, ({"csi1": 2, "csi2": 2, "csi3": 2, "csi4": 2},
                                                {"csi1": 5, "csi2": 4, "csi3": 4, "csi4": 4})):
        db.session.add(Consent(partner_id=partner.id, user_id=partner.user_id, version=consent_version(),
                               terms=True, sharing=True, sensitive_data=True, given_at=taken))
        db.session.add(SatisfactionResponse(partner_id=partner.id, version=1, source="intake", items=items,
                                            taken_at=taken))
    db.session.commit()
    return World(couple=couple.id, partner_a=couple.partners[0].id, partner_b=couple.partners[1].id,
                 coach=coach.id, emails={"a": prefix + "sam@example.com", "b": prefix + "alex@example.com",
                                         "coach": prefix + coach_email, "other": prefix + "otto@example.com",
                                         "admin": prefix + "ada@example.com"})


def add_checkin(couple_id: int, at: datetime | None = None) -> int:
    checkin = CheckIn(couple_id=couple_id, created_at=at or clock.now())
    db.session.add(checkin)
    db.session.commit()
    return checkin.id


def client_for(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email, PASSWORD).status_code == 302
    return client


def emails_to(address: str, kind: str | None = None) -> list[Any]:
    """What was delivered to ``address`` (the outbox erases content once sent)."""
    from tests.mail import sent_emails

    return sent_emails(to=address, kind=kind)
