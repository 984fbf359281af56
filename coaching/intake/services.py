"""Intake use cases: start, consent, shared/personal/private answers, progress, profiles.

Each function takes the session, does one thing and commits. Refusals raise
``IntakeError`` (message safe to show) or ``StepNotFound``; invalid answers raise
``questionnaire.AnswersInvalid``/``UnknownVersion`` before anything is written.
Invites live in ``invites.py``, the safety screen and flags in ``safety.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.db import immediate
from coaching.intake import progress, questionnaire as qn, seats
from coaching.intake.models import (Consent, Couple, CoupleStatus, Invite, Partner,
                                    PrivateAnswer, SafetyFlag, SafetyScreen, SatisfactionResponse,
                                    SharedAnswer, SharedAnswerChange)
from coaching.intake.profile import MatchingProfile, build_profile
from coaching.notify.outbox import queue_email
from coaching.timezones import is_valid_zone

DEFAULT_CONSENT_VERSION = "2026-11"
DEFAULT_CONFIDENTIALITY_POLICY = (
    "The shared part is seen by both of you and by your coach. Each private part is seen only "
    "by the partner who wrote it, your coach and Tandem's administrators; your partner never "
    "sees it. If anyone's safety is at risk, your coach may contact the person at risk "
    "privately first.",
)


class IntakeError(Exception):
    """The use case was refused; the message is safe to show to the user."""


class StepNotFound(IntakeError):
    """No such step, or the step does not apply to this couple (shown as a 404)."""


# --- configuration ---------------------------------------------------------------------------


def consent_version() -> str:
    return str(current_app.config.get("INTAKE_CONSENT_VERSION", DEFAULT_CONSENT_VERSION))


def confidentiality_policy() -> Sequence[str]:
    policy = current_app.config.get("INTAKE_CONFIDENTIALITY_POLICY", DEFAULT_CONFIDENTIALITY_POLICY)
    return (policy,) if isinstance(policy, str) else tuple(policy)


# --- who -------------------------------------------------------------------------------------


#: Why a seat of a couple that has ended refuses every change (its intake is kept as it was).
ENDED = "Your couple has ended: its questionnaire is kept as it was and can no longer be changed."


def partner_of(db: Session, user: Any) -> Partner | None:
    """The seat the client ``user``'s pages act on (``seats.home_seat``), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return seats.home_seat(db, user.id)


def start_intake(db: Session, user: User) -> Couple:
    """Give the client ``user`` a new couple (seat "a"); their current couple if they have one.

    After a separation (every seat of theirs has ended) this starts them again: a new couple,
    a new questionnaire, and an invitation to a new partner as for any new client.
    """
    if user.role != Role.CLIENT:
        raise IntakeError("Only client accounts take part in the questionnaire.")
    try:
        with immediate(db):  # SQLite: check and insert under the write lock
            existing = seats.current_seat(db, user.id)
            if existing is not None:
                db.commit()
                return existing.couple
            couple = Couple()
            db.add(couple)
            db.flush()
            db.add(Partner(couple_id=couple.id, slot="a", user_id=user.id, joined_at=clock.now(),
                           timezone=user.timezone))
            db.commit()
    except IntegrityError:  # PostgreSQL: a second tab started at the same moment (one current seat per person)
        return seats.current_seat(db, user.id).couple  # type: ignore[union-attr]
    return couple


def has_consent(db: Session, partner: Partner) -> bool:
    """Whether the partner agreed to the current consent version."""
    return db.scalar(select(Consent.id).where(
        Consent.partner_id == partner.id, Consent.version == consent_version())) is not None


def give_consent(db: Session, partner: Partner, *, terms: bool, sharing: bool, sensitive_data: bool) -> None:
    """Record consent (all three are required) with the current version and time."""
    if not (terms and sharing and sensitive_data):
        raise IntakeError("Please agree to all three statements to continue.")
    if partner.ended_at is not None:
        raise IntakeError(ENDED)
    if has_consent(db, partner):
        return
    db.add(Consent(partner_id=partner.id, user_id=partner.user_id, version=consent_version(),
                   terms=True, sharing=True, sensitive_data=True, given_at=clock.now()))
    db.commit()


def _require_writable(db: Session, partner: Partner) -> None:
    """Answers change only in a couple that has not ended, after consent."""
    if partner.ended_at is not None:
        raise IntakeError(ENDED)
    if not has_consent(db, partner):
        raise IntakeError("Please read and agree to how we handle your answers first.")


# --- shared part -----------------------------------------------------------------------------


def shared_answers(db: Session, couple: Couple) -> dict[str, SharedAnswer]:
    """The couple's shared steps by key (including each partner's ``you:<slot>``)."""
    rows = db.scalars(select(SharedAnswer).where(SharedAnswer.couple_id == couple.id)).all()
    return {row.step: row for row in rows}


def applicable_shared_steps(db: Session, couple: Couple) -> list[qn.Step]:
    answers = {k: v.answers for k, v in shared_answers(db, couple).items()}
    return qn.questionnaire().shared_steps_for(answers)


def _upsert_shared(db: Session, couple: Couple, partner: Partner, step: str, version: int,
                   answers: dict[str, Any]) -> None:
    row = db.scalar(select(SharedAnswer).where(SharedAnswer.couple_id == couple.id, SharedAnswer.step == step))
    old = row.answers if row is not None else {}
    changed = sorted(k for k in set(old) | set(answers) if old.get(k) != answers.get(k))
    if row is None:
        row = SharedAnswer(couple_id=couple.id, step=step)
        db.add(row)
    elif not changed and row.version == version:
        return
    row.version, row.answers, row.updated_by_id, row.updated_at = version, answers, partner.id, clock.now()
    db.add(SharedAnswerChange(couple_id=couple.id, partner_id=partner.id, step=step,
                              changed_keys=changed, changed_at=clock.now()))


def save_shared_step(db: Session, partner: Partner, step_key: str, version: object,
                     form: Mapping[str, Sequence[str]]) -> None:
    """Validate and store one shared step for the partner's couple, attributed to the partner.

    Dropping "infidelity" from the concerns deletes the affair follow-ups (no longer asked).
    """
    couple = partner.couple
    if step_key not in {s.key for s in applicable_shared_steps(db, couple)}:
        raise StepNotFound("No such step.")
    v = qn.accepted_version(version)
    _require_writable(db, partner)
    answers = qn.validate(qn.questionnaire(v).step(step_key), form)
    _upsert_shared(db, couple, partner, step_key, v, answers)
    if step_key == "concerns" and "infidelity" not in answers["concerns"]:
        db.execute(delete(SharedAnswer).where(SharedAnswer.couple_id == couple.id,
                                              SharedAnswer.step == "infidelity"))
    _complete_if_finished(db, couple)
    db.commit()


def save_personal(db: Session, partner: Partner, version: object, form: Mapping[str, Sequence[str]]) -> None:
    """Store the partner's own place, languages and weekly free times (visible to both).

    Also sets ``Partner.timezone`` and ``Partner.free_times`` for scheduling and matching.
    """
    v = qn.accepted_version(version)
    _require_writable(db, partner)
    answers = qn.validate(qn.questionnaire(v).personal, form, zone_is_valid=is_valid_zone)
    _upsert_shared(db, partner.couple, partner, f"you:{partner.slot}", v, answers)
    partner.timezone = answers["timezone"]
    partner.free_times = answers["free_times"]
    _complete_if_finished(db, partner.couple)
    db.commit()


@dataclass(frozen=True)
class ChangeLine:
    who: str
    step: str
    keys: tuple[str, ...]
    at: Any


def shared_changes(db: Session, couple: Couple, limit: int = 20) -> list[ChangeLine]:
    """Recent changes to the shared part: who changed which questions (never old values)."""
    rows = db.scalars(select(SharedAnswerChange).where(SharedAnswerChange.couple_id == couple.id)
                      .order_by(SharedAnswerChange.id.desc()).limit(limit)).all()
    return [ChangeLine(who=_partner_name(r.partner), step=r.step, keys=tuple(r.changed_keys), at=r.changed_at)
            for r in rows]


def _partner_name(partner: Partner | None) -> str:
    if partner is None or partner.user is None:
        return "A former partner"
    return partner.user.name


# --- private part ----------------------------------------------------------------------------


def private_answers(db: Session, partner: Partner) -> dict[str, dict[str, Any]]:
    """The partner's own private steps (``view`` answers, ``satisfaction`` CSI items)."""
    out = {r.step: r.answers for r in db.scalars(
        select(PrivateAnswer).where(PrivateAnswer.partner_id == partner.id))}
    csi = latest_satisfaction(db, partner)
    if csi is not None:
        out["satisfaction"] = {k: str(v) for k, v in csi.items.items()}
    return out


def latest_satisfaction(db: Session, partner: Partner) -> SatisfactionResponse | None:
    return db.scalar(select(SatisfactionResponse).where(
        SatisfactionResponse.partner_id == partner.id, SatisfactionResponse.source == "intake")
        .order_by(SatisfactionResponse.id.desc()).limit(1))


def save_private_step(db: Session, partner: Partner, step_key: str, version: object,
                      form: Mapping[str, Sequence[str]]) -> None:
    """Validate and store one private step of the partner's own private part (encrypted)."""
    if step_key not in ("view", "satisfaction"):
        raise StepNotFound("No such step.")
    v = qn.accepted_version(version)
    _require_writable(db, partner)
    answers = qn.validate(qn.questionnaire(v).step(step_key), form)
    now = clock.now()
    if step_key == "satisfaction":
        items = {k: int(answers[k]) for k in ("csi1", "csi2", "csi3", "csi4")}
        row = latest_satisfaction(db, partner)
        if row is None:
            db.add(SatisfactionResponse(partner_id=partner.id, version=v, items=items, taken_at=now))
        else:
            row.version, row.items, row.taken_at = v, items, now
    else:
        row = db.scalar(select(PrivateAnswer).where(PrivateAnswer.partner_id == partner.id,
                                                    PrivateAnswer.step == step_key))
        if row is None:
            db.add(PrivateAnswer(partner_id=partner.id, step=step_key, version=v, answers=answers, updated_at=now))
        else:
            row.version, row.answers, row.updated_at = v, answers, now
    db.flush()
    _complete_if_finished(db, partner.couple)
    db.commit()


# --- progress --------------------------------------------------------------------------------


def couple_facts(db: Session, couple: Couple) -> progress.CoupleFacts:
    """What each partner has finished (booleans only) and which shared steps are missing."""
    shared = shared_answers(db, couple)
    missing = tuple(s.key for s in qn.questionnaire().shared_steps_for({k: v.answers for k, v in shared.items()})
                    if s.key not in shared)
    partners = []
    for p in couple.partners:
        done = set(db.scalars(select(PrivateAnswer.step).where(PrivateAnswer.partner_id == p.id)))
        if latest_satisfaction(db, p) is not None:
            done.add("satisfaction")
        if db.scalar(select(SafetyScreen.id).where(SafetyScreen.partner_id == p.id)) is not None:
            done.add("safety")
        partners.append(progress.PartnerFacts(
            slot=p.slot, joined=p.user_id is not None, consented=p.user_id is not None and has_consent(db, p),
            personal_done=f"you:{p.slot}" in shared, private_done=progress.finished_steps(sorted(done))))
    now = clock.now()
    pending = db.scalar(select(Invite.id).where(Invite.couple_id == couple.id, Invite.used_at.is_(None),
                                                Invite.revoked_at.is_(None), Invite.expires_at > now))
    return progress.CoupleFacts(shared_missing=missing, partners=tuple(partners),
                                invite_pending=pending is not None, has_coach=couple.coach_id is not None,
                                joint_sessions_open=couple.joint_sessions_open)


def _complete_if_finished(db: Session, couple: Couple) -> None:
    """Once both partners finished: mark the couple, move it to matching, tell both (neutrally)."""
    db.flush()
    if couple.intake_completed_at is not None or not couple_facts(db, couple).complete:
        return
    couple.intake_completed_at = clock.now()
    if couple.status == CoupleStatus.INTAKE:
        couple.status = CoupleStatus.MATCHING
    for p in couple.partners:
        if p.user is not None:
            # The same words for both partners whatever the screens said.
            queue_email(db, p.user.email, "intake_complete", name=p.user.name)


def is_flagged_partner(db: Session, partner: Partner | None) -> bool:
    """Whether this partner's own screen raised a flag (only ever used on their own pages)."""
    if partner is None:
        return False
    return db.scalar(select(SafetyFlag.id).where(SafetyFlag.partner_id == partner.id).limit(1)) is not None


@dataclass
class Overview:
    """What a client's pages show about their couple: progress only, never anyone's answers."""

    couple: Couple | None = None
    partner: Partner | None = None
    facts: progress.CoupleFacts | None = None
    next_step: str = "start"
    checklist: list[tuple[str, bool]] = field(default_factory=list)


def overview_for(db: Session, user: Any) -> Overview:
    """The intake status for the client ``user`` (no couple yet: next step "start")."""
    partner = partner_of(db, user)
    if partner is None:
        return Overview()
    facts = couple_facts(db, partner.couple)
    return Overview(couple=partner.couple, partner=partner, facts=facts,
                    next_step=progress.next_step(facts, partner.slot),
                    checklist=progress.checklist(facts, {p.slot: p.user.name for p in partner.couple.partners if p.user}))


# --- for matching ----------------------------------------------------------------------------


def matching_profile(db: Session, couple: Couple) -> MatchingProfile:
    """What matching needs about ``couple``: concerns in order, languages, preferences.

    Never the safety screen: the proposals both partners see must not depend on it."""
    shared = shared_answers(db, couple)
    personal = {p.slot: shared[f"you:{p.slot}"].answers for p in couple.partners if f"you:{p.slot}" in shared}
    return build_profile(couple.id, {k: v.answers for k, v in shared.items()}, personal,
                         complete=couple.intake_completed_at is not None)
