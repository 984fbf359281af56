"""Applying verified Stripe events, each at most once (this service commits).

The event's id is inserted under a primary key in the same transaction as its effect: a
replay, or a copy racing this one, fails that insert and changes nothing. Effects depend on
the stored state rather than on arrival order, so out-of-order events end the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.db import immediate
from coaching.notify.outbox import queue_email
from coaching.payments import credits, refunds
from coaching.payments.models import (PackagePurchase, Payment, Provider, Purpose, PurchaseStatus, Refund,
                                      RefundStatus, StripeEvent)
from coaching.payments.pricing import valid_until
from coaching.payments.services import external, mark_paid, send_receipt
from coaching.payments.states import MONEY_RECEIVED, PaymentStatus, can_move, status_after_refund
from coaching.scheduling.models import Booking, BookingStatus, SessionType

log = logging.getLogger("tandem.payments")

Outcome = tuple[str, Payment | None]


def apply_event(db: Session, event: dict[str, Any], now: datetime) -> str:
    """Apply one verified event once; returns what happened ("duplicate" for a replay)."""
    handler = HANDLERS.get(str(event["type"]))
    obj = (event.get("data") or {}).get("object") or {}
    try:
        with immediate(db):
            if db.get(StripeEvent, event["id"]) is not None:
                db.rollback()
                return "duplicate"
            record = StripeEvent(id=event["id"], type=str(event["type"])[:80], object_id=_str(obj.get("id")))
            db.add(record)
            db.flush()  # a concurrent copy of this event waits here, then fails on the key
            outcome, payment = handler(db, obj, now) if handler else ("ignored", None)
            record.outcome = outcome[:200]
            record.payment_id = payment.id if payment is not None else None
            db.commit()
            return outcome
    except IntegrityError:
        db.rollback()
        return "duplicate"


def _str(value: Any) -> str | None:
    return None if value is None else str(value)[:255]


# --- checkout sessions -----------------------------------------------------------------------


def _payment_for_session(db: Session, session: dict[str, Any]) -> Payment | None:
    """Our payment row for a Checkout session; adopted from its metadata if the row is missing
    (the session was created but the request that asked for it failed before saving it)."""
    payment = db.scalar(select(Payment).where(Payment.checkout_session_id == session["id"])
                        .with_for_update())
    if payment is not None:
        return payment
    meta = session.get("metadata") or {}
    payment = Payment(provider=Provider.STRIPE, status=PaymentStatus.PENDING,
                      amount_cents=int(session.get("amount_total") or 0),
                      currency=str(session.get("currency") or "usd"), checkout_session_id=session["id"])
    if meta.get("kind") == Purpose.BOOKING.value and str(meta.get("booking_id", "")).isdigit():
        booking = db.get(Booking, int(meta["booking_id"]))
        if booking is None:
            return None
        session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
        payment.purpose, payment.booking_id = Purpose.BOOKING, booking.id
        payment.couple_id, payment.coach_id = booking.couple_id, booking.coach_id
        payment.payer_id = booking.booked_by_id
        payment.description = session_type.name if session_type else "Session"
    elif meta.get("kind") == Purpose.PACKAGE.value and str(meta.get("purchase_id", "")).isdigit():
        purchase = db.get(PackagePurchase, int(meta["purchase_id"]))
        if purchase is None:
            return None
        payment.purpose, payment.purchase_id = Purpose.PACKAGE, purchase.id
        payment.couple_id, payment.payer_id = purchase.couple_id, purchase.buyer_id
        payment.description = purchase.package.name
    else:
        return None
    db.add(payment)
    db.flush()
    return payment


def session_completed(db: Session, session: dict[str, Any], now: datetime) -> Outcome:
    payment = _payment_for_session(db, session)
    if payment is None:
        return "unknown session", None
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        if payment.status == PaymentStatus.PENDING or payment.status == PaymentStatus.EXPIRED:
            payment.status = PaymentStatus.PROCESSING
            payment.payment_intent_id = _str(session.get("payment_intent"))
        return "awaiting delayed payment", payment
    return _money_received(db, payment, session, now)


def async_succeeded(db: Session, session: dict[str, Any], now: datetime) -> Outcome:
    payment = _payment_for_session(db, session)
    if payment is None:
        return "unknown session", None
    return _money_received(db, payment, session, now)


def _money_received(db: Session, payment: Payment, session: dict[str, Any], now: datetime) -> Outcome:
    if payment.status in MONEY_RECEIVED:
        return "already paid", payment
    payment.payment_intent_id = _str(session.get("payment_intent")) or payment.payment_intent_id
    if isinstance(session.get("amount_total"), int):
        payment.amount_cents = session["amount_total"]  # what was actually charged
    mark_paid(db, payment, now)
    if payment.purpose == Purpose.PACKAGE:
        return _package_paid(db, payment, now), payment
    return _place_booking(db, payment, now), payment


def _place_booking(db: Session, payment: Payment, now: datetime) -> str:
    from coaching.scheduling.services import HoldExpired, HoldNotActive, confirm_hold

    booking = db.get(Booking, payment.booking_id, with_for_update=True) if payment.booking_id else None
    if booking is not None and booking.status == BookingStatus.HELD:
        try:
            confirm_hold(db, booking, now)
        except (HoldExpired, HoldNotActive):
            pass
        else:
            send_receipt(db, payment)
            return "booking confirmed"
    # The hold expired, was released or lost its slot (or the booking is already paid for).
    payment.unplaced = True
    refunds.request_refund(db, payment, payment.amount_cents, key=f"refund-unplaced-payment-{payment.id}",
                           reason="Paid after the hold had ended; no booking was made")
    payer = db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None:
        queue_email(db, payer.email, "payment_unplaced", user=payer, payment=payment,
                    times_link=_times_link(booking))
    return "hold gone: refunded"


def _times_link(booking: Booking | None) -> str:
    """Where the couple can choose another time (the scheduling page, if it has one)."""
    from flask import current_app

    for endpoint, values in (("scheduling.choose", {}), ("public.client_home", {})):
        try:
            return external(endpoint, **values)
        except Exception:  # noqa: BLE001 - an endpoint that does not exist (yet): try the next one
            continue
    return current_app.config["TANDEM_BASE_URL"] + "/home"


def _package_paid(db: Session, payment: Payment, now: datetime) -> str:
    purchase = db.get(PackagePurchase, payment.purchase_id, with_for_update=True) if payment.purchase_id else None
    if purchase is None:
        return "purchase missing"
    if purchase.status != PurchaseStatus.PAID:
        purchase.status = PurchaseStatus.PAID
        purchase.valid_until = valid_until(now, purchase.package.valid_months)
    credits.grant(db, purchase)
    send_receipt(db, payment)
    return "credits granted"


def async_failed(db: Session, session: dict[str, Any], now: datetime) -> Outcome:
    from coaching.scheduling.services import release_hold

    payment = _payment_for_session(db, session)
    if payment is None:
        return "unknown session", None
    if not can_move(payment.status, PaymentStatus.FAILED):
        return f"ignored ({payment.status.value})", payment
    payment.status = PaymentStatus.FAILED
    booking = db.get(Booking, payment.booking_id, with_for_update=True) if payment.booking_id else None
    if booking is not None and booking.status == BookingStatus.HELD:
        release_hold(db, booking, now)
    payer = db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None:
        queue_email(db, payer.email, "payment_failed", user=payer, payment=payment,
                    times_link=_times_link(booking))
    return "payment failed", payment


def session_expired(db: Session, session: dict[str, Any], now: datetime) -> Outcome:
    # The hold is left to time out by itself (it ends with the session, plus a grace), so a
    # completion delivered after this event still finds its hold.
    payment = db.scalar(select(Payment).where(Payment.checkout_session_id == session["id"]).with_for_update())
    if payment is None:
        return "unknown session", None
    if payment.status == PaymentStatus.PENDING:
        payment.status = PaymentStatus.EXPIRED
        return "session expired", payment
    return f"ignored ({payment.status.value})", payment


# --- refunds ---------------------------------------------------------------------------------


def charge_refunded(db: Session, charge: dict[str, Any], now: datetime) -> Outcome:
    """Reconcile refunds (ours, or made in Stripe's dashboard) with the charge's total."""
    intent = _str(charge.get("payment_intent"))
    payment = db.scalar(select(Payment).where(Payment.payment_intent_id == intent).with_for_update()) \
        if intent else None
    if payment is None or payment.status not in MONEY_RECEIVED:
        return "unknown charge", None
    listed = (charge.get("refunds") or {}).get("data") or []
    for item in listed:
        _reconcile_refund(db, payment, item, now)
    total = min(payment.amount_cents, int(charge.get("amount_refunded") or 0))
    if total > payment.refunded_cents:
        payment.refunded_cents = total
        payment.status = status_after_refund(payment.amount_cents, total)
    return "refunds reconciled", payment


def _reconcile_refund(db: Session, payment: Payment, item: dict[str, Any], now: datetime) -> None:
    if db.scalar(select(Refund.id).where(Refund.provider_refund_id == item.get("id"))):
        return
    ours = (item.get("metadata") or {}).get("tandem_refund_id")
    refund = db.get(Refund, int(ours)) if str(ours or "").isdigit() else None
    if refund is not None and refund.payment_id == payment.id:
        if refund.status == RefundStatus.PENDING:
            refund.status, refund.provider_refund_id, refund.completed_at = RefundStatus.SUCCEEDED, item["id"], now
            payment.refunded_cents = min(payment.amount_cents, payment.refunded_cents + refund.amount_cents)
        return
    amount = int(item.get("amount") or 0)
    if amount > 0:
        db.add(Refund(payment_id=payment.id, amount_cents=amount, reason="Refunded in Stripe",
                      status=RefundStatus.SUCCEEDED, idempotency_key=f"stripe-{item['id']}"[:120],
                      provider_refund_id=item["id"], completed_at=now))
        payment.refunded_cents = min(payment.amount_cents, payment.refunded_cents + amount)
    payment.status = status_after_refund(payment.amount_cents, payment.refunded_cents)


HANDLERS: dict[str, Callable[[Session, dict[str, Any], datetime], Outcome]] = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": async_succeeded,
    "checkout.session.async_payment_failed": async_failed,
    "checkout.session.expired": session_expired,
    "charge.refunded": charge_refunded,
}
