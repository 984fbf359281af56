"""A coach's calendar elsewhere: connect, disconnect, read its busy times, write bookings there.

Network calls never run inside a database transaction: a sync reads what it needs, ends the
read, talks to the server, then writes the outcome in a short transaction of its own.
A failed read keeps the busy times of the last successful one (booking goes on with them);
the coach sees the error and the last success on their calendar page and is emailed once
per run of failures that lasts over ``FAILURE_NOTICE_AFTER``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.calendars import busy as busy_mod
from coaching.calendars import fetch, remote
from coaching.calendars.models import CalendarEvent, CalendarKind, ExternalBusy, ExternalCalendar
from coaching.coaches.models import CoachProfile
from coaching.notify.outbox import queue_email
from coaching.scheduling.models import Booking, BookingStatus, SessionType

log = logging.getLogger("tandem.calendars")
FAILURE_NOTICE_AFTER = timedelta(hours=1)
_READ_BEHIND = timedelta(days=1)


class CalendarInvalid(Exception):
    """The calendar details cannot be used; the message is safe to show."""


def _cfg(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


def allowed_addresses() -> fetch.AddressCheck:
    return fetch.address_check(bool(_cfg("CALENDAR_ALLOW_PRIVATE_ADDRESSES", False)))


def calendar_of(db: Session, coach_id: int) -> ExternalCalendar | None:
    return db.scalar(select(ExternalCalendar).where(ExternalCalendar.coach_id == coach_id))


def _checked_url(url: str) -> str:
    if len(url or "") > 2000:
        raise CalendarInvalid("That address is too long.")
    try:
        return fetch.check_url(url, allowed_addresses())
    except fetch.FetchRefused as exc:
        raise CalendarInvalid(str(exc)) from exc


def _replace(db: Session, coach: CoachProfile, calendar: ExternalCalendar) -> ExternalCalendar:
    old = calendar_of(db, coach.id)
    if old is not None:
        db.delete(old)
        db.flush()
    db.add(calendar)
    db.flush()
    return calendar


def connect_caldav(db: Session, coach: CoachProfile, *, url: str, username: str, password: str,
                   now: datetime) -> ExternalCalendar:
    """Connect (or replace) the coach's CalDAV calendar and queue every future confirmed
    booking for writing there; commit. The first sync runs after, in a task."""
    url = _checked_url(url)
    if not username.strip() or not password:
        raise CalendarInvalid("Give the user name and app password for that calendar.")
    calendar = _replace(db, coach, ExternalCalendar(coach_id=coach.id, kind=CalendarKind.CALDAV, url=url,
                                                    username=username.strip()[:200], password=password))
    future = db.scalars(select(Booking).where(Booking.coach_id == coach.id, Booking.status == BookingStatus.CONFIRMED,
                                              Booking.couple_id.is_not(None), Booking.ends_at > now))
    for booking in future:
        mark_event(db, calendar, booking, present=True)
    db.commit()
    return calendar


def subscribe(db: Session, coach: CoachProfile, *, url: str, now: datetime) -> ExternalCalendar:
    """Subscribe the coach to a read-only iCal address (replacing any connection); commit."""
    url = _checked_url(url)
    calendar = _replace(db, coach, ExternalCalendar(coach_id=coach.id, kind=CalendarKind.ICS, url=url))
    db.commit()
    return calendar


def disconnect(db: Session, coach: CoachProfile) -> bool:
    """Forget the coach's calendar and the busy times read from it; commit. Events already
    written there stay (they are the coach's calendar)."""
    calendar = calendar_of(db, coach.id)
    if calendar is None:
        return False
    db.delete(calendar)
    db.commit()
    _forget_slots(coach.id)
    return True


def _forget_slots(coach_id: int) -> None:
    from coaching.scheduling import slot_cache

    slot_cache.forget_coach(coach_id)


# --- what Tandem writes there --------------------------------------------------------------------


def _title(db: Session, booking: Booking) -> str:
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    return f"Tandem: {session_type.name if session_type else 'session'}"[:200]


def mark_event(db: Session, calendar: ExternalCalendar, booking: Booking, *, present: bool) -> None:
    """Note that the booking's event (by its chain's UID) must be written or deleted (no commit)."""
    row = db.scalar(select(CalendarEvent).where(CalendarEvent.calendar_id == calendar.id,
                                                CalendarEvent.uid == booking.ical_uid))
    if row is None:
        if not present:
            return
        row = CalendarEvent(calendar_id=calendar.id, uid=booking.ical_uid, changes=0)
        db.add(row)
    row.booking_id, row.starts_at, row.ends_at = booking.id, booking.starts_at, booking.ends_at
    row.sequence, row.title, row.present = booking.ical_sequence, _title(db, booking), present
    row.dirty, row.changes = True, (row.changes or 0) + 1
    db.flush()


def event_ics(row: CalendarEvent, stamp: datetime, base_url: str) -> str:
    """The event as stored in the coach's calendar (no METHOD: a calendar resource, not an invitation)."""
    cal = Calendar()
    cal.add("prodid", "-//Tandem//Couples coaching//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", row.uid)
    event.add("sequence", row.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", row.starts_at)
    event.add("dtend", row.ends_at)
    event.add("summary", row.title)
    event.add("description", f"Details in Tandem: {base_url}/coach/calendar?week={row.starts_at.date().isoformat()}")
    event.add("transp", "OPAQUE")
    event.add("status", "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical().decode()


def _account(calendar: ExternalCalendar) -> remote.Account:
    return remote.Account(url=calendar.url, username=calendar.username or "", password=calendar.password or "",
                          calendar_url=calendar.calendar_url,
                          timeout=float(_cfg("CALENDAR_TIMEOUT_SECONDS", 15)))


def _open(db: Session, calendar_id: int, account: remote.Account) -> Any:
    """The remote calendar; the URL the server resolved is remembered for next time."""
    _checked_url(account.url)  # the guard holds on every use, not only when connecting
    if account.calendar_url:
        _checked_url(account.calendar_url)
    handle, resolved = remote.open_calendar(account)
    _checked_url(resolved)  # the server names the calendar: it may not point inside the network either
    if account.calendar_url != resolved:
        db.execute(update(ExternalCalendar).where(ExternalCalendar.id == calendar_id)
                   .values(calendar_url=resolved))
        db.commit()
    return handle


def push_events(db: Session, now: datetime, calendar_ids: Iterable[int] | None = None) -> int:
    """Write every pending event to its CalDAV calendar (create or move; delete a cancelled
    one); return how many were done. A failure is counted on the row and on the calendar, and
    the next sweep tries again."""
    query = select(CalendarEvent.calendar_id).where(CalendarEvent.dirty.is_(True)).distinct()
    if calendar_ids is not None:
        query = query.where(CalendarEvent.calendar_id.in_(list(calendar_ids)))
    done = 0
    for calendar_id in list(db.scalars(query)):
        done += _push_calendar(db, calendar_id, now)
    return done


def _push_calendar(db: Session, calendar_id: int, now: datetime) -> int:
    calendar = db.get(ExternalCalendar, calendar_id)
    if calendar is None or calendar.kind != CalendarKind.CALDAV:
        return 0
    account = _account(calendar)
    rows = [(r.id, r.uid, r.present, r.changes, event_ics(r, now, current_app.config["TANDEM_BASE_URL"]))
            for r in db.scalars(select(CalendarEvent).where(CalendarEvent.calendar_id == calendar_id,
                                                            CalendarEvent.dirty.is_(True)))]
    db.rollback()  # no transaction stays open while the server is asked
    if not rows:
        return 0
    try:
        handle = _open(db, calendar_id, account)
    except (remote.RemoteError, CalendarInvalid) as exc:
        _failed(db, calendar_id, str(exc), now)
        return 0
    done = 0
    for row_id, uid, present, changes, ics in rows:
        try:
            if present:
                remote.put_event(handle, uid, ics)
            else:
                remote.delete_event(handle, uid)
        except remote.RemoteError as exc:
            db.execute(update(CalendarEvent).where(CalendarEvent.id == row_id).values(
                attempts=CalendarEvent.attempts + 1, last_error=str(exc)[:300]))
            db.commit()
            _failed(db, calendar_id, str(exc), now)
            return done
        # Only the change that was sent is marked done; one made meanwhile stays pending, and
        # if another worker already sent (and cleared) a newer change, this older write may have
        # landed after it: pending again, so the newest state is sent once more.
        db.execute(update(CalendarEvent).where(CalendarEvent.id == row_id, CalendarEvent.changes == changes)
                   .values(dirty=False, pushed_at=now, attempts=0, last_error=None))
        db.execute(update(CalendarEvent).where(CalendarEvent.id == row_id, CalendarEvent.changes != changes)
                   .values(dirty=True))
        db.commit()
        done += 1
    return done


# --- what Tandem reads there ---------------------------------------------------------------------


def sync_calendar(db: Session, calendar_id: int, now: datetime) -> bool:
    """Read the calendar's busy times into ``external_busy`` (replacing the last read); commit.
    False (and the failure recorded) when it cannot be read: the last busy times stay."""
    calendar = db.get(ExternalCalendar, calendar_id)
    if calendar is None:
        return False
    coach = db.get(CoachProfile, calendar.coach_id)
    zone = coach.timezone if coach else "UTC"
    coach_id, kind, url, account = calendar.coach_id, calendar.kind, calendar.url, _account(calendar)
    own = set(db.scalars(select(CalendarEvent.uid).where(CalendarEvent.calendar_id == calendar_id)))
    db.rollback()
    start, end = now - _READ_BEHIND, now + timedelta(days=int(_cfg("CALENDAR_SYNC_DAYS", 120)))
    try:
        if kind == CalendarKind.CALDAV:
            data: list[bytes | str] = list(remote.read_events(_open(db, calendar_id, account), start, end))
        else:
            data = [fetch.fetch(url, allowed=allowed_addresses(), timeout=float(_cfg("CALENDAR_TIMEOUT_SECONDS", 15)),
                                max_bytes=int(_cfg("CALENDAR_MAX_BYTES", 5 * 1024 * 1024)))]
        intervals = busy_mod.busy_intervals(data, start, end, zone, skip_uids=own,
                                            limit=int(_cfg("CALENDAR_MAX_EVENTS", 20_000)))
    except (remote.RemoteError, fetch.FetchRefused, CalendarInvalid) as exc:
        _failed(db, calendar_id, str(exc), now)
        return False
    except busy_mod.CalendarUnreadable:
        _failed(db, calendar_id, "The calendar's data could not be read as iCalendar.", now)
        return False
    if db.get(ExternalCalendar, calendar_id) is None:  # disconnected meanwhile
        db.rollback()
        return False
    db.execute(delete(ExternalBusy).where(ExternalBusy.calendar_id == calendar_id))
    merged = busy_mod.merged(intervals)
    if merged:
        db.execute(insert(ExternalBusy), [
            {"calendar_id": calendar_id, "coach_id": coach_id, "starts_at": lo, "ends_at": hi, "synced_at": now}
            for lo, hi in merged])
    db.execute(update(ExternalCalendar).where(ExternalCalendar.id == calendar_id).values(
        last_attempt_at=now, last_success_at=now, last_error=None, failing_since=None, failure_emailed_at=None))
    db.commit()
    _forget_slots(coach_id)
    return True


def _failed(db: Session, calendar_id: int, message: str, now: datetime) -> None:
    """Record a failed sync; the coach is emailed once when the failures have lasted over an hour."""
    db.rollback()
    calendar = db.get(ExternalCalendar, calendar_id)
    if calendar is None:
        return
    log.warning("calendar %s of coach %s: %s", calendar_id, calendar.coach_id, message)
    since = calendar.failing_since or now
    db.execute(update(ExternalCalendar).where(ExternalCalendar.id == calendar_id).values(
        last_attempt_at=now, last_error=message[:300], failing_since=since))
    if now - since >= FAILURE_NOTICE_AFTER:
        claimed = db.execute(update(ExternalCalendar).where(
            ExternalCalendar.id == calendar_id, ExternalCalendar.failure_emailed_at.is_(None))
            .values(failure_emailed_at=now)).rowcount
        if claimed == 1:  # one email per run of failures, however many workers notice it
            coach = db.get(CoachProfile, calendar.coach_id)
            user = db.get(User, coach.user_id) if coach else None
            if user is not None:
                queue_email(db, user.email, "calendar_sync_failing", name=user.name, problem=message[:300],
                            since=since, last_success=calendar.last_success_at, zone=coach.timezone)
    db.commit()


def sync_due(db: Session, now: datetime) -> int:
    """The periodic sweep: push pending events, then read every calendar not read for
    ``CALENDAR_SYNC_MINUTES``; return how many were read successfully."""
    push_events(db, now)
    every = timedelta(minutes=float(_cfg("CALENDAR_SYNC_MINUTES", 10)))
    due = list(db.scalars(select(ExternalCalendar.id).where(
        (ExternalCalendar.last_attempt_at.is_(None)) | (ExternalCalendar.last_attempt_at <= now - every))))
    db.rollback()
    return sum(1 for calendar_id in due if sync_calendar(db, calendar_id, now))


def sync_after_change(db: Session, now: datetime, calendar_ids: Iterable[int] | None = None) -> int:
    """After a booking change or a new connection: push what is pending, then read back."""
    ids = list(calendar_ids) if calendar_ids is not None else list(db.scalars(
        select(CalendarEvent.calendar_id).where(CalendarEvent.dirty.is_(True)).distinct()))
    db.rollback()
    push_events(db, now, ids)
    return sum(1 for calendar_id in ids if sync_calendar(db, calendar_id, now))
