"""The booking lifecycle, written to the coach's CalDAV calendar (see coaching/scheduling/events.py).

Receivers run inside scheduling's transaction and never commit: they note which events to
write (``calendar_events``, by the chain's stable UID) and, once that transaction commits,
ask for a push task. The periodic sweep pushes whatever a lost task left pending.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coaching.calendars.models import CalendarKind, ExternalCalendar
from coaching.calendars.services import mark_event
from coaching.scheduling import events
from coaching.scheduling.models import Booking

_PENDING = "tandem.calendar_events_pending"


def _calendar(db: Session, booking: Booking) -> ExternalCalendar | None:
    if booking.couple_id is None:
        return None  # the coach's own blocks stay in Tandem
    return db.scalar(select(ExternalCalendar).where(ExternalCalendar.coach_id == booking.coach_id,
                                                    ExternalCalendar.kind == CalendarKind.CALDAV))


def _mark(db: Session, booking: Booking, present: bool) -> None:
    calendar = _calendar(db, booking)
    if calendar is not None:
        mark_event(db, calendar, booking, present=present)
        db.info.setdefault(_PENDING, set()).add(calendar.id)


def on_confirmed(booking: Booking, *, db: Session, **_: Any) -> None:
    _mark(db, booking, True)


def on_rescheduled(booking: Booking, *, db: Session, new: Booking, **_: Any) -> None:
    """The new booking carries the chain's UID: the same event moves."""
    _mark(db, new, True)


def on_cancelled(booking: Booking, *, db: Session, **_: Any) -> None:
    _mark(db, booking, False)


@event.listens_for(Session, "after_commit")
def _push_after_commit(db: Session) -> None:
    if db.in_nested_transaction():
        return
    pending = db.info.pop(_PENDING, None)
    if pending:
        from coaching.calendars.tasks import push_calendar_events

        push_calendar_events(sorted(pending))


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(db: Session) -> None:
    db.info.pop(_PENDING, None)


def connect() -> None:
    """Subscribe to scheduling's signals (idempotent)."""
    events.booking_confirmed.connect(on_confirmed)
    events.booking_rescheduled.connect(on_rescheduled)
    events.booking_cancelled.connect(on_cancelled)
