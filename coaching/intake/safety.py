"""Safety use cases: the screen, crisis resources, the flag and its review by admins.

A positive screen, in one transaction: blocks joint booking for the couple, raises a flag
(seen by admins and the assigned coach only) and tells the admins, in neutral words, that
an intake needs review. Nothing reaches the other partner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.intake import questionnaire as qn, review
from coaching.intake.models import FlagStatus, Partner, SafetyFlag, SafetyFlagNote, SafetyScreen
from coaching.intake.scoring import SafetyResult, evaluate_safety
from coaching.intake.services import IntakeError, _complete_if_finished, _require_consent
from coaching.notify.outbox import queue_email

DEFAULT_CRISIS_RESOURCES = (
    {"name": "National Domestic Violence Hotline (US)", "contact": "Call 1-800-799-7233 or text START to 88788"},
    {"name": "National Domestic Abuse Helpline (UK)", "contact": "Call 0808 2000 247 (free, 24 hours)"},
    {"name": "988 Suicide & Crisis Lifeline (US)", "contact": "Call or text 988"},
    {"name": "Emergency services", "contact": "Call 911 (US) or 999 (UK) if you are in immediate danger"},
)
NOTE_MAX = 4000


def crisis_resources() -> Sequence[Mapping[str, str]]:
    """The configured list (``CRISIS_RESOURCES``: dicts with name and contact)."""
    return tuple(current_app.config.get("CRISIS_RESOURCES", DEFAULT_CRISIS_RESOURCES))


def screen_of(db: Session, partner: Partner) -> SafetyScreen | None:
    return db.scalar(select(SafetyScreen).where(SafetyScreen.partner_id == partner.id))


def result_of(screen: SafetyScreen | None) -> SafetyResult | None:
    if screen is None:
        return None
    return SafetyResult(positive=bool(screen.result["positive"]), reasons=tuple(screen.result["reasons"]))


def submit_screen(db: Session, partner: Partner, version: object,
                  form: Mapping[str, Sequence[str]]) -> SafetyResult:
    """Store the partner's screen (once) and act on a positive result.

    Raises ``UnknownVersion``/``AnswersInvalid`` for bad input and ``IntakeError`` when the
    screen was already answered; nothing is stored then.
    """
    v = qn.accepted_version(version)
    _require_consent(db, partner)
    answers = qn.validate(qn.questionnaire(v).safety, form)
    if screen_of(db, partner) is not None:
        raise IntakeError("You have already answered these questions. Thank you.")
    result = evaluate_safety(answers)
    now = clock.now()
    db.add(SafetyScreen(partner_id=partner.id, version=v, answers=answers, completed_at=now,
                        result={"positive": result.positive, "reasons": list(result.reasons)}))
    if result.positive:
        couple = partner.couple
        couple.joint_booking_blocked = True
        db.add(SafetyFlag(couple_id=couple.id, partner_id=partner.id, raised_at=now))
        _tell_admins(db)
    _complete_if_finished(db, partner.couple)
    db.commit()
    return result


def _tell_admins(db: Session) -> None:
    link = current_app.config["TANDEM_BASE_URL"] + url_for("intake.safety_queue")
    for admin in db.scalars(select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))):
        queue_email(db, admin.email, "intake_review_needed", name=admin.name, link=link)


# --- review (admins) -------------------------------------------------------------------------


def flag_queue(db: Session, include_resolved: bool = False) -> list[SafetyFlag]:
    """Flags for the admin queue, open ones first, oldest first within a status."""
    query = select(SafetyFlag)
    if not include_resolved:
        query = query.where(SafetyFlag.status != FlagStatus.RESOLVED)
    order = {FlagStatus.OPEN: 0, FlagStatus.ACKNOWLEDGED: 1, FlagStatus.RESOLVED: 2}
    return sorted(db.scalars(query), key=lambda f: (order[f.status], f.raised_at, f.id))


def flags_of_couple(db: Session, couple_id: int) -> list[SafetyFlag]:
    return list(db.scalars(select(SafetyFlag).where(SafetyFlag.couple_id == couple_id).order_by(SafetyFlag.id)))


def review_flag(db: Session, flag: SafetyFlag, admin: User, action: str, note: str = "",
                restore_joint_booking: bool = False) -> None:
    """Acknowledge, note or resolve ``flag`` as ``admin``; every action can carry a note.

    Resolving keeps joint booking blocked unless ``restore_joint_booking`` and no other
    flag of the couple is still unresolved. Raises ``review.ReviewRefused`` or ``IntakeError``.
    """
    if admin.role != Role.ADMIN:
        raise IntakeError("Only admins review safety flags.")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise IntakeError(f"Please keep the note under {NOTE_MAX} characters.")
    if action == "note" and not note:
        raise IntakeError("Please write a note.")
    status = review.next_status(flag.status.value, action)
    now = clock.now()
    flag.status = FlagStatus(status)
    if action == "acknowledge":
        flag.acknowledged_at, flag.acknowledged_by_id = now, admin.id
    elif action == "resolve":
        flag.resolved_at, flag.resolved_by_id = now, admin.id
        others = [f for f in flags_of_couple(db, flag.couple_id)
                  if f.id != flag.id and f.status != FlagStatus.RESOLVED]
        if restore_joint_booking and not others:
            flag.joint_booking_restored = True
            flag.couple.joint_booking_blocked = False
    if note or action != "note":
        db.add(SafetyFlagNote(flag_id=flag.id, author_id=admin.id, action=action,
                              body=note or "", created_at=now))
    db.commit()


def booking_allowed(couple: Any, joint: bool) -> bool:
    """Whether a session of this kind may be booked for ``couple`` (individual always may)."""
    return not (joint and couple.joint_booking_blocked)

