"""Reminder rows and each person's email preferences."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, str_enum, utcnow


class ReminderState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"  # an email was queued in the outbox
    STARTED = "started"  # came due only after the session had started (downtime): skipped
    OFF = "off"  # the person had turned reminders off: skipped
    SUPERSEDED = "superseded"  # a later reminder of the same session was also due: only that one is sent
    STALE = "stale"  # the booking was no longer confirmed, or the person no longer sees it: skipped


class Reminder(Base):
    """One reminder of one confirmed booking to one person who may see it, ``offset_minutes``
    before the start. ``sent_at`` is null until a worker claims it (sends or skips it): the
    claim is ``UPDATE ... WHERE sent_at IS NULL``, so each row is handled once."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("booking_id", "user_id", "offset_minutes"),
        Index("ix_reminders_pending_due", "sent_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[ReminderState] = mapped_column(str_enum(ReminderState), default=ReminderState.PENDING)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(Base):
    """A person's optional emails; no row means everything on."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    reminders: Mapped[bool] = mapped_column(default=True, server_default=true())
    homework_emails: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
