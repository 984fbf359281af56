"""The payment state machine: which status may follow which, as a small table.

A payment starts ``pending`` (Stripe Checkout open) or ``invoiced`` (manual provider: the
booking is confirmed and the invoice is due). Money received makes it ``paid``; refunds
make it ``partially_refunded`` or ``refunded``. ``expired``, ``void`` and ``failed`` may
still become ``paid``: webhooks can arrive out of order, and money that did arrive must be
recorded (and then refunded) rather than ignored.
"""

from __future__ import annotations

import enum

__pure__ = True


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"          # Checkout session open, nothing received yet
    PROCESSING = "processing"    # Checkout completed with a delayed payment method
    INVOICED = "invoiced"        # manual provider: invoice due
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"          # the Checkout session expired unpaid
    VOID = "void"                # cancelled before any money arrived


class InvalidTransition(Exception):
    """The payment cannot move from its status to the one asked for."""


_LATE_MONEY = {PaymentStatus.PAID}
ALLOWED: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    PaymentStatus.PENDING: frozenset({PaymentStatus.PROCESSING, PaymentStatus.PAID, PaymentStatus.FAILED,
                                      PaymentStatus.EXPIRED, PaymentStatus.VOID}),
    PaymentStatus.PROCESSING: frozenset({PaymentStatus.PAID, PaymentStatus.FAILED}),
    PaymentStatus.INVOICED: frozenset({PaymentStatus.PAID, PaymentStatus.VOID}),
    PaymentStatus.PAID: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.PARTIALLY_REFUNDED: frozenset({PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}),
    PaymentStatus.REFUNDED: frozenset(),
    PaymentStatus.FAILED: frozenset(_LATE_MONEY),
    PaymentStatus.EXPIRED: frozenset(_LATE_MONEY),
    PaymentStatus.VOID: frozenset(_LATE_MONEY),
}

#: Statuses in which money has been received (and possibly partly returned).
MONEY_RECEIVED = frozenset({PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED})
#: Statuses in which the Checkout session may still be paid.
OPEN = frozenset({PaymentStatus.PENDING, PaymentStatus.PROCESSING})


def can_move(current: PaymentStatus, target: PaymentStatus) -> bool:
    """True when ``current -> target`` is an allowed transition."""
    return target in ALLOWED[current]


def move(current: PaymentStatus, target: PaymentStatus) -> PaymentStatus:
    """Return ``target`` if the transition is allowed; raise ``InvalidTransition`` otherwise."""
    if not can_move(current, target):
        raise InvalidTransition(f"a {current.value} payment cannot become {target.value}")
    return target


def status_after_refund(amount_cents: int, refunded_cents: int) -> PaymentStatus:
    """The status of a received payment of ``amount_cents`` of which ``refunded_cents`` went back."""
    if refunded_cents < 0 or refunded_cents > amount_cents:
        raise ValueError("refunded amount out of range")
    if refunded_cents == 0:
        return PaymentStatus.PAID
    return PaymentStatus.REFUNDED if refunded_cents == amount_cents else PaymentStatus.PARTIALLY_REFUNDED
