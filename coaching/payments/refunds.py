"""Refunds: written as a row in the caller's transaction, sent through the gateway after it.

``request_refund`` never talks to the provider; once the transaction commits, the pending
refund is sent (a task, retried periodically) with the row's idempotency key, so a refund
happens exactly once however often the sending is attempted.

With the manual provider nobody sends money automatically: the refund is *owed*, an admin
to-do listed on the payments page, and the payer is told it is on its way. It is done when
an admin records how the money went back (``record_manual_refund``); the payer then gets a
second email saying it was sent, with the method and date, so they can look for it.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.db import immediate
from coaching.notify.outbox import queue_email
from coaching.payments import gateway as gw
from coaching.payments.models import Payment, Provider, Refund, RefundStatus
from coaching.payments.policy import check_manual_refund
from coaching.payments.states import MONEY_RECEIVED, status_after_refund

log = logging.getLogger("tandem.payments")
_PENDING = "tandem.refunds_pending"


class RefundRefused(Exception):
    """The refund cannot be made; the message is safe to show an admin."""


def refundable_cents(db: Session, payment: Payment) -> int:
    """What is left to refund, counting refunds not yet sent."""
    promised = db.scalar(select(func.coalesce(func.sum(Refund.amount_cents), 0))
                         .where(Refund.payment_id == payment.id, Refund.status != RefundStatus.FAILED))
    return max(0, payment.amount_cents - int(promised or 0))


def request_refund(db: Session, payment: Payment, amount_cents: int, *, reason: str, key: str,
                   by: User | None = None) -> Refund | None:
    """Add a pending refund (no commit); ``None`` if ``key`` was used before or nothing is left."""
    existing = db.scalar(select(Refund).where(Refund.idempotency_key == key))
    if existing is not None:
        return None
    amount = min(amount_cents, refundable_cents(db, payment))
    if amount <= 0 or payment.status not in MONEY_RECEIVED:
        return None
    refund = Refund(payment_id=payment.id, amount_cents=amount, reason=reason[:500], idempotency_key=key,
                    created_by_id=by.id if by else None)
    db.add(refund)
    db.flush()
    if payment.provider == Provider.MANUAL:
        _owe(db, payment, refund)
    else:
        db.info[_PENDING] = True
    return refund


def _owe(db: Session, payment: Payment, refund: Refund) -> None:
    """A manual refund becomes an admin to-do, and the payer hears that it is on its way (no commit)."""
    refund.status = RefundStatus.OWED
    payer = db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None:
        queue_email(db, payer.email, "payment_refund_owed", user=payer, payment=payment, refund=refund)


def admin_refund(db: Session, payment_id: int, amount_cents: int, reason: str, admin: User) -> Refund:
    """An admin refunds part or all of a payment; commits, then sends it."""
    with immediate(db):
        payment = db.get(Payment, payment_id, with_for_update=True)
        if payment is None or payment.status not in MONEY_RECEIVED:
            raise RefundRefused("Only a received payment can be refunded.")
        try:
            check_manual_refund(payment.amount_cents, payment.amount_cents - refundable_cents(db, payment),
                                amount_cents)
        except ValueError as exc:
            raise RefundRefused(str(exc)) from exc
        if not reason.strip():
            raise RefundRefused("Give a reason for the refund.")
        count = db.scalar(select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id))
        refund = request_refund(db, payment, amount_cents, reason=f"Admin: {reason.strip()}",
                                key=f"refund-admin-payment-{payment.id}-{count + 1}", by=admin)
        assert refund is not None
        db.commit()
    return send_refund(db, refund.id)


def send_refund(db: Session, refund_id: int) -> Refund:
    """Send one pending refund to the provider and record the result (commits)."""
    refund = db.get(Refund, refund_id)
    if refund is None or refund.status != RefundStatus.PENDING:
        return refund  # type: ignore[return-value]
    payment = refund.payment
    if payment.provider == Provider.MANUAL:  # a pending manual refund from before owed refunds
        with immediate(db):
            refund = db.get(Refund, refund_id, with_for_update=True, populate_existing=True)
            if refund.status == RefundStatus.PENDING:
                _owe(db, refund.payment, refund)
            db.commit()
        return refund
    provider_id: str | None = None
    if payment.provider == Provider.STRIPE:
        db.commit()  # hold no lock across the network call
        try:
            result = _gateway().refund(  # type: ignore[union-attr]
                payment_intent=payment.payment_intent_id or "", amount_cents=refund.amount_cents,
                idempotency_key=refund.idempotency_key,
                metadata={"tandem_refund_id": str(refund.id), "tandem_payment_id": str(payment.id)})
            provider_id = result.id
        except gw.GatewayUnavailable as exc:
            return _note_failure(db, refund.id, str(exc), final=False)
        except gw.GatewayError as exc:
            return _note_failure(db, refund.id, str(exc), final=True)
    with immediate(db):
        refund = db.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        if refund.status == RefundStatus.PENDING:
            payment = db.get(Payment, refund.payment_id, with_for_update=True, populate_existing=True)
            refund.status = RefundStatus.SUCCEEDED
            refund.provider_refund_id = provider_id
            refund.completed_at = clock.now()
            refund.attempts += 1
            payment.refunded_cents = min(payment.amount_cents, payment.refunded_cents + refund.amount_cents)
            payment.status = status_after_refund(payment.amount_cents, payment.refunded_cents)
            _tell_payer(db, payment, refund)
        db.commit()
    return refund


def _note_failure(db: Session, refund_id: int, error: str, *, final: bool) -> Refund:
    with immediate(db):
        refund = db.get(Refund, refund_id, populate_existing=True)
        if refund.status == RefundStatus.PENDING:
            refund.attempts += 1
            refund.last_error = error[:500]
            if final:
                refund.status = RefundStatus.FAILED
        db.commit()
    log.warning("refund %s not sent (%s): %s", refund_id, "failed" if final else "will retry", error)
    return refund


def send_pending_refunds(db: Session, limit: int = 50) -> int:
    """Send every pending refund (the periodic retry); returns how many succeeded."""
    ids = db.scalars(select(Refund.id).where(Refund.status == RefundStatus.PENDING)
                     .order_by(Refund.id).limit(limit)).all()
    db.commit()
    return sum(1 for rid in ids if send_refund(db, rid).status == RefundStatus.SUCCEEDED)


def owed_refunds(db: Session) -> list[Refund]:
    """Manual refunds an admin still has to send, oldest first."""
    return list(db.scalars(select(Refund).where(Refund.status == RefundStatus.OWED)
                           .order_by(Refund.created_at, Refund.id)))


def owed_count(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(Refund).where(Refund.status == RefundStatus.OWED)) or 0)


def record_manual_refund(db: Session, refund_id: int, *, method: str, reference: str, sent_on: date,
                         admin: User, now: datetime) -> Refund:
    """An admin says how an owed refund was sent: it is done, the payment shows the money back,
    and the payer is told (commits). Raises ``RefundRefused`` unless the refund is owed, or
    for a date in the future (a day of slack: the admin's today may be tomorrow in UTC)."""
    if sent_on > (now + timedelta(days=1)).date():
        raise RefundRefused("The date it was sent cannot be in the future.")
    with immediate(db):
        refund = db.get(Refund, refund_id, with_for_update=True, populate_existing=True)
        if refund is None or refund.status != RefundStatus.OWED:
            raise RefundRefused("Only a refund that is owed can be recorded as sent.")
        payment = db.get(Payment, refund.payment_id, with_for_update=True, populate_existing=True)
        refund.status = RefundStatus.SUCCEEDED
        refund.manual_method, refund.manual_reference = method, reference.strip() or None
        refund.manual_sent_on, refund.recorded_by_id = sent_on, admin.id
        refund.completed_at = now
        payment.refunded_cents = min(payment.amount_cents, payment.refunded_cents + refund.amount_cents)
        payment.status = status_after_refund(payment.amount_cents, payment.refunded_cents)
        _tell_payer(db, payment, refund)
        db.commit()
    return refund


def _tell_payer(db: Session, payment: Payment, refund: Refund) -> None:
    payer = db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None and not payment.unplaced:
        queue_email(db, payer.email, "payment_refunded", user=payer, payment=payment, refund=refund)


def _gateway() -> gw.Gateway:
    from coaching.payments.services import gateway

    return gateway()


@event.listens_for(Session, "after_commit")
def _send_after_commit(db: Session) -> None:
    if db.info.pop(_PENDING, False):
        from coaching.payments.tasks import send_refunds

        send_refunds()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(db: Session) -> None:
    db.info.pop(_PENDING, None)


