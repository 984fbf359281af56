"""Practice-wide session types and each coach's working hours, date overrides and time off."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Enum, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, utcnow


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
        Enum(SessionKind, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
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
