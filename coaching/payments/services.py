"""Paying for a hold: a package credit, a manual invoice, or Stripe Checkout (services commit).

``start_checkout`` picks, in this order: a credit of the couple that covers the session
type; the manual provider (the booking is confirmed now, an invoice is due); Stripe
Checkout (a session whose expiry the hold is lengthened to match).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.db import immediate
from coaching.notify.outbox import queue_email
from coaching.payments import credits
from coaching.payments import gateway as gw
from coaching.payments.models import Payment, PaymentSettings, Provider, Purpose
from coaching.payments.policy import RefundPolicy
from coaching.payments.pricing import receipt_number
from coaching.payments.states import OPEN, PaymentStatus
from coaching.scheduling.models import Booking, BookingStatus, SessionType

log = logging.getLogger("tandem.payments")

#: The hold outlives its Checkout session by this much, so that a payment made in the
#: session's last second is still confirmed when its webhook arrives a little later.
HOLD_GRACE = timedelta(minutes=2)


class PaymentError(Exception):
    """The payment cannot go ahead; the message is safe to show the client."""


class HoldGone(PaymentError):
    """The hold expired, was released or lost its slot."""


@dataclass(frozen=True)
class CheckoutOutcome:
    kind: str              # "credit" | "invoice" | "redirect" | "confirmed"
    url: str | None = None


# --- configuration ---------------------------------------------------------------------------


def gateway() -> gw.Gateway:
    """The app's configured provider (built once per app)."""
    cached = current_app.extensions.get("tandem_payment_gateway")
    if cached is None:
        cached = gw.gateway_for(current_app.config)
        current_app.extensions["tandem_payment_gateway"] = cached
    return cached


def refund_policy(db: Session) -> RefundPolicy:
    """The admin's cancellation policy, or the configured defaults."""
    row = db.get(PaymentSettings, 1)
    if row is None:
        return RefundPolicy(int(current_app.config["CANCEL_REFUND_HOURS"]),
                            int(current_app.config["CANCEL_LATE_REFUND_PERCENT"]))
    return RefundPolicy(row.cancel_refund_hours, row.cancel_late_refund_percent)


def save_refund_policy(db: Session, policy: RefundPolicy, admin: User) -> None:
    with immediate(db):
        row = db.get(PaymentSettings, 1)
        if row is None:
            row = PaymentSettings(id=1, cancel_refund_hours=0, cancel_late_refund_percent=0)
            db.add(row)
        row.cancel_refund_hours = policy.refund_hours
        row.cancel_late_refund_percent = policy.late_percent
        row.updated_by_id = admin.id
        db.commit()


def external(endpoint: str, **values: object) -> str:
    """An absolute URL on ``TANDEM_BASE_URL``; works in requests, tasks and the CLI alike."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["TANDEM_BASE_URL"] + path


# --- paying for a hold -----------------------------------------------------------------------


def payment_for_booking(db: Session, booking_id: int) -> Payment | None:
    """The booking's latest payment (after a reschedule, the one moved to it)."""
    return db.scalar(select(Payment).where(Payment.booking_id == booking_id).order_by(Payment.id.desc()))


def start_checkout(db: Session, booking: Booking, user: User, now: datetime) -> CheckoutOutcome:
    """Pay for ``booking`` (a hold of ``user``'s couple); raises ``PaymentError``/``HoldGone``."""
    from coaching.scheduling.services import HoldExpired, HoldNotActive, confirm_hold

    if booking.status == BookingStatus.CONFIRMED:
        return CheckoutOutcome("confirmed")
    _check_hold(booking, now)
    session_type = db.get(SessionType, booking.session_type_id)
    if session_type is None or session_type.is_free:
        raise PaymentError("This session does not need a payment.")
    try:
        with immediate(db):
            booking = db.get(Booking, booking.id, with_for_update=True, populate_existing=True)
            purchase = credits.covering_purchase(db, booking.couple_id, session_type.id,
                                                 starts_at=booking.starts_at, now=now, lock=True)
            if purchase is not None:
                credits.use(db, purchase, booking.id)
                confirm_hold(db, booking, now)
                db.commit()
                return CheckoutOutcome("credit")
            if gateway().name == gw.MANUAL:
                payment = _new_payment(booking, session_type, user, Provider.MANUAL, PaymentStatus.INVOICED)
                db.add(payment)
                confirm_hold(db, booking, now)
                db.flush()
                queue_email(db, user.email, "payment_invoice", user=user, payment=payment, booking=booking,
                            **invoice_terms(now))
                db.commit()
                return CheckoutOutcome("invoice")
    except (HoldExpired, HoldNotActive) as exc:
        raise HoldGone("Your hold on this time has ended. Please choose a time again.") from exc
    return _stripe_checkout(db, booking, session_type, user, now)


def invoice_terms(now: datetime) -> dict[str, object]:
    """The practice's payment instructions and the due date, for a manual invoice issued ``now``."""
    return {"instructions": current_app.config.get("INVOICE_PAYMENT_INSTRUCTIONS", ""),
            "due_on": now + timedelta(days=int(current_app.config.get("INVOICE_DUE_DAYS", 14)))}


def _check_hold(booking: Booking, now: datetime) -> None:
    if booking.status != BookingStatus.HELD or (booking.hold_expires_at and booking.hold_expires_at <= now):
        raise HoldGone("Your hold on this time has ended. Please choose a time again.")


def _new_payment(booking: Booking, session_type: SessionType, user: User, provider: Provider,
                 status: PaymentStatus) -> Payment:
    return Payment(purpose=Purpose.BOOKING, booking_id=booking.id, couple_id=booking.couple_id,
                   coach_id=booking.coach_id, payer_id=user.id, provider=provider, status=status,
                   amount_cents=session_type.price_cents, currency=session_type.currency.lower(),
                   description=session_type.name)


def _stripe_checkout(db: Session, booking: Booking, session_type: SessionType, user: User,
                     now: datetime) -> CheckoutOutcome:
    open_payment = db.scalar(select(Payment).where(
        Payment.booking_id == booking.id, Payment.provider == Provider.STRIPE,
        Payment.status.in_(OPEN), Payment.checkout_expires_at > now))
    if open_payment is not None and open_payment.checkout_url:
        return CheckoutOutcome("redirect", open_payment.checkout_url)
    db.commit()  # no transaction (or lock) is held across the network call
    minutes = int(current_app.config["STRIPE_CHECKOUT_MINUTES"])
    expires_at = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    gate = gateway()
    assert isinstance(gate, gw.StripeGateway)
    metadata = {"kind": Purpose.BOOKING.value, "booking_id": str(booking.id)}
    # Keyed on the hold and the expiry minute: a double submit or an SDK retry reuses one
    # session; a retry after a stored failure (Stripe replays errors per key) gets a new one.
    session = gate.create_checkout(
        amount_cents=session_type.price_cents, currency=session_type.currency,
        product_name=session_type.name, reference=f"booking-{booking.id}", metadata=metadata,
        customer_email=user.email,
        success_url=external("payments.done", booking_id=booking.id) + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=external("payments.checkout", booking_id=booking.id, cancelled=1),
        expires_at=expires_at, idempotency_key=f"tandem-checkout-booking-{booking.id}-{int(expires_at.timestamp())}")
    try:
        with immediate(db):
            booking = db.get(Booking, booking.id, with_for_update=True, populate_existing=True)
            _check_hold(booking, now)
            session_ends = session.expires_at or expires_at
            booking.hold_expires_at = max(booking.hold_expires_at or now, session_ends + HOLD_GRACE)
            payment = _new_payment(booking, session_type, user, Provider.STRIPE, PaymentStatus.PENDING)
            payment.checkout_session_id = session.id
            payment.checkout_url = session.url
            payment.checkout_expires_at = session_ends
            db.add(payment)
            db.commit()
    except IntegrityError:
        db.rollback()  # a concurrent request stored this very session first
    except HoldGone:
        from coaching.payments.tasks import expire_checkout_sessions

        expire_checkout_sessions([session.id])
        raise
    return CheckoutOutcome("redirect", session.url)


def checkout_status(db: Session, booking: Booking) -> str:
    """What the success page can say: confirmed | confirming | refunded | failed | expired."""
    payment = payment_for_booking(db, booking.id)
    if booking.status in (BookingStatus.CONFIRMED, BookingStatus.COMPLETED):
        return "confirmed"
    if payment is not None and payment.unplaced:
        return "refunded"
    if payment is not None and payment.status == PaymentStatus.FAILED:
        return "failed"
    if booking.status == BookingStatus.HELD:
        return "confirming"
    return "expired"


# --- receipts --------------------------------------------------------------------------------


def mark_paid(db: Session, payment: Payment, now: datetime) -> None:
    """Record money received: status, time and a unique receipt number (no commit)."""
    from coaching.payments.states import move

    payment.status = move(payment.status, PaymentStatus.PAID)
    payment.paid_at = now
    if payment.receipt_number is None:
        db.flush()
        payment.receipt_number = receipt_number(now.year, payment.id)


def send_receipt(db: Session, payment: Payment) -> None:
    payer = db.get(User, payment.payer_id) if payment.payer_id else None
    if payer is not None:
        queue_email(db, payer.email, "receipt", user=payer, payment=payment)


SHOWN_TO_CLIENT = (PaymentStatus.INVOICED, PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED,
                   PaymentStatus.REFUNDED)


def payments_seen_by(db: Session, couple_ids: Sequence[int], viewer_id: int, limit: int = 20) -> list[Payment]:
    """The invoices and receipts of the couples ``couple_ids`` (every couple the partner sat in)
    that the partner ``viewer_id`` may see, newest first: those
    for joint sessions, for their own individual sessions (``visible_booking``'s rule), and what
    they paid themselves without a booking (packages)."""
    from sqlalchemy import and_, or_

    from coaching.scheduling.models import SessionKind

    return list(db.scalars(
        select(Payment).outerjoin(Booking, Booking.id == Payment.booking_id)
        .outerjoin(SessionType, SessionType.id == Booking.session_type_id).where(
            Payment.couple_id.in_(couple_ids), Payment.status.in_(SHOWN_TO_CLIENT),
            or_(and_(Payment.booking_id.is_(None), Payment.payer_id == viewer_id),
                and_(Payment.booking_id.is_not(None),
                     or_(SessionType.kind.is_(None), SessionType.kind != SessionKind.INDIVIDUAL,
                         Booking.booked_by_id == viewer_id))))
        .order_by(Payment.created_at.desc(), Payment.id.desc()).limit(limit)))


@dataclass(frozen=True)
class CancellationPreview:
    """What cancelling a booking now would do, by the same rules as ``receivers.on_booking_cancelled``."""

    refund_cents: int = 0          # money that would come back
    currency: str = "usd"
    credit_back: bool = False      # the package credit would be returned
    credit_kept: bool = False      # a package credit was used and would not come back (late)
    invoice_voided: bool = False   # an unpaid invoice would be cancelled
    invoice_due_cents: int = 0     # an unpaid invoice would stay due for this much (late)
    late: bool = False             # after the full-refund cutoff
    cutoff: datetime | None = None

    @property
    def nothing(self) -> bool:
        return not (self.refund_cents or self.credit_back or self.credit_kept or self.invoice_voided
                    or self.invoice_due_cents)


def cancellation_preview(db: Session, booking: Booking, now: datetime) -> CancellationPreview:
    """What a client's cancellation of ``booking`` at ``now`` would refund or return (nothing is stored)."""
    from coaching.payments.policy import cancellation_refund
    from coaching.payments.states import MONEY_RECEIVED

    policy = refund_policy(db)
    full = policy.within_full_refund(booking.starts_at, now)
    used = credits.credit_used_for(db, booking.id) is not None
    refund, due, voided, currency = 0, 0, False, "usd"
    for payment in db.scalars(select(Payment).where(Payment.booking_id == booking.id)).all():
        currency = payment.currency
        if payment.status == PaymentStatus.INVOICED:
            if full:
                voided = True
            else:
                due += payment.amount_cents - cancellation_refund(
                    payment.amount_cents, 0, starts_at=booking.starts_at, cancelled_at=now, policy=policy)
        elif payment.status in MONEY_RECEIVED:
            refund += cancellation_refund(payment.amount_cents, payment.refunded_cents, starts_at=booking.starts_at,
                                          cancelled_at=now, policy=policy)
    return CancellationPreview(refund_cents=refund, currency=currency, credit_back=used and full,
                               credit_kept=used and not full, invoice_voided=voided, invoice_due_cents=due,
                               late=not full, cutoff=policy.cutoff(booking.starts_at))
