"""Reminder use cases: make the rows when a booking is confirmed, move them on reschedule, drop
them on cancel, dispatch the due ones through the outbox; and each person's email preferences.

Who is reminded is who may see the booking: the coach, and the clients ``notices.recipients``
names (both partners for a joint session, only the partner who booked an individual one),
asked again at dispatch time so a change since (a partner who left) is honoured.

Dispatch claims rows atomically, so any number of workers may poll at once and each reminder
is handled exactly once: on PostgreSQL the due rows (and their bookings) are selected ``FOR
UPDATE SKIP LOCKED``, on SQLite the batch runs under the write lock (``BEGIN IMMEDIATE``); on
both the claim itself is ``UPDATE ... WHERE sent_at IS NULL`` and only the rows it returns are
emailed, in the same transaction that marks them.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.db import immediate
from coaching.intake.models import Couple, Partner
from coaching.notify.outbox import queue_email
from coaching.reminders import timing
from coaching.reminders.models import NotificationPreference, Reminder, ReminderState
from coaching.scheduling import notices
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.templating import local_time

log = logging.getLogger("tandem.reminders")
# Reminders per transaction. SQLite holds its single write lock for the whole batch (web
# requests wait meanwhile), so its batches are smaller.
BATCH = {"postgresql": 500, "sqlite": 100}
# ``backfill`` looks this far beyond the longest offset, so rows exist well before they are due.
BACKFILL_AHEAD = timedelta(days=1)


# --- the rows follow the booking -----------------------------------------------------------------


def _people(db: Session, booking: Booking) -> dict[int, tuple[User, str, bool]]:
    """user id -> (user, zone, is_coach) of everyone who may see ``booking`` (see the module doc)."""
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    coach = db.get(CoachProfile, booking.coach_id)
    people = {user.id: (user, zone, False) for user, zone in notices.recipients(db, booking, session_type)}
    if coach is not None and coach.user is not None:
        people[coach.user.id] = (coach.user, coach.timezone or coach.user.timezone or "UTC", True)
    return people


def schedule(db: Session, booking: Booking, now: datetime) -> int:
    """Add the reminders of a confirmed booking (no commit); return how many.

    One per person who may see it and per ``REMINDER_OFFSETS`` offset still ahead of ``now``.
    A coach's own block (no couple) and anything not confirmed get none."""
    if booking.couple_id is None or booking.status != BookingStatus.CONFIRMED:
        return 0
    due = timing.due_times(booking.starts_at, tuple(current_app.config.get("REMINDER_OFFSETS", ())), now)
    people = _people(db, booking) if due else {}
    for offset, due_at in due:
        for user_id in people:
            db.add(Reminder(booking_id=booking.id, user_id=user_id, offset_minutes=offset, due_at=due_at))
    return len(due) * len(people)


def drop(db: Session, booking_id: int) -> int:
    """Delete the booking's reminders not yet sent (no commit); return how many."""
    result = db.execute(delete(Reminder).where(Reminder.booking_id == booking_id, Reminder.sent_at.is_(None))
                        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def move(db: Session, old: Booking, new: Booking, now: datetime) -> None:
    """A reschedule: the old time's reminders go, the new time's are made (no commit)."""
    drop(db, old.id)
    db.flush()
    schedule(db, new, now)


def backfill(db: Session, now: datetime, *, limit: int = 500) -> int:
    """Make the reminders of confirmed sessions ahead that have none yet and commit; return how
    many rows. Those are bookings confirmed before this feature existed, or written without the
    lifecycle signals (the demo data). Idempotent: a booking confirmed through the signals has
    its rows from the same commit, and two workers at once meet the unique constraint."""
    offsets = tuple(current_app.config.get("REMINDER_OFFSETS", ()))
    if not offsets:
        return 0

    def missing() -> list[Booking]:
        return list(db.scalars(select(Booking).where(
            Booking.status == BookingStatus.CONFIRMED, Booking.couple_id.is_not(None), Booking.starts_at > now,
            Booking.starts_at <= now + timedelta(minutes=max(offsets)) + BACKFILL_AHEAD,
            ~exists().where(Reminder.booking_id == Booking.id)).order_by(Booking.starts_at).limit(limit)))

    if not missing():
        db.rollback()
        return 0
    made = 0
    try:
        with immediate(db):
            for booking in missing():
                made += schedule(db, booking, now)
            db.commit()
    except IntegrityError:  # another worker made them at the same moment
        db.rollback()
        return 0
    return made


# --- dispatch ------------------------------------------------------------------------------------


def dispatch_due(db: Session, now: datetime, *, batch: int | None = None,
                 max_batches: int | None = None) -> Counter[str]:
    """Handle every reminder due at ``now``, a batch per transaction; return counts by outcome
    (``sent``, ``started``, ``off``, ``superseded``, ``stale``)."""
    batch = batch or BATCH.get(db.get_bind().dialect.name, 100)
    totals: Counter[str] = Counter()
    done = 0
    while max_batches is None or done < max_batches:
        counts = _dispatch_batch(db, now, batch)
        done += 1
        if not sum(counts.values()):  # nothing due (or nothing left that this worker could claim)
            break
        totals.update(counts)
    return totals


def _dispatch_batch(db: Session, now: datetime, limit: int) -> Counter[str]:
    postgres = db.get_bind().dialect.name == "postgresql"
    with immediate(db):
        query = (select(Reminder.id).join(Booking, Booking.id == Reminder.booking_id)
                 .where(Reminder.sent_at.is_(None), Reminder.due_at <= now)
                 .order_by(Reminder.due_at, Reminder.id).limit(limit))
        if postgres:  # another worker's rows (and a booking being cancelled right now) are skipped
            query = query.with_for_update(skip_locked=True)
        ids = list(db.scalars(query))
        if not ids:
            db.rollback()
            return Counter()
        rows = db.execute(select(Reminder.id, Reminder.user_id, Reminder.due_at, Booking)
                          .join(Booking, Booking.id == Reminder.booking_id).where(Reminder.id.in_(ids))
                          .execution_options(populate_existing=True)).all()
        bookings = {row.Booking.id: row.Booking for row in rows}
        loaded = _preload(db, bookings.values())  # held here: the session only keeps weak references
        people = {booking_id: _people(db, booking) for booking_id, booking in bookings.items()}
        latest = dict(((b, u), at) for b, u, at in db.execute(
            select(Reminder.booking_id, Reminder.user_id, func.max(Reminder.due_at))
            .where(Reminder.booking_id.in_(list(bookings)), Reminder.due_at <= now)
            .group_by(Reminder.booking_id, Reminder.user_id)))
        off = set(db.scalars(select(NotificationPreference.user_id).where(
            NotificationPreference.user_id.in_({row.user_id for row in rows}),
            NotificationPreference.reminders.is_(False))))
        decided: dict[ReminderState, list[int]] = {}
        for row in rows:
            booking = row.Booking
            if booking.status != BookingStatus.CONFIRMED or row.user_id not in people[booking.id]:
                state = ReminderState.STALE
            elif timing.has_started(booking.starts_at, now):
                state = ReminderState.STARTED
            elif row.due_at < latest.get((booking.id, row.user_id), row.due_at):
                state = ReminderState.SUPERSEDED  # after downtime: one reminder, not two at once
            elif row.user_id in off:
                state = ReminderState.OFF
            else:
                state = ReminderState.SENT
            decided.setdefault(state, []).append(row.id)
        counts: Counter[str] = Counter()
        by_id = {row.id: row for row in rows}
        for state, state_ids in decided.items():
            claimed = db.scalars(update(Reminder).where(Reminder.id.in_(state_ids), Reminder.sent_at.is_(None))
                                 .values(sent_at=now, state=state).returning(Reminder.id)
                                 .execution_options(synchronize_session=False)).all()
            counts[str(state)] += len(claimed)
            if state == ReminderState.SENT:
                with db.no_autoflush:  # the outbox rows go in one INSERT at the commit
                    for reminder_id in sorted(claimed):
                        row = by_id[reminder_id]
                        _email(db, row.Booking, *people[row.Booking.id][row.user_id])
        db.commit()
        del loaded
    if counts["sent"] or len(counts) > 1:
        log.info("reminders: %s", dict(counts))
    return counts


def _preload(db: Session, bookings: Iterable[Booking]) -> list[object]:
    """Load the batch's couples (partners, users), coaches and session types in three queries,
    so ``notices.recipients``, ``_people`` and ``_email`` find them in the session's identity
    map without a query each; return them (the caller keeps them alive)."""
    bookings = list(bookings)
    couple_ids = {b.couple_id for b in bookings if b.couple_id is not None}
    type_ids = {b.session_type_id for b in bookings if b.session_type_id is not None}
    fresh = {"populate_existing": True}
    loaded: list[object] = []
    if couple_ids:
        loaded += db.scalars(select(Couple).where(Couple.id.in_(couple_ids))
                             .options(selectinload(Couple.partners).selectinload(Partner.user))
                             .execution_options(**fresh)).all()
    loaded += db.scalars(select(CoachProfile).where(CoachProfile.id.in_({b.coach_id for b in bookings}))
                         .options(selectinload(CoachProfile.user)).execution_options(**fresh)).all()
    if type_ids:
        loaded += db.scalars(select(SessionType).where(SessionType.id.in_(type_ids))).all()
    return loaded


def _email(db: Session, booking: Booking, user: User, zone: str, is_coach: bool) -> None:
    """Queue the reminder: the start in the recipient's own zone (never "in 1 hour": it may be
    late), the video room, and the manage link (the coach's calendar for a coach)."""
    base = current_app.config["TANDEM_BASE_URL"]
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    coach = db.get(CoachProfile, booking.coach_id)
    manage = f"{base}/coach/calendar" if is_coach else f"{notices.manage_url(booking)}?tz={zone}"
    queue_email(db, user.email, "booking_reminder", name=user.name, is_coach=is_coach,
                when=local_time(booking.starts_at, zone), until=local_time(booking.ends_at, zone, "%H:%M"),
                zone=zone, title=session_type.name if session_type else "Session",
                coach_name=coach.name if coach else "", video_url=booking.video_url, manage_url=manage,
                settings_url=f"{base}/account/notifications")


# --- preferences ---------------------------------------------------------------------------------


def preferences_of(db: Session, user_id: int) -> NotificationPreference:
    """The person's preferences (a fresh, unsaved all-on row when they never changed them)."""
    return db.get(NotificationPreference, user_id) or NotificationPreference(
        user_id=user_id, reminders=True, homework_emails=True)


def save_preferences(db: Session, user: User, *, reminders: bool, homework_emails: bool) -> NotificationPreference:
    """Store the person's choices and commit. Reminders already due later are checked again
    when they come due, so turning them off stops those too."""
    for attempt in range(2):
        prefs = db.get(NotificationPreference, user.id, populate_existing=True)
        if prefs is None:
            prefs = NotificationPreference(user_id=user.id)
            db.add(prefs)
        prefs.reminders, prefs.homework_emails = bool(reminders), bool(homework_emails)
        try:
            db.commit()
            return prefs
        except IntegrityError:  # the same person saving twice at once: the other row exists now
            db.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def wants_homework_emails(db: Session, user_id: int) -> bool:
    return db.scalar(select(NotificationPreference.homework_emails).where(
        NotificationPreference.user_id == user_id)) is not False
