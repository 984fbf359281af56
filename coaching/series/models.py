"""A booking series: the same local wall time, weekly or every other week, N occurrences.

Each occurrence is an ordinary ``Booking`` (so the no-overlap constraint, payments, emails and
cancellation all apply unchanged); ``SeriesOccurrence`` ties it to its series. A reschedule
moves the tie to the new booking (``coaching.series.receivers``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, utcnow

class BookingSeries(Base):
    __tablename__ = "booking_series"
    __table_args__ = (
        CheckConstraint("interval_weeks IN (1, 2)", name="interval_weekly_or_fortnightly"),
        CheckConstraint("requested BETWEEN 1 AND 12", name="requested_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id", ondelete="CASCADE"), index=True)
    couple_id: Mapped[int | None] = mapped_column(ForeignKey("couples.id", ondelete="SET NULL"), index=True)
    session_type_id: Mapped[int] = mapped_column(ForeignKey("session_types.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    interval_weeks: Mapped[int] = mapped_column(SmallInteger)
    #: How many occurrences were asked for (some may have been dropped at a clash).
    requested: Mapped[int] = mapped_column(SmallInteger)
    #: The booker's zone: the wall time is kept in it across clock changes.
    zone: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeriesOccurrence(Base):
    __tablename__ = "booking_series_occurrences"
    __table_args__ = (UniqueConstraint("series_id", "position"),)

    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("booking_series.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger)
