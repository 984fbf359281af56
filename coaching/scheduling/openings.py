"""The coach's gate on joint sessions: each partner's welcome call, then the coach opens
joint sessions for the couple (rules in ``gate.py``). Commits; refusals raise ``OpeningRefused``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.intake import safety
from coaching.intake.models import Couple, JointSessionOpening, Partner, SafetyFlagNote
from coaching.scheduling import gate
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.scheduling.services import SchedulingError


class OpeningRefused(SchedulingError):
    """Joint sessions cannot be opened yet."""
    code, status = "not_openable", 409


@dataclass(frozen=True)
class WelcomeCall:
    """One partner's welcome call with the couple's coach, as the coach sees it."""

    partner: Partner
    booking: Booking | None  # the latest live or completed one

    @property
    def completed(self) -> bool:
        return self.booking is not None and self.booking.status == BookingStatus.COMPLETED

    @property
    def state(self) -> str:
        if self.booking is None:
            return "not booked yet"
        return {BookingStatus.COMPLETED: "completed", BookingStatus.NO_SHOW: "missed"}.get(
            self.booking.status, "booked")


def welcome_type(db: Session) -> SessionType | None:
    return db.scalar(select(SessionType).where(
        SessionType.slug == current_app.config.get("WELCOME_SESSION_TYPE", "welcome")))


def welcome_calls(db: Session, couple: Couple) -> list[WelcomeCall]:
    """Each joined partner's welcome call with the couple's current coach (completed first)."""
    kind = welcome_type(db)
    calls = []
    rank = {BookingStatus.COMPLETED: 0, BookingStatus.CONFIRMED: 1, BookingStatus.HELD: 1, BookingStatus.NO_SHOW: 2}
    for partner in couple.partners:
        if partner.user_id is None:
            continue
        found = [] if kind is None or couple.coach_id is None else list(db.scalars(select(Booking).where(
            Booking.couple_id == couple.id, Booking.coach_id == couple.coach_id,
            Booking.session_type_id == kind.id, Booking.booked_by_id == partner.user_id,
            Booking.status.in_(list(rank)))))
        found.sort(key=lambda b: (rank[b.status], -b.starts_at.timestamp()))
        calls.append(WelcomeCall(partner, found[0] if found else None))
    return calls


def open_joint_sessions(db: Session, couple: Couple, coach_user: User, *, flags_reviewed: bool = False,
                        note: str = "", now: datetime) -> JointSessionOpening:
    """Open joint sessions for ``couple`` as its coach; commit. Raises ``OpeningRefused``.

    With an unresolved safety flag, ``note`` is added to each such flag's review log."""
    note = (note or "").strip()
    from coaching.erasure.services import separation_of

    if separation_of(db, couple.id) is not None:
        raise OpeningRefused("This couple has ended: joint sessions stay closed.")
    flags = safety.unresolved_flags(db, couple.id)
    refusal = gate.opening_refusal(gate.OpeningRequest(
        already_open=couple.joint_sessions_open,
        welcome_calls_completed=[c.completed for c in welcome_calls(db, couple)],
        unresolved_flags=len(flags), flags_reviewed=flags_reviewed, note=note))
    if refusal is not None:
        raise OpeningRefused(refusal)
    for flag in flags:
        db.add(SafetyFlagNote(flag_id=flag.id, author_id=coach_user.id, action="coach_opened",
                              body=note, created_at=now))
    opening = JointSessionOpening(couple_id=couple.id, opened_at=now, opened_by_id=coach_user.id)
    db.add(opening)
    couple.joint_opening = opening
    db.commit()
    return opening
