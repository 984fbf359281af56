"""Reminders' answers to the booking lifecycle signals (see coaching/scheduling/events.py).

Each receiver runs inside scheduling's transaction and never commits: the reminders are made,
moved or dropped exactly when the booking change commits. A hold gets none (only a
confirmation makes them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from coaching.reminders import services
from coaching.scheduling import events
from coaching.scheduling.models import Booking


def on_booking_confirmed(booking: Booking, *, db: Session, now: datetime, **_: Any) -> None:
    services.schedule(db, booking, now)


def on_booking_rescheduled(booking: Booking, *, db: Session, now: datetime, new: Booking, **_: Any) -> None:
    services.move(db, booking, new, now)


def on_booking_cancelled(booking: Booking, *, db: Session, **_: Any) -> None:
    services.drop(db, booking.id)


def connect() -> None:
    """Subscribe to scheduling's signals (idempotent)."""
    events.booking_confirmed.connect(on_booking_confirmed)
    events.booking_rescheduled.connect(on_booking_rescheduled)
    events.booking_cancelled.connect(on_booking_cancelled)


connect()
