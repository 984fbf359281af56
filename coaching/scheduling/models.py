"""Practice-wide session types and each coach's working hours, date overrides and time off."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coaching.crypto import EncryptedText
from coaching.db import Base, str_enum, utcnow


class SessionKind(enum.StrEnum):
    JOINT = "joint"
    INDIVIDUAL = "individual"


class SessionType(Base):
    __tablename__ = "session_types"
    __table_args__ = (
        CheckConstraint("duration_min > 0", name="duration_positive"),
        CheckConstraint("price_cents >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    duration_min: Mapped[int]
    price_cents: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(String(3), default="usd")
    kind: Mapped[SessionKind] = mapped_column(
        str_enum(SessionKind),
        default=SessionKind.JOINT,
    )
    buffer_before_min: Mapped[int] = mapped_column(default=0)
    buffer_after_min: Mapped[int] = mapped_column(default=0)
    min_notice_hours: Mapped[int] = mapped_column(default=12)
    horizon_days: Mapped[int] = mapped_column(default=60)
    slot_interval_min: Mapped[int] = mapped_column(default=30)
    daily_max: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_free(self) -> bool:
        return self.price_cents == 0


class AvailabilityRule(Base):
    """A weekly working range, in the coach's local time (weekday 0 = Monday)."""

    __tablename__ = "availability_rules"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_time < end_time", name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coach_profiles.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_time: Mapped[time]
    end_time: Mapped[time]


class DateOverride(Base):
    """Different hours on one local date; no times means closed that day."""

    __tablename__ = "date_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coach_profiles.id", ondelete="CASCADE"), index=True
    )
    on_date: Mapped[date]
    start_time: Mapped[time | None]
    end_time: Mapped[time | None]


class TimeOff(Base):
    """Whole local dates off, inclusive at both ends."""

    __tablename__ = "time_off"
    __table_args__ = (
        CheckConstraint("start_date <= end_date", name="start_not_after_end"),
        UniqueConstraint("coach_id", "start_date", "end_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("coach_profiles.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200), default="")


class BookingStatus(enum.StrEnum):
    HELD = "held"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Statuses that occupy the coach's time: PostgreSQL's exclusion constraint and SQLite's
# trigger (migration 0002) refuse two overlapping rows in these statuses for one coach.
BLOCKING_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)


class Booking(Base):
    """A hold or booking of one session with one coach, ``[starts_at, ends_at)`` in UTC.

    A reschedule is a new row whose ``replaces_id`` points at the old one; the payment
    stays with the booking chain. ``couple_id`` is null only for blocks the coach made.
    """

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        Index("ix_bookings_coach_window", "coach_id", "starts_at", "ends_at"),
        Index("ix_bookings_status_expiry", "status", "hold_expires_at"),
        # The slot engine's window query (ends after the window opens): reads no past history.
        Index("ix_bookings_coach_end", "coach_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id", ondelete="CASCADE"))
    session_type_id: Mapped[int | None] = mapped_column(ForeignKey("session_types.id"))
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL"), index=True
    )
    booked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus),
        default=BookingStatus.HELD,
    )
    hold_expires_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # Free text a person wrote (or "rescheduled"): encrypted at rest like other free text.
    cancel_reason: Mapped[str | None] = mapped_column(EncryptedText())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    video_url: Mapped[str | None] = mapped_column(String(300))
    # iCalendar: the UID stays for the whole reschedule chain; SEQUENCE grows with each change.
    ical_uid: Mapped[str] = mapped_column(String(100), unique=True)
    ical_sequence: Mapped[int] = mapped_column(default=0)
    # Bumped on every change (by the mapper): single-use links carry the version they were made for.
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Optimistic concurrency: every UPDATE checks and bumps ``version``, so two
    # transactions changing one booking at once cannot both win (StaleDataError).
    __mapper_args__ = {"version_id_col": version}
