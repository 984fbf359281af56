"""What admins see and do with payments: the filtered list, totals, CSV, chart data, the
ledger per couple and booking, and recording a manual payment (services commit)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.db import immediate
from coaching.payments import credits
from coaching.payments.chart import month_labels
from coaching.payments.models import (CreditEntry, PackagePurchase, Payment, Provider, Purpose, PurchaseStatus,
                                      Refund, StripeEvent)
from coaching.payments.pricing import valid_until
from coaching.payments.services import PaymentError, mark_paid, send_receipt
from coaching.payments.states import MONEY_RECEIVED, PaymentStatus


@dataclass(frozen=True)
class PaymentFilter:
    status: str | None = None
    coach_id: int | None = None
    provider: str | None = None
    date_from: date | None = None   # UTC dates of creation, inclusive
    date_to: date | None = None
    couple_id: int | None = None
    booking_id: int | None = None


def _query(f: PaymentFilter) -> Select[tuple[Payment]]:
    q = select(Payment).order_by(Payment.created_at.desc(), Payment.id.desc())
    if f.status:
        q = q.where(Payment.status == PaymentStatus(f.status))
    if f.provider:
        q = q.where(Payment.provider == Provider(f.provider))
    if f.coach_id:
        q = q.where(Payment.coach_id == f.coach_id)
    if f.couple_id:
        q = q.where(Payment.couple_id == f.couple_id)
    if f.booking_id:
        q = q.where(Payment.booking_id == f.booking_id)
    if f.date_from:
        q = q.where(Payment.created_at >= datetime.combine(f.date_from, time(), tzinfo=_utc()))
    if f.date_to:
        q = q.where(Payment.created_at < datetime.combine(f.date_to + timedelta(days=1), time(), tzinfo=_utc()))
    return q


def _utc() -> Any:
    from datetime import UTC

    return UTC


def find_payments(db: Session, f: PaymentFilter, limit: int = 500) -> list[Payment]:
    return list(db.scalars(_query(f).limit(limit)))


def totals(payments: list[Payment]) -> dict[str, dict[str, int]]:
    """Per currency: received, refunded, net, and invoices outstanding (integer cents)."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"received": 0, "refunded": 0, "net": 0,
                                                          "outstanding": 0, "count": 0})
    for p in payments:
        row = out[p.currency]
        row["count"] += 1
        if p.status in MONEY_RECEIVED:
            row["received"] += p.amount_cents
            row["refunded"] += p.refunded_cents
            row["net"] += p.amount_cents - p.refunded_cents
        elif p.status == PaymentStatus.INVOICED:
            row["outstanding"] += p.amount_cents
    return dict(out)


def revenue_by_month(db: Session, now: datetime, currency: str = "usd") -> list[tuple[str, int]]:
    """Net revenue (received less refunded) per month of payment, the last 12 months."""
    labels = month_labels(now.year, now.month)
    start = datetime.strptime(labels[0] + "-01", "%Y-%m-%d").replace(tzinfo=_utc())
    sums = dict.fromkeys(labels, 0)
    for p in db.scalars(select(Payment).where(Payment.status.in_(MONEY_RECEIVED), Payment.paid_at >= start,
                                              Payment.currency == currency)):
        key = p.paid_at.strftime("%Y-%m")
        if key in sums:
            sums[key] += p.amount_cents - p.refunded_cents
    return list(sums.items())


CSV_COLUMNS = ["id", "created_at", "paid_at", "status", "provider", "purpose", "description", "amount",
               "refunded", "currency", "couple_id", "booking_id", "coach_id", "receipt_number",
               "checkout_session_id", "payment_intent_id", "manual_method", "manual_reference"]


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet must not run a cell as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(payments: list[Payment]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for p in payments:
        writer.writerow([_cell(v) for v in (
            p.id, p.created_at.isoformat(), p.paid_at.isoformat() if p.paid_at else "", p.status.value,
            p.provider.value, p.purpose.value, p.description, f"{p.amount_cents / 100:.2f}",
            f"{p.refunded_cents / 100:.2f}", p.currency, p.couple_id, p.booking_id, p.coach_id,
            p.receipt_number, p.checkout_session_id, p.payment_intent_id, p.manual_method, p.manual_reference)])
    return buffer.getvalue()


def events_of(db: Session, payment_id: int) -> list[StripeEvent]:
    return list(db.scalars(select(StripeEvent).where(StripeEvent.payment_id == payment_id)
                           .order_by(StripeEvent.received_at, StripeEvent.id)))


@dataclass(frozen=True)
class LedgerLine:
    at: datetime
    kind: str
    description: str
    amount_cents: int | None
    currency: str | None
    booking_id: int | None
    payment_id: int | None


def couple_ledger(db: Session, couple_id: int) -> tuple[list[LedgerLine], list[tuple[PackagePurchase, int]]]:
    """Every payment, refund and credit movement of a couple, oldest first, and credits left."""
    lines: list[LedgerLine] = []
    for p in db.scalars(select(Payment).where(Payment.couple_id == couple_id)):
        lines.append(LedgerLine(p.paid_at or p.created_at, f"payment ({p.status.value})", p.description,
                                p.amount_cents, p.currency, p.booking_id, p.id))
        for r in p.refunds:
            lines.append(LedgerLine(r.completed_at or r.created_at, f"refund ({r.status.value})", r.reason,
                                    -r.amount_cents, p.currency, p.booking_id, p.id))
    for c in db.scalars(select(CreditEntry).where(CreditEntry.couple_id == couple_id)):
        lines.append(LedgerLine(c.created_at, f"credits {c.delta:+d}", c.note, None, None, c.booking_id, None))
    lines.sort(key=lambda line: line.at)
    left = [(purchase, credits.balance(db, purchase.id)) for purchase in db.scalars(
        select(PackagePurchase).where(PackagePurchase.couple_id == couple_id,
                                      PackagePurchase.status == PurchaseStatus.PAID))]
    return lines, left


def record_manual_payment(db: Session, payment_id: int, *, method: str, reference: str, paid_on: date,
                          admin: User, now: datetime) -> Payment:
    """An admin says an invoice was paid: the payment is marked paid, a receipt goes out, and a
    package purchase gets its credits. Raises ``PaymentError`` unless the invoice is due."""
    with immediate(db):
        payment = db.get(Payment, payment_id, with_for_update=True)
        if payment is None or payment.status != PaymentStatus.INVOICED:
            raise PaymentError("Only an invoice that is due can be marked paid.")
        payment.manual_method = method
        payment.manual_reference = reference.strip()
        payment.manual_paid_on = datetime.combine(paid_on, time(12), tzinfo=_utc())
        payment.recorded_by_id = admin.id
        mark_paid(db, payment, now)
        if payment.purpose == Purpose.PACKAGE and payment.purchase_id:
            purchase = db.get(PackagePurchase, payment.purchase_id)
            purchase.status = PurchaseStatus.PAID
            purchase.valid_until = valid_until(now, purchase.package.valid_months)
            credits.grant(db, purchase)
        send_receipt(db, payment)
        db.commit()
    return payment


def refunds_of(db: Session, payment_id: int) -> list[Refund]:
    return list(db.scalars(select(Refund).where(Refund.payment_id == payment_id).order_by(Refund.id)))
