"""A coach's connected calendar, the busy times read from it, and the events Tandem writes to it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coaching.crypto import EncryptedText
from coaching.db import Base, str_enum, utcnow


class CalendarKind(enum.StrEnum):
    CALDAV = "caldav"  # two-way: bookings written there, busy times read back
    ICS = "ics"  # read-only subscription to a secret iCal address


class ExternalCalendar(Base):
    """One coach's calendar elsewhere (at most one per coach).

    The address (a subscription URL is a secret), the user name's password and the calendar
    the server resolved are encrypted at rest with the data key ring. ``failing_since`` is the
    first failed sync of the current run of failures; ``failure_emailed_at`` is set when the
    coach has been told about that run (once), and cleared by the next success.
    """

    __tablename__ = "external_calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id", ondelete="CASCADE"), unique=True)
    kind: Mapped[CalendarKind] = mapped_column(str_enum(CalendarKind))
    url: Mapped[str] = mapped_column(EncryptedText())
    username: Mapped[str | None] = mapped_column(String(200))
    password: Mapped[str | None] = mapped_column(EncryptedText())
    calendar_url: Mapped[str | None] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    failing_since: Mapped[datetime | None]
    failure_emailed_at: Mapped[datetime | None]


class ExternalBusy(Base):
    """A busy UTC interval ``[starts_at, ends_at)`` read from a coach's calendar at ``synced_at``.

    Replaced as a whole by each successful sync; kept as it was while the calendar cannot be
    reached, so booking goes on with the last known busy times."""

    __tablename__ = "external_busy"
    __table_args__ = (Index("ix_external_busy_coach_window", "coach_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("external_calendars.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    synced_at: Mapped[datetime]


class CalendarEvent(Base):
    """A booking chain's event in the coach's CalDAV calendar, by its stable UID.

    ``present`` says whether it should be there (a confirmed booking) or not (cancelled);
    ``dirty`` that the calendar has not been told yet. The push task clears ``dirty`` only if
    ``changes`` is still what it sent, so a change made meanwhile is pushed again. UIDs listed
    here are Tandem's own: reading the calendar back skips them (never busy twice)."""

    __tablename__ = "calendar_events"
    __table_args__ = (UniqueConstraint("calendar_id", "uid"), Index("ix_calendar_events_dirty", "dirty"))

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("external_calendars.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(100))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    sequence: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200), default="Tandem session")
    present: Mapped[bool] = mapped_column(default=True)
    dirty: Mapped[bool] = mapped_column(default=True)
    changes: Mapped[int] = mapped_column(default=1)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))
    pushed_at: Mapped[datetime | None]
