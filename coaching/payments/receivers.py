"""Payments' answers to the booking lifecycle signals (see coaching/scheduling/events.py).

Each receiver runs inside scheduling's transaction and never commits; anything that talks
to the provider (expiring a Checkout session, sending a refund) is written down here and
done after that transaction commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coaching.payments import credits, refunds
from coaching.payments.models import Payment, Provider
from coaching.payments.policy import cancellation_refund
from coaching.payments.services import refund_policy
from coaching.payments.states import MONEY_RECEIVED, OPEN, PaymentStatus
from coaching.scheduling import events
from coaching.scheduling.models import Booking

_EXPIRE = "tandem.checkout_sessions_to_expire"


def _void_open_checkouts(db: Session, booking: Booking, now: datetime) -> None:
    payments = db.scalars(select(Payment).where(Payment.booking_id == booking.id,
                                                Payment.status.in_(OPEN))).all()
    for payment in payments:
        if payment.status != PaymentStatus.PENDING:
            continue  # a delayed payment is under way: its outcome event decides
        payment.status = PaymentStatus.VOID
        if payment.provider == Provider.STRIPE and payment.checkout_session_id and \
                (payment.checkout_expires_at is None or payment.checkout_expires_at > now):
            db.info.setdefault(_EXPIRE, set()).add(payment.checkout_session_id)


def on_hold_released(booking: Booking, *, db: Session, now: datetime, **_: Any) -> None:
    """A hold ended unpaid: its Checkout session is expired so it cannot be paid any more."""
    _void_open_checkouts(db, booking, now)


def on_booking_cancelled(booking: Booking, *, db: Session, now: datetime, by_coach: bool = False,
                         **_: Any) -> None:
    """Refund per policy (a coach's cancellation in full) and return a package credit in time."""
    policy = refund_policy(db)
    full = policy.within_full_refund(booking.starts_at, now, by_coach=by_coach)
    if full:
        credits.give_back(db, booking.id, "Returned: cancelled in time" if not by_coach
                          else "Returned: the coach cancelled")
    _void_open_checkouts(db, booking, now)
    for payment in db.scalars(select(Payment).where(Payment.booking_id == booking.id)).all():
        if payment.status == PaymentStatus.INVOICED:
            if full:
                payment.status = PaymentStatus.VOID
            else:  # a late cancellation: the invoice stays due for the part not refunded
                payment.amount_cents -= cancellation_refund(
                    payment.amount_cents, 0, starts_at=booking.starts_at, cancelled_at=now, policy=policy)
            continue
        if payment.status not in MONEY_RECEIVED:
            continue
        amount = cancellation_refund(payment.amount_cents, payment.refunded_cents, starts_at=booking.starts_at,
                                     cancelled_at=now, policy=policy, by_coach=by_coach)
        who = "the coach" if by_coach else "the couple"
        refunds.request_refund(db, payment, amount, key=f"refund-cancel-booking-{booking.id}-payment-{payment.id}",
                               reason=f"Cancelled by {who}")


def on_booking_rescheduled(booking: Booking, *, db: Session, new: Booking, **_: Any) -> None:
    """The payment (or package credit) of the old booking now belongs to the new one."""
    for payment in db.scalars(select(Payment).where(Payment.booking_id == booking.id)).all():
        payment.booking_id = new.id
    credits.move_to(db, booking.id, new.id)


def connect() -> None:
    """Subscribe to scheduling's signals (idempotent)."""
    events.hold_released.connect(on_hold_released)
    events.booking_cancelled.connect(on_booking_cancelled)
    events.booking_rescheduled.connect(on_booking_rescheduled)


@event.listens_for(Session, "after_commit")
def _expire_after_commit(db: Session) -> None:
    session_ids = db.info.pop(_EXPIRE, None)
    if session_ids:
        from coaching.payments.tasks import expire_checkout_sessions

        expire_checkout_sessions(sorted(session_ids))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(db: Session) -> None:
    db.info.pop(_EXPIRE, None)


connect()
