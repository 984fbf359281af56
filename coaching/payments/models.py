"""Payments, refunds, Stripe events, packages, credits and the refund-policy settings."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.db import Base, str_enum, utcnow
from coaching.payments.states import PaymentStatus


class Provider(enum.StrEnum):
    MANUAL = "manual"
    STRIPE = "stripe"


class Purpose(enum.StrEnum):
    BOOKING = "booking"
    PACKAGE = "package"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"      # written; the gateway call happens after commit (retried)
    OWED = "owed"            # manual provider: an admin must send the money and record how
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Payment(Base):
    """Money owed or received for one booking (chain) or one package purchase."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
        CheckConstraint("refunded_cents >= 0 AND refunded_cents <= amount_cents", name="refund_in_range"),
        Index("ix_payments_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose, 24), default=Purpose.BOOKING)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    purchase_id: Mapped[int | None] = mapped_column(
        ForeignKey("package_purchases.id", ondelete="SET NULL"), index=True)
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="SET NULL"), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach_profiles.id", ondelete="SET NULL"), index=True)
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, 24))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, 24))
    amount_cents: Mapped[int]
    refunded_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(200), default="")
    # Stripe's ids; the session id is unique so a replayed creation cannot make two rows.
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    checkout_url: Mapped[str | None] = mapped_column(String(2000))
    checkout_expires_at: Mapped[datetime | None]
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Manual provider: how the admin says it was paid.
    manual_method: Mapped[str | None] = mapped_column(String(40))
    manual_reference: Mapped[str | None] = mapped_column(String(120))
    manual_paid_on: Mapped[datetime | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    # Set when the money arrived for a hold that was no longer there (refunded automatically).
    unplaced: Mapped[bool] = mapped_column(default=False)
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    refunds: Mapped[list["Refund"]] = relationship(back_populates="payment", order_by="Refund.id")

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.refunded_cents


class Refund(Base):
    """Money going back; ``idempotency_key`` is what the gateway sees, so it happens once."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_positive"),
                      Index("ix_refunds_status_created", "status", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[RefundStatus] = mapped_column(str_enum(RefundStatus, 24), default=RefundStatus.PENDING)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    provider_refund_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # Manual provider: how the admin says the money was sent back (an owed refund until then).
    manual_method: Mapped[str | None] = mapped_column(String(40))
    manual_reference: Mapped[str | None] = mapped_column(String(120))
    manual_sent_on: Mapped[date | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    payment: Mapped[Payment] = relationship(back_populates="refunds")


class StripeEvent(Base):
    """A Stripe event applied; the primary key makes a second application impossible."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id", ondelete="SET NULL"), index=True)
    object_id: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(200), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Package(Base):
    """An offer defined by admins: ``sessions`` sessions of one type at a discount."""

    __tablename__ = "packages"
    __table_args__ = (
        CheckConstraint("sessions >= 1", name="sessions_positive"),
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_range"),
        CheckConstraint("valid_months >= 1", name="valid_months_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    session_type_id: Mapped[int] = mapped_column(ForeignKey("session_types.id"))
    sessions: Mapped[int]
    discount_percent: Mapped[int] = mapped_column(default=0)
    valid_months: Mapped[int] = mapped_column(default=6)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    session_type: Mapped[Any] = relationship("SessionType", lazy="selectin")


class PurchaseStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    VOID = "void"


class PackagePurchase(Base):
    """A couple's purchase of a package; its credits are granted when it is paid."""

    __tablename__ = "package_purchases"

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    buyer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    session_type_id: Mapped[int] = mapped_column(ForeignKey("session_types.id"))
    sessions: Mapped[int]
    price_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PurchaseStatus] = mapped_column(str_enum(PurchaseStatus, 24), default=PurchaseStatus.PENDING)
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    package: Mapped[Package] = relationship(lazy="selectin")


class CreditEntry(Base):
    """One line of a couple's credits ledger: +n granted, -1 used, +1 returned.

    ``key`` (e.g. ``grant:purchase:4``, ``use:booking:9``) is unique, so each grant, use and
    return happens once however often the event behind it is seen.
    """

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    purchase_id: Mapped[int] = mapped_column(ForeignKey("package_purchases.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    delta: Mapped[int]
    key: Mapped[str] = mapped_column(String(80), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaymentSettings(Base):
    """Admin settings of the payments feature: one row (id 1); config gives the defaults."""

    __tablename__ = "payment_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    cancel_refund_hours: Mapped[int]
    cancel_late_refund_percent: Mapped[int]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
