"""Retention: what the practice keeps for how long, and the purge that removes what is due.

- Coach notes (signed or draft) and their addenda: ``RETENTION_NOTES_YEARS`` after the
  couple's last session (or last note, when later), for couples with nothing still ahead.
- Abandoned intakes: a couple that never finished its intake and never booked, untouched for
  ``RETENTION_ABANDONED_INTAKE_DAYS``: the intake's answers (shared and private), CSI-4
  responses, safety screens and their flags, unused invitations and the seat of a partner who
  never joined (their address) are deleted; accounts and consents stay.
- Sent emails: the outbox keeps only metadata of a sent email (recipient, kind, times);
  ``RETENTION_SENT_EMAILS_DAYS`` after sending, the row goes.

``plan`` lists what is due; ``purge`` carries out exactly that list (``flask retention purge
--dry-run`` prints ``plan``; the real run prints the same lines), logs each line and writes
one access-log entry per couple. Signed notes and addenda are locked by database triggers
(``coaching.notes.guards``); the purge deletes them inside a transaction it marks
(``retention_transaction``, migration 0022), the only way they can be deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coaching.audit.services import record
from coaching.erasure.models import RETENTION_PURGE
from coaching.intake.models import (
    Couple, Invite, Partner, PrivateAnswer, SafetyFlag, SafetyScreen, SatisfactionResponse, SharedAnswer,
)
from coaching.notes.models import Addendum, Note
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.payments.models import Payment
from coaching.scheduling.models import Booking, BookingStatus

log = logging.getLogger("tandem.retention")


# A transaction in which the note guards let DELETE through; committed at the end.
retention_transaction = RETENTION_PURGE.transaction


@dataclass(frozen=True)
class Due:
    """One thing the purge removes: ``kind`` is ``notes``, ``intake`` or ``emails``."""

    kind: str
    couple_id: int | None
    last_activity: datetime
    notes: int = 0
    addenda: int = 0
    answers: int = 0
    invites: int = 0
    emails: int = 0
    up_to_id: int = 0  # emails: the newest row the plan saw (the purge goes no further)

    def line(self) -> str:
        if self.kind == "notes":
            what = f"{self.notes} note(s), {self.addenda} addend(a)"
        elif self.kind == "intake":
            what = f"{self.answers} intake answer row(s), {self.invites} invitation(s)"
        else:
            return f"emails sent before {self.last_activity:%Y-%m-%d}: {self.emails} outbox row(s)"
        return f"{self.kind} couple={self.couple_id} last_activity={self.last_activity:%Y-%m-%d} {what}"


@dataclass(frozen=True)
class Report:
    items: tuple[Due, ...]
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(i.notes + i.addenda + i.answers + i.invites + i.emails for i in self.items)

    def lines(self) -> list[str]:
        return [i.line() for i in self.items]


def _notes_due(db: Session, now: datetime) -> list[Due]:
    cutoff = now - timedelta(days=365.25 * int(current_app.config.get("RETENTION_NOTES_YEARS", 7)))
    sessions = dict(db.execute(
        select(Booking.couple_id, func.max(Booking.ends_at))
        .where(Booking.couple_id.is_not(None),
               Booking.status.in_((BookingStatus.COMPLETED, BookingStatus.NO_SHOW, BookingStatus.CONFIRMED)))
        .group_by(Booking.couple_id)).all())
    ahead = set(db.scalars(select(Booking.couple_id).where(
        Booking.couple_id.is_not(None), Booking.ends_at > now,
        Booking.status.in_((BookingStatus.HELD, BookingStatus.CONFIRMED)))))
    addenda = dict(db.execute(select(Note.couple_id, func.count(Addendum.id))
                              .join(Addendum, Addendum.note_id == Note.id).group_by(Note.couple_id)).all())
    due = []
    rows = db.execute(select(Note.couple_id, func.count(Note.id), func.max(Note.created_at))
                      .group_by(Note.couple_id).order_by(Note.couple_id)).all()
    for couple_id, count, last_note in rows:
        last = max(x for x in (sessions.get(couple_id), last_note) if x is not None)
        if couple_id in ahead or last >= cutoff:
            continue
        due.append(Due("notes", couple_id, last, notes=int(count), addenda=int(addenda.get(couple_id, 0))))
    return due


def _intake_rows(db: Session, couple_id: int) -> tuple[list[int], int]:
    partner_ids = list(db.scalars(select(Partner.id).where(Partner.couple_id == couple_id)))
    count = int(db.scalar(select(func.count()).select_from(SharedAnswer).where(SharedAnswer.couple_id == couple_id)) or 0)
    if partner_ids:
        for model in (PrivateAnswer, SatisfactionResponse, SafetyScreen):
            count += int(db.scalar(select(func.count()).select_from(model)
                                   .where(model.partner_id.in_(partner_ids))) or 0)
    return partner_ids, count


def _intakes_due(db: Session, now: datetime) -> list[Due]:
    cutoff = now - timedelta(days=int(current_app.config.get("RETENTION_ABANDONED_INTAKE_DAYS", 730)))
    booked = set(db.scalars(select(Booking.couple_id).where(Booking.couple_id.is_not(None)).distinct()))
    paid = set(db.scalars(select(Payment.couple_id).where(Payment.couple_id.is_not(None)).distinct()))
    due = []
    for couple in db.scalars(select(Couple).where(Couple.intake_completed_at.is_(None), Couple.created_at < cutoff)
                             .order_by(Couple.id)):
        if couple.id in booked or couple.id in paid:
            continue
        partner_ids, count = _intake_rows(db, couple.id)
        invites = _unused_invites(db, couple.id)
        if count == 0 and invites == 0:
            continue
        changes = [couple.created_at]
        changes.append(db.scalar(select(func.max(SharedAnswer.updated_at)).where(SharedAnswer.couple_id == couple.id)))
        if partner_ids:
            changes.append(db.scalar(select(func.max(PrivateAnswer.updated_at))
                                     .where(PrivateAnswer.partner_id.in_(partner_ids))))
            changes.append(db.scalar(select(func.max(SatisfactionResponse.taken_at))
                                     .where(SatisfactionResponse.partner_id.in_(partner_ids))))
            changes.append(db.scalar(select(func.max(SafetyScreen.completed_at))
                                     .where(SafetyScreen.partner_id.in_(partner_ids))))
        last = max(c for c in changes if c is not None)
        if last < cutoff:
            due.append(Due("intake", couple.id, last, answers=count, invites=invites))
    return due


def _unused_invites(db: Session, couple_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(Invite)
                         .where(Invite.couple_id == couple_id, Invite.used_at.is_(None))) or 0)


def _emails_due(db: Session, now: datetime) -> list[Due]:
    cutoff = now - timedelta(days=int(current_app.config.get("RETENTION_SENT_EMAILS_DAYS", 365)))
    count, newest = db.execute(select(func.count(OutboxMessage.id), func.max(OutboxMessage.id)).where(
        OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < cutoff)).one()
    return [Due("emails", None, cutoff, emails=int(count), up_to_id=int(newest))] if count else []


def plan(db: Session, now: datetime) -> list[Due]:
    """Everything the retention settings say is due at ``now`` (reads only)."""
    return _notes_due(db, now) + _intakes_due(db, now) + _emails_due(db, now)


def purge(db: Session, now: datetime, *, dry_run: bool = False) -> Report:
    """Remove what ``plan`` lists (nothing with ``dry_run``); log and audit each item. Commits."""
    items = tuple(plan(db, now))
    db.rollback()  # end the read transaction: the purge runs in its own
    if dry_run:
        return Report(items, dry_run=True)
    for item in items:
        with retention_transaction(db):
            if item.kind == "emails":
                db.execute(delete(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < item.last_activity,
                    OutboxMessage.id <= item.up_to_id))
            elif item.kind == "notes":
                note_ids = select(Note.id).where(Note.couple_id == item.couple_id).scalar_subquery()
                db.execute(delete(Addendum).where(Addendum.note_id.in_(note_ids)))
                db.execute(delete(Note).where(Note.couple_id == item.couple_id))
            else:
                partner_ids, _ = _intake_rows(db, item.couple_id)
                db.execute(delete(SharedAnswer).where(SharedAnswer.couple_id == item.couple_id))
                for model in (PrivateAnswer, SatisfactionResponse, SafetyScreen):
                    db.execute(delete(model).where(model.partner_id.in_(partner_ids)))
                for flag in db.scalars(select(SafetyFlag).where(SafetyFlag.couple_id == item.couple_id)).all():
                    db.delete(flag)
                db.execute(delete(Invite).where(Invite.couple_id == item.couple_id, Invite.used_at.is_(None)))
                db.execute(delete(Partner).where(Partner.couple_id == item.couple_id, Partner.user_id.is_(None)))
            record(db, actor=None, action="retention_purge", couple_id=item.couple_id, object_type=item.kind,
                   detail=item.line())
        log.info("retention purge: %s", item.line())
    if not items:
        log.info("retention purge: nothing due")
    return Report(items, dry_run=False)
