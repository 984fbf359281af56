"""Safety use cases: the screen, crisis resources, the flag and its review by admins.

A positive screen raises a flag (``raise_safety_flag``, seen by admins and the assigned coach
only) and tells the admins and the coach, in neutral words, that a couple needs review. It
changes nothing in the couple's state: every couple begins with an individual welcome call for
each partner, and joint sessions open only when the coach opens them (for a flagged couple the
coach simply does not). So nothing the other partner sees can depend on the screen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.coaches.models import CoachProfile
from coaching.intake import questionnaire as qn, review
from coaching.intake.models import FlagStatus, Partner, SafetyFlag, SafetyFlagNote, SafetyScreen
from coaching.intake.scoring import SafetyResult, evaluate_safety
from coaching.intake.services import IntakeError, _complete_if_finished, _require_writable
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
    _require_writable(db, partner)
    answers = qn.validate(qn.questionnaire(v).safety, form)
    if screen_of(db, partner) is not None:
        raise IntakeError("You have already answered these questions. Thank you.")
    result = evaluate_safety(answers)
    now = clock.now()
    db.add(SafetyScreen(partner_id=partner.id, version=v, answers=answers, completed_at=now,
                        result={"positive": result.positive, "reasons": list(result.reasons)}))
    if result.positive:
        raise_safety_flag(db, partner, now)
    _complete_if_finished(db, partner.couple)
    db.commit()
    return result


def raise_safety_flag(db: Session, partner: Partner, now: datetime) -> SafetyFlag:
    """Raise a safety flag for ``partner`` (a positive screen, at intake or a later re-screen).

    Adds the flag and queues neutral emails to the admins and to the couple's assigned coach,
    in the caller's transaction (no commit: call it inside the use case that found the
    positive screen, which commits). It changes nothing in the couple's state and nothing the
    partners see: joint sessions stay as the coach left them, and the coach decides.
    """
    flag = SafetyFlag(couple_id=partner.couple_id, partner_id=partner.id, raised_at=now)
    db.add(flag)
    base = current_app.config["TANDEM_BASE_URL"]
    link = base + url_for("intake.safety_queue")
    for admin in db.scalars(select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))):
        queue_email(db, admin.email, "intake_review_needed", name=admin.name, link=link)
    coach = db.get(CoachProfile, partner.couple.coach_id) if partner.couple.coach_id else None
    if coach is not None and coach.user.is_active:
        queue_email(db, coach.user.email, "couple_review_needed", name=coach.user.name,
                    link=base + url_for("scheduling.coach_couple", couple_id=partner.couple_id))
    db.flush()
    return flag


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


def review_flag(db: Session, flag: SafetyFlag, admin: User, action: str, note: str = "") -> None:
    """Acknowledge, note or resolve ``flag`` as ``admin``; every action can carry a note.

    Reviewing changes nothing in the couple's state (joint sessions are the coach's decision).
    Raises ``review.ReviewRefused`` or ``IntakeError``.
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
    if note or action != "note":
        db.add(SafetyFlagNote(flag_id=flag.id, author_id=admin.id, action=action,
                              body=note or "", created_at=now))
    db.commit()


def unresolved_flags(db: Session, couple_id: int) -> list[SafetyFlag]:
    """The couple's flags that are open or acknowledged (for the coach and admins only)."""
    return [f for f in flags_of_couple(db, couple_id) if f.status != FlagStatus.RESOLVED]

