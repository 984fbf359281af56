"""Deleting an account (after a cooling-off period) and ending a couple. Services commit.

- ``request_deletion``: the client confirms with their password; the erasure is due
  ``ERASURE_COOLING_OFF_DAYS`` later. Their other sign-ins and API tokens end now. Signing
  in again (any new sign-in) or the "Keep my account" button cancels it.
- ``erase_due`` (a periodic task) carries out every due request with ``erase_user``.
- ``separate_couple``: either partner ends the couple (``CoupleSeparation``). The couple
  record stays: each partner keeps their own data and the joint history, the ownership
  checks (``security.can_see_couple``, ``scheduling.services.visible_booking``) are
  unchanged, joint sessions close for good and future joint bookings are cancelled under the
  cancellation policy (refunds to whoever paid, package credits returned to the couple's
  ledger), and each partner goes on alone with individual sessions. Both seats end
  (``Partner.ended_at``): the couple's intake and homework stop taking changes, and either
  person may start again with a new partner (``intake.services.start_intake``), holding a
  new current seat beside the ended one (``coaching.intake.seats``).

What erasure keeps, and why, is in docs/architecture.md ("Leaving Tandem").
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from coaching.accounts import passwords
from coaching.accounts.models import ApiToken, LoginSession, Role, User
from coaching.accounts.services import revoke_access
from coaching.audit.services import record
from coaching.checkins.models import CheckInResponse
from coaching.coaches.models import CoachProfile
from coaching.db import immediate
from coaching.erasure.models import CoupleSeparation, DeletionRequest
from coaching.homework.models import HomeworkTick, Reflection, SharedSummary
from coaching.intake import seats
from coaching.intake.models import (
    Couple, Invite, JointSessionOpening, Partner, PrivateAnswer, SafetyFlag, SafetyScreen, SatisfactionResponse,
    SharedAnswer,
)
from coaching.matching.models import MatchFeedback, RematchRequest
from coaching.notes.models import HandoverConsent
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.outbox import queue_email
from coaching.scheduling import events, notices
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType
from coaching.scheduling.services import _move

log = logging.getLogger("tandem.erasure")

FORMER_NAME = "Former client"
#: The cancel reason both partners and the coach read on a booking cancelled because the couple ended.
ENDED_REASON = "The couple's joint sessions have ended."


class ErasureError(Exception):
    """A request was refused; the message is safe to show."""


def pseudonym_email(user_id: int) -> str:
    """A unique address that can never receive mail (``.invalid`` is reserved, RFC 2606)."""
    return f"erased-{user_id}@invalid"


def is_erased(user: User) -> bool:
    return user.email == pseudonym_email(user.id)


# --- deletion requests -----------------------------------------------------------------------


def live_request(db: Session, user_id: int) -> DeletionRequest | None:
    return db.scalar(select(DeletionRequest).where(
        DeletionRequest.user_id == user_id, DeletionRequest.cancelled_at.is_(None),
        DeletionRequest.erased_at.is_(None)).order_by(DeletionRequest.id.desc()))


def request_deletion(db: Session, user: User, password: str, *, now: datetime,
                     keep_session_id: int | None = None) -> DeletionRequest:
    """Ask for ``user``'s account to be erased after the cooling-off period; commit.

    Raises ``ErasureError`` for a wrong password or a staff account. The user's other
    sign-ins and every API token end now; the sign-in ``keep_session_id`` stays so that the
    person sees the outcome (and can still press "Keep my account").
    """
    if user.role != Role.CLIENT:
        raise ErasureError("Staff accounts are closed by an admin.")
    if not passwords.verify_password(user.password_hash, password or ""):
        raise ErasureError("That is not your password.")
    existing = live_request(db, user.id)
    if existing is not None:
        return existing
    days = int(current_app.config.get("ERASURE_COOLING_OFF_DAYS", 7))
    request = DeletionRequest(user_id=user.id, requested_at=now, due_at=now + timedelta(days=days))
    db.add(request)
    revoke_access(db, user, keep_session_id=keep_session_id)
    db.flush()
    queue_email(db, user.email, "account_deletion_requested", name=user.name, due_at=request.due_at,
                zone=user.timezone, days=days)
    db.commit()
    return request


def cancel_deletion(db: Session, user: User, *, now: datetime) -> bool:
    """Cancel ``user``'s live request, if any; commit. True when there was one."""
    request = live_request(db, user.id)
    if request is None:
        return False
    request.cancelled_at = now
    db.commit()
    return True


def due_requests(db: Session, now: datetime) -> list[DeletionRequest]:
    return list(db.scalars(select(DeletionRequest).where(
        DeletionRequest.cancelled_at.is_(None), DeletionRequest.erased_at.is_(None),
        DeletionRequest.due_at <= now).order_by(DeletionRequest.due_at, DeletionRequest.id)))


def erase_due(db: Session, now: datetime) -> int:
    """Carry out every due deletion request (each in its own transaction); return how many."""
    done = 0
    for request_id in [r.id for r in due_requests(db, now)]:
        try:
            with immediate(db):
                request = db.get(DeletionRequest, request_id)
                if request is None or not request.is_live or request.due_at > now:
                    db.rollback()
                    continue
                user = db.get(User, request.user_id)
                if user is not None:
                    erase_user(db, user, now=now)
                request.erased_at = now
                db.commit()
                done += 1
        except Exception:  # noqa: BLE001 - one failing erasure must not stop the others; retried next run
            log.exception("erasure of deletion request %s failed; it will be retried", request_id)
    if done:
        log.info("erased %s account(s) whose cooling-off period ended", done)
    return done


# --- ending a couple -------------------------------------------------------------------------


def separation_of(db: Session, couple_id: int) -> CoupleSeparation | None:
    return db.scalar(select(CoupleSeparation).where(CoupleSeparation.couple_id == couple_id))


def _future_bookings(db: Session, couple_id: int, now: datetime, *, joint: bool,
                     booked_by: int | None = None) -> list[Booking]:
    query = (select(Booking).outerjoin(SessionType, SessionType.id == Booking.session_type_id)
             .where(Booking.couple_id == couple_id, Booking.starts_at > now,
                    or_(Booking.status == BookingStatus.CONFIRMED, Booking.status == BookingStatus.HELD)))
    if joint:
        query = query.where(or_(SessionType.kind.is_(None), SessionType.kind != SessionKind.INDIVIDUAL))
    else:
        query = query.where(SessionType.kind == SessionKind.INDIVIDUAL, Booking.booked_by_id == booked_by)
    return list(db.scalars(query.order_by(Booking.starts_at)))


def _cancel_under_policy(db: Session, booking: Booking, *, now: datetime, by_user_id: int | None) -> None:
    """Cancel a future booking because the couple ended (no commit).

    Payments react as to a client's cancellation at ``now`` (the policy's refund or the late
    part, a package credit back when in time): ``booking_cancelled``; a hold is released.
    Unlike a client's own cancellation, this is allowed closer than ``CANCEL_MIN_HOURS``.
    """
    was_held = booking.status == BookingStatus.HELD
    _move(booking, "cancel", now)
    booking.cancelled_at, booking.cancel_reason, booking.cancelled_by_id = now, ENDED_REASON, by_user_id
    booking.ical_sequence += 1
    db.flush()
    if was_held:
        events.hold_released.send(booking, db=db, now=now)
    else:
        events.booking_cancelled.send(booking, db=db, now=now, by_coach=False, reason=ENDED_REASON)
        notices.booking_notices(db, booking, "cancelled")


def _end_couple(db: Session, couple: Couple, leaver: User, *, now: datetime, reason: str) -> list[Booking]:
    """Record the separation, close joint sessions, cancel future joint bookings (no commit)."""
    if separation_of(db, couple.id) is None:
        db.add(CoupleSeparation(couple_id=couple.id, separated_at=now, separated_by_id=leaver.id, reason=reason))
    db.execute(delete(JointSessionOpening).where(JointSessionOpening.couple_id == couple.id))
    db.expire(couple, ["joint_opening"])
    for seat in couple.partners:  # both seats end; each stays its holder's, with its history
        if seat.ended_at is None:
            seat.ended_at = now
    cancelled = _future_bookings(db, couple.id, now, joint=True)
    for booking in cancelled:
        _cancel_under_policy(db, booking, now=now, by_user_id=leaver.id)
    for invite in db.scalars(select(Invite).where(Invite.couple_id == couple.id, Invite.used_at.is_(None),
                                                  Invite.revoked_at.is_(None))):
        invite.revoked_at = now
    # No access-log entry here: the separation row is the record, and an entry written during the
    # person's request would keep their IP address in a table that can never be changed.
    log.info("couple %s ended (%s): %s future joint booking(s) cancelled", couple.id, reason, len(cancelled))
    return cancelled


def _others(couple: Couple, leaver_id: int) -> list[User]:
    return [p.user for p in couple.partners if p.user is not None and p.user_id != leaver_id and p.user.is_active]


def _tell_coach(db: Session, couple: Couple, template: str) -> None:
    coach = db.get(CoachProfile, couple.coach_id) if couple.coach_id else None
    if coach is not None:
        queue_email(db, coach.user.email, template, name=coach.name, couple_id=couple.id)


def separate_couple(db: Session, user: User, *, now: datetime) -> CoupleSeparation:
    """``user`` ends their couple; commit. Raises ``ErasureError`` without a two-partner couple."""
    with immediate(db):
        seat = seats.home_seat(db, user.id)
        couple = seat.couple if seat is not None else None
        if couple is None or sum(1 for p in couple.partners if p.user_id is not None) < 2:
            raise ErasureError("You are not in a couple on Tandem.")
        if seat.ended_at is not None or separation_of(db, couple.id) is not None:
            raise ErasureError("Your couple has already ended.")
        _end_couple(db, couple, user, now=now, reason="separation")
        for other in _others(couple, user.id):
            queue_email(db, other.email, "couple_ended", name=other.name)
        _tell_coach(db, couple, "couple_ended_coach")
        db.commit()
    separation = separation_of(db, couple.id)
    assert separation is not None
    return separation


# --- erasure ---------------------------------------------------------------------------------


def erase_user(db: Session, user: User, *, now: datetime) -> None:
    """Erase or irreversibly pseudonymise everything personal of the client ``user`` (no commit).

    Kept: payments, receipts, refunds and package purchases (the law), pointing at the
    pseudonymised user; signed notes and addenda (the practice's retention period,
    ``retention.purge``); the couple's joint records and the other partner's everything.
    """
    if user.role != Role.CLIENT:
        raise ErasureError("Only a client's account is erased here.")
    held = seats.seats_of(db, user.id)  # every couple they sat in, an earlier one's too
    old_email = user.email
    for partner in held:
        couple = partner.couple
        others = _others(couple, user.id)
        if others and separation_of(db, couple.id) is None:
            _end_couple(db, couple, user, now=now, reason="erasure")
            for other in others:
                queue_email(db, other.email, "partner_left", name=other.name)
            _tell_coach(db, couple, "partner_left_coach")
        elif separation_of(db, couple.id) is None:
            _end_couple(db, couple, user, now=now, reason="erasure")
        for booking in _future_bookings(db, couple.id, now, joint=False, booked_by=user.id):
            _cancel_under_policy(db, booking, now=now, by_user_id=user.id)  # the coach is told
        _erase_partner(db, couple, partner)
    # What the person wrote on bookings (cancel reasons), feedback and requests.
    db.execute(update(Booking).where(Booking.cancelled_by_id == user.id, Booking.cancel_reason.is_not(None),
                                     Booking.cancel_reason != "rescheduled", Booking.cancel_reason != ENDED_REASON)
               .values(cancel_reason=None).execution_options(synchronize_session=False))
    db.execute(delete(MatchFeedback).where(MatchFeedback.user_id == user.id))
    db.execute(update(RematchRequest).where(RematchRequest.requested_by_id == user.id).values(reason=""))
    db.execute(delete(HandoverConsent).where(HandoverConsent.user_id == user.id))
    db.execute(update(Invite).where(or_(Invite.used_by_id == user.id, Invite.email == old_email))
               .values(email=pseudonym_email(user.id)))
    # Sign-ins and tokens: gone, with the addresses and browsers they recorded.
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    _delete_per_person_rows(db, user.id)
    # Emails: those not yet sent to the person are dropped; sent ones keep only metadata.
    db.execute(delete(OutboxMessage).where(OutboxMessage.to_addr == old_email,
                                           OutboxMessage.status != OutboxStatus.SENT))
    db.execute(update(OutboxMessage).where(OutboxMessage.to_addr == old_email)
               .values(to_addr=pseudonym_email(user.id)))
    user.email = pseudonym_email(user.id)
    user.name = FORMER_NAME
    user.password_hash = "!erased"  # not an argon2 hash: no password ever matches it
    user.timezone = "UTC"
    user.session_token = secrets.token_urlsafe(32)
    user.is_active = False
    db.flush()
    record(db, actor=None, action="erase", couple_id=held[0].couple_id if held else None,
           object_type="user", object_id=user.id, detail="account erased after the cooling-off period")


#: Tables keyed by a person (``user_id`` -> users, ON DELETE CASCADE) that erasure keeps.
KEPT_PER_PERSON = frozenset({"account_deletions", "coach_profiles"})


def _delete_per_person_rows(db: Session, user_id: int) -> None:
    """Delete the person's rows from every table that belongs to a person: one whose
    ``user_id`` column references ``users`` with ON DELETE CASCADE (sign-ins, tokens, and any
    per-person settings a feature adds later), except ``KEPT_PER_PERSON``."""
    from coaching.db import Base

    for table in Base.metadata.sorted_tables:
        column = table.c.get("user_id")
        if table.name in KEPT_PER_PERSON or column is None:
            continue
        if any(fk.column.table.name == "users" and (fk.ondelete or "").upper() == "CASCADE"
               for fk in column.foreign_keys):
            db.execute(table.delete().where(column == user_id))


def _erase_partner(db: Session, couple: Couple, partner: Partner) -> None:
    """The partner's private part, screens, check-ins, reflections and own shared step (no commit)."""
    pid = partner.id
    db.execute(delete(PrivateAnswer).where(PrivateAnswer.partner_id == pid))
    db.execute(delete(SatisfactionResponse).where(SatisfactionResponse.partner_id == pid))
    db.execute(delete(SafetyScreen).where(SafetyScreen.partner_id == pid))
    for flag in db.scalars(select(SafetyFlag).where(SafetyFlag.partner_id == pid)).all():
        db.delete(flag)  # with its review notes (about this person's screen)
    db.execute(delete(CheckInResponse).where(CheckInResponse.partner_id == pid))
    db.execute(delete(Reflection).where(Reflection.partner_id == pid))
    db.execute(delete(HomeworkTick).where(HomeworkTick.partner_id == pid))
    for summary in db.scalars(select(SharedSummary).where(SharedSummary.partner_id == pid)).all():
        db.delete(summary)  # shared with this person alone, with its homework
    db.execute(delete(SharedAnswer).where(SharedAnswer.couple_id == couple.id,
                                          SharedAnswer.step == f"you:{partner.slot}"))
    # The shared part names each partner ("about": partner_a_name, partner_a_pronouns).
    own = {f"partner_{partner.slot}_name": FORMER_NAME, f"partner_{partner.slot}_pronouns": ""}
    for row in db.scalars(select(SharedAnswer).where(SharedAnswer.couple_id == couple.id)).all():
        if any(key in (row.answers or {}) for key in own):
            row.answers = {**row.answers, **{k: v for k, v in own.items() if k in row.answers}}
    partner.timezone = None
    partner.free_times = {}
    if partner.user_id is not None:
        partner.invited_email = None
    db.flush()


@dataclass(frozen=True)
class AccountState:
    """What ``/account/delete`` and ``/account/couple`` show."""

    request: DeletionRequest | None
    couple: Couple | None
    separation: CoupleSeparation | None
    has_partner: bool
    #: Couples that ended before the current one began (``couple`` is the current or latest).
    earlier: list[tuple[Couple, CoupleSeparation | None]]


def account_state(db: Session, user: User) -> AccountState:
    held = seats.seats_of(db, user.id)
    couple = held[0].couple if held else None
    separation = separation_of(db, couple.id) if couple is not None else None
    has_partner = couple is not None and sum(1 for p in couple.partners if p.user_id is not None) == 2
    earlier = [(seat.couple, separation_of(db, seat.couple_id)) for seat in held[1:]]
    return AccountState(live_request(db, user.id), couple, separation, has_partner, earlier)
