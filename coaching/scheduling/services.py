"""Booking use cases: free slots, holds, confirmation, cancellation, reschedule, expiry.

Writes run in one transaction per use case that first serialises on the coach (``SELECT ...
FOR UPDATE`` of the coach's row on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), sweeps the
coach's expired holds, checks the slot, and writes; the database's own no-overlap
constraint backs that up, and a conflict it reports becomes ``SlotTaken``.
``confirm_hold`` and ``release_hold`` do not commit (payments calls them inside its own
transaction); the other writers commit.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import DateTime, Select, and_, bindparam, func, or_, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, scoped_session

from coaching.accounts.models import User
from coaching.calendars.models import ExternalBusy
from coaching.coaches.catalog import SLUG_RE
from coaching.coaches.models import CoachProfile, coach_session_types
from coaching.db import immediate
from coaching.intake import seats
from coaching.intake.models import Couple, JointSessionOpening, Partner
from coaching.scheduling import calendar, events, lifecycle, notices, slot_cache, slots
from coaching.scheduling.models import (
    AvailabilityRule, Booking, BookingStatus, DateOverride, SessionKind, SessionType, TimeOff,
)
from coaching.validation import in_range, shift


class SchedulingError(Exception):
    """A use case was refused; ``code``/``status`` map it to HTTP, the message is safe to show."""

    code = "refused"
    status = 409

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__ or self.code)


class NotFound(SchedulingError):
    """There is no such coach, session type or booking."""
    code, status = "not_found", 404


class NotAllowed(SchedulingError):
    """You can't book this."""
    code, status = "forbidden", 403


class JointSessionsNotOpen(SchedulingError):
    """Your coach will open joint sessions after your welcome calls."""
    code, status = "not_bookable", 403


class NotASlot(SchedulingError):
    """That time is not one of the coach's bookable times for this session."""
    code, status = "not_a_slot", 422


class SlotTaken(SchedulingError):
    """That time was just taken. Please choose another."""
    code, status = "slot_taken", 409

    def __init__(self, next_slots: list[tuple[datetime, datetime]] | None = None) -> None:
        super().__init__()
        self.next_slots = next_slots or []


class TooManyHolds(SchedulingError):
    """You already have times held and waiting for payment. Please pay for one, or let it go, before holding another."""
    code = "too_many_holds"


class HoldExpired(SchedulingError):
    """The hold on this time has expired."""
    code = "hold_expired"


class HoldNotActive(SchedulingError):
    """This booking is no longer waiting for payment."""
    code = "hold_not_active"


class NotChangeable(SchedulingError):
    """This booking can no longer be changed."""
    code = "not_changeable"


class TooLate(SchedulingError):
    """It is too close to the session to change it online; please contact your coach."""
    code = "too_late"


# --- reading: free slots ----------------------------------------------------------------------

_MARGIN = timedelta(days=2)  # daily maximum and buffers look at whole local days around the window
_EXTERNAL_MARGIN = timedelta(days=1)  # external busy times: buffers only
_BOOKINGS = Booking.__table__
_LIVE = (BookingStatus.HELD, BookingStatus.CONFIRMED)


def rules_of(session_type: SessionType) -> slots.SessionRules:
    return slots.SessionRules(
        duration_min=session_type.duration_min, buffer_before_min=session_type.buffer_before_min,
        buffer_after_min=session_type.buffer_after_min, min_notice_hours=session_type.min_notice_hours,
        horizon_days=session_type.horizon_days, slot_interval_min=session_type.slot_interval_min,
        daily_max=session_type.daily_max)


def availabilities_of(db: Session, zones: Mapping[int, str], start: datetime, end: datetime
                      ) -> dict[int, slots.Availability]:
    """Each coach's hours (``zones``: coach id -> IANA zone), with only the overrides and time
    off near ``[start, end)``: three indexed queries for any number of coaches."""
    ids = list(zones)
    first, last = shift(start, -_MARGIN).date(), shift(end, _MARGIN).date()  # clamped: never overflows
    weekly: dict[int, list[slots.WeeklyHours]] = defaultdict(list)
    for row in db.execute(select(AvailabilityRule.coach_id, AvailabilityRule.weekday, AvailabilityRule.start_time,
                                 AvailabilityRule.end_time).where(AvailabilityRule.coach_id.in_(ids))):
        weekly[row.coach_id].append(slots.WeeklyHours(row.weekday, row.start_time, row.end_time))
    overrides: dict[int, list[slots.DateHours]] = defaultdict(list)
    for row in db.execute(select(DateOverride.coach_id, DateOverride.on_date, DateOverride.start_time,
                                 DateOverride.end_time).where(DateOverride.coach_id.in_(ids),
                                                              DateOverride.on_date.between(first, last))):
        overrides[row.coach_id].append(slots.DateHours(row.on_date, row.start_time, row.end_time))
    days_off: dict[int, list[slots.DaysOff]] = defaultdict(list)
    for row in db.execute(select(TimeOff.coach_id, TimeOff.start_date, TimeOff.end_date).where(
            TimeOff.coach_id.in_(ids), TimeOff.start_date <= last, TimeOff.end_date >= first)):
        days_off[row.coach_id].append(slots.DaysOff(row.start_date, row.end_date))
    return {cid: slots.Availability(zone, tuple(weekly[cid]), tuple(overrides[cid]), tuple(days_off[cid]))
            for cid, zone in zones.items()}


@functools.cache
def _busy_query(one_coach: bool) -> Select:
    """``busy_by_coach``'s statement, built once (parameters: coach(es), lo, hi, now)."""
    c = _BOOKINGS.c
    return select(c.id, c.coach_id, c.starts_at, c.ends_at, c.session_type_id, c.couple_id).where(
        c.coach_id == bindparam("coach") if one_coach else c.coach_id.in_(bindparam("coaches", expanding=True)),
        c.ends_at > bindparam("lo"), c.starts_at < bindparam("hi"),
        c.status.in_(_LIVE), or_(c.status == BookingStatus.CONFIRMED, c.hold_expires_at > bindparam("now")))


def busy_by_coach(db: Session, coach_ids: Iterable[int], session_type_id: int | None, start: datetime,
                  end: datetime, now: datetime, exclude_id: int | None = None) -> dict[int, list[slots.Busy]]:
    """Confirmed bookings and live holds of each coach near ``[start, end)`` (one indexed window query),
    and the busy times read from each coach's calendar elsewhere (one more).

    A booking counts toward the session type's daily maximum when it is of that type and
    belongs to a couple (a coach's own blocks do not count). One Core query of six columns,
    read as tuples; ``ix_bookings_coach_end`` (coach, end) keeps it from reading past history."""
    ids = list(coach_ids)
    busy: dict[int, list[slots.Busy]] = {cid: [] for cid in ids}
    params = {"lo": shift(start, -_MARGIN), "hi": shift(end, _MARGIN), "now": now}
    if len(ids) == 1:
        query, params["coach"] = _busy_query(True), ids[0]
    else:
        query, params["coaches"] = _busy_query(False), ids
    make = slots.Busy
    for booking_id, coach_id, starts_at, ends_at, type_id, couple_id in db.execute(query, params):
        if booking_id != exclude_id:
            busy[coach_id].append(make(starts_at, ends_at,
                                       type_id == session_type_id and couple_id is not None))
    # The coach's calendar elsewhere (coaching/calendars): the busy times of its last successful sync.
    # They never count toward a daily maximum, so a day either side covers any buffer; PostgreSQL
    # hands back aware instants already, so they skip UTCDateTime's per-value conversion.
    columns = (ExternalBusy.starts_at, ExternalBusy.ends_at)
    if db.get_bind().dialect.name == "postgresql":
        columns = tuple(type_coerce(c, DateTime(timezone=True)) for c in columns)  # type: ignore[assignment]
    for coach_id, starts_at, ends_at in db.execute(select(ExternalBusy.coach_id, *columns).where(
            ExternalBusy.coach_id.in_(ids), ExternalBusy.starts_at < shift(end, _EXTERNAL_MARGIN),
            ExternalBusy.ends_at > shift(start, -_EXTERNAL_MARGIN))):
        busy[coach_id].append(slots.Busy(starts_at, ends_at))
    return busy


def availability_of(db: Session, coach: CoachProfile, start: datetime, end: datetime) -> slots.Availability:
    return availabilities_of(db, {coach.id: coach.timezone}, start, end)[coach.id]


def busy_of(db: Session, coach_id: int, session_type_id: int | None, start: datetime, end: datetime,
            now: datetime, exclude_id: int | None = None) -> list[slots.Busy]:
    return busy_by_coach(db, [coach_id], session_type_id, start, end, now, exclude_id)[coach_id]


def free_slots_many(db: Session, zones: Mapping[int, str], session_type: SessionType, start_utc: datetime,
                    end_utc: datetime, now: datetime, *, exclude_booking_id: int | None = None
                    ) -> dict[int, list[tuple[datetime, datetime]]]:
    """Free slots of many coaches (``zones``: coach id -> IANA zone) in four indexed queries."""
    availabilities = availabilities_of(db, zones, start_utc, end_utc)
    busy = busy_by_coach(db, zones, session_type.id, start_utc, end_utc, now, exclude_booking_id)
    rules = rules_of(session_type)
    return {cid: slots.free_slots(availabilities[cid], rules, busy[cid], start_utc, end_utc, now) for cid in zones}


def free_slots(db: Session, coach_id: int, session_type: SessionType, start_utc: datetime,
               end_utc: datetime, now: datetime, *, exclude_booking_id: int | None = None
               ) -> list[tuple[datetime, datetime]]:
    """The coach's free ``(start, end)`` UTC slots for the session type starting in ``[start_utc, end_utc)``."""
    coach = db.get(CoachProfile, coach_id)
    if coach is None:
        return []
    return free_slots_many(db, {coach_id: coach.timezone}, session_type, start_utc, end_utc, now,
                           exclude_booking_id=exclude_booking_id)[coach_id]


def _read_only_autocommit(db: Session) -> None:
    """Run this session's next statements without a transaction on PostgreSQL (only when none
    has begun): a read needs no BEGIN and no ROLLBACK, two round trips of three."""
    session = db() if isinstance(db, scoped_session) else db
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def public_slots(db: Session, coach_id: int, slug: str, first: date, last: date, zone: str, now: datetime,
                 gens: slot_cache.Generations | None) -> list[tuple[datetime, datetime]] | None:
    """The public slot list: free slots of the session type ``slug`` starting on local dates
    ``first``..``last`` in ``zone``; None if the coach or the session type is not bookable.

    The fast read path: the coach's calendar from the calendar cache (``gens``, read before),
    then one window query of the coach's bookings (``busy_by_coach``) and the engine. On
    PostgreSQL the reads run outside a transaction (no BEGIN, no ROLLBACK): one round trip."""
    _read_only_autocommit(db)
    cal = calendar.of(db, coach_id, gens)
    offered = cal.offered.get(slug) if cal is not None else None
    if offered is None:
        return None
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    busy = busy_by_coach(db, [coach_id], offered.id, start, end, now)[coach_id]
    availability = calendar.near(cal, shift(start, -_MARGIN).date(), shift(end, _MARGIN).date())
    return slots.free_slots(availability, offered.rules, busy, start, end, now)


def couple_free_times(couple: Couple | None) -> list[slots.FreeTimes]:
    """Each joined partner's weekly free times (for marking slots that suit both)."""
    if couple is None:
        return []
    return [slots.FreeTimes(p.timezone or (p.user.timezone if p.user else "UTC"),
                            {k: [tuple(r) for r in v] for k, v in (p.free_times or {}).items()})
            for p in couple.partners if p.user_id is not None]


def bookable_session_type(db: Session, coach_id: int, slug: str) -> tuple[CoachProfile, SessionType]:
    """The coach and one of the active session types they offer; raise ``NotFound``."""
    if not SLUG_RE.match(slug):  # e.g. a NUL byte from a URL, which PostgreSQL refuses to compare
        raise NotFound()
    row = db.execute(
        select(CoachProfile, SessionType)
        .join(User, User.id == CoachProfile.user_id)
        .join(coach_session_types, coach_session_types.c.coach_id == CoachProfile.id)
        .join(SessionType, SessionType.id == coach_session_types.c.session_type_id)
        .where(CoachProfile.id == coach_id, User.is_active.is_(True), SessionType.slug == slug,
               SessionType.active.is_(True))).first()
    if row is None:
        raise NotFound()
    return row[0], row[1]


def couple_of_user(db: Session, user_id: int) -> Couple | None:
    """The couple a client books for: their home seat's (``coaching.intake.seats``)."""
    return db.scalar(select(Couple).join(Partner).where(Partner.user_id == user_id).order_by(*seats.HOME_FIRST)
                     .limit(1).options(joinedload(Couple.joint_opening)))  # the joint gate asks next


def offered_types(coach: CoachProfile, couple: Couple) -> list[SessionType]:
    """The active session types ``coach`` offers that ``couple`` may still book: once the
    couple has ended (its seats' ``ended_at``), individual sessions only."""
    ended = any(p.ended_at is not None for p in couple.partners)
    return [t for t in coach.session_types if t.active and (not ended or t.kind == SessionKind.INDIVIDUAL)]


def coach_of_user(db: Session, user_id: int) -> CoachProfile | None:
    return db.scalar(select(CoachProfile).where(CoachProfile.user_id == user_id))


# --- writing: holds ----------------------------------------------------------------------------


def _lock_coach(db: Session, coach_id: int) -> None:
    """Serialise booking writes per coach (PostgreSQL row lock; SQLite already holds the write lock)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(CoachProfile.id).where(CoachProfile.id == coach_id).with_for_update())


def _is_overlap(exc: IntegrityError) -> bool:
    text = str(exc.orig)
    return "ex_bookings_no_overlap" in text or "booking_overlap" in text


@contextmanager
def _booking_transaction(db: Session, coach: CoachProfile, session_type: SessionType, start: datetime,
                         now: datetime) -> Iterator[None]:
    """The write transaction of a booking change: the write lock (SQLite) and the coach's row
    lock (PostgreSQL), expired holds swept first. A conflict, whether found by our check or by
    the database's constraint, ends as ``SlotTaken`` carrying the next free slots, never a 500."""
    coach_id, type_id, rules = coach.id, session_type.id, rules_of(session_type)  # before a rollback expires them
    try:
        with immediate(db):
            _lock_coach(db, coach_id)
            _sweep(db, now, coach_id)
            yield
    except SlotTaken as exc:
        db.rollback()
        exc.next_slots = _next_slots(db, coach_id, type_id, rules, start, now)
        raise
    except IntegrityError as exc:
        db.rollback()
        if not _is_overlap(exc):
            raise
        raise SlotTaken(_next_slots(db, coach_id, type_id, rules, start, now)) from exc


def _sweep(db: Session, now: datetime, coach_id: int | None = None) -> int:
    """Expire every hold past its expiry (of one coach, or all), announcing each; no commit."""
    query = select(Booking).where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at <= now)
    if coach_id is not None:
        query = query.where(Booking.coach_id == coach_id)
    stale = list(db.scalars(query))
    for booking in stale:
        _move(booking, "expire", now)
        events.hold_released.send(booking, db=db, now=now)
    if stale:
        db.flush()
    return len(stale)


def _move(booking: Booking, event: str, now: datetime) -> None:
    state = lifecycle.BookingState(str(booking.status), booking.starts_at, booking.hold_expires_at)
    try:
        booking.status = BookingStatus(lifecycle.next_status(state, event, now))
    except lifecycle.TransitionRefused as exc:
        raise NotChangeable(f"This booking can no longer be changed: {exc}.") from exc


_NEXT_WINDOW = timedelta(days=14)  # how far ahead a refusal looks for the next free slots


def _next_slots(db: Session, coach_id: int, type_id: int, rules: slots.SessionRules, after: datetime,
                now: datetime, count: int = 3, busy: list[slots.Busy] | None = None
                ) -> list[tuple[datetime, datetime]]:
    """The next ``count`` free slots from ``after`` (for a 409): the coach's hours from the
    calendar cache and one window query of bookings (or ``busy``, already loaded around it).
    Advice only: booking one of them is checked like any other."""
    start = max(after, now)
    cal = calendar.of(db, coach_id, slot_cache.generations(coach_id))
    if cal is None:
        return []
    if busy is None:
        busy = busy_by_coach(db, [coach_id], type_id, start, start + _NEXT_WINDOW, now)[coach_id]
    found: list[tuple[datetime, datetime]] = []
    for days in (2, _NEXT_WINDOW.days):  # most answers are found in the first two days
        end = start + timedelta(days=days)
        availability = calendar.near(cal, shift(start, -_MARGIN).date(), shift(end, _MARGIN).date())
        found = slots.free_slots(availability, rules, busy, start, end, now)
        if len(found) >= count:
            break
    return found[:count]


def _refuse_if_taken(db: Session, coach_id: int, session_type: SessionType, start: datetime, now: datetime) -> None:
    """Before any lock: raise ``SlotTaken`` (with the next free slots) when ``start`` is one of
    the coach's slots and a booking or live hold already occupies it, as most requests of a race
    find. One window query serves both the check and the next free slots, and no lock is
    waited for. The hours come from the calendar cache: when unsure (no such slot there), this
    says nothing and the locked check (``_require_slot``, on the database's rows) decides."""
    rules = rules_of(session_type)
    end = start + timedelta(minutes=session_type.duration_min)
    cal = calendar.of(db, coach_id, slot_cache.generations(coach_id))
    if cal is None:
        return
    window = (start - timedelta(hours=1), start + timedelta(hours=1))
    availability = calendar.near(cal, shift(window[0], -_MARGIN).date(), shift(window[1], _MARGIN).date())
    if (start, end) not in slots.free_slots(availability, rules, [], *window, now):
        return
    later = max(start, now) + _NEXT_WINDOW
    busy = busy_by_coach(db, [coach_id], session_type.id, window[0], later, now)[coach_id]
    if (start, end) not in slots.free_slots(availability, rules, busy, *window, now):
        raise SlotTaken(_next_slots(db, coach_id, session_type.id, rules, start, now, busy=busy))


def _require_slot(db: Session, coach: CoachProfile, session_type: SessionType, start: datetime,
                  now: datetime, exclude_id: int | None = None) -> datetime:
    """The end of the slot starting at ``start``; raise NotASlot or SlotTaken."""
    end = start + timedelta(minutes=session_type.duration_min)
    window = (start - timedelta(hours=1), start + timedelta(hours=1))
    availability = availability_of(db, coach, *window)
    rules = rules_of(session_type)
    if (start, end) not in slots.free_slots(availability, rules, [], *window, now):
        raise NotASlot()
    busy = busy_of(db, coach.id, session_type.id, *window, now, exclude_id)
    if (start, end) not in slots.free_slots(availability, rules, busy, *window, now):
        raise SlotTaken()
    return end


def _new_booking(**fields: object) -> Booking:
    token = secrets.token_urlsafe(18)
    template = current_app.config.get("VIDEO_URL_TEMPLATE", "https://meet.jit.si/tandem-{token}")
    return Booking(ical_uid=f"{uuid.uuid4()}@tandem", video_url=template.format(token=token), **fields)


def _lock_couple(db: Session, couple_id: int) -> None:
    """Serialise hold placing per couple across coaches (PostgreSQL; SQLite holds the write lock)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(select(Couple.id).where(Couple.id == couple_id).with_for_update())


def active_holds_seen_by(db: Session, couple_id: int, user_id: int, now: datetime) -> int:
    """Live unpaid holds of the couple that ``user_id`` may see: joint sessions, and the
    individual sessions they hold themselves (the other partner's are their own business,
    so they neither show nor count against this partner). A series' holds count once
    (``coaching.series``: one hold group)."""
    from coaching.series.models import SeriesOccurrence

    group = func.coalesce(-SeriesOccurrence.series_id, Booking.id)  # series ids negated: never a booking id
    return int(db.scalar(
        select(func.count(func.distinct(group))).select_from(Booking)
        .outerjoin(SeriesOccurrence, SeriesOccurrence.booking_id == Booking.id)
        .outerjoin(SessionType, SessionType.id == Booking.session_type_id)
        .where(Booking.couple_id == couple_id, Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now,
               or_(SessionType.kind != SessionKind.INDIVIDUAL, Booking.booked_by_id == user_id))) or 0)


def _check_hold_cap(db: Session, couple_id: int, user_id: int, now: datetime) -> None:
    """Raise TooManyHolds when the couple already has ``MAX_HOLDS_PER_COUPLE`` live holds (see
    ``active_holds_seen_by``); call with the couple locked."""
    _lock_couple(db, couple_id)
    if active_holds_seen_by(db, couple_id, user_id, now) >= int(current_app.config.get("MAX_HOLDS_PER_COUPLE", 2)):
        raise TooManyHolds()


def _utc_start(start: datetime) -> datetime:
    """A requested start as UTC; NotASlot without an offset or outside the sane date range."""
    if start.tzinfo is None:
        raise NotASlot("The start time needs a time zone offset.")
    if not in_range(start.date()):
        raise NotASlot()
    return start.astimezone(UTC)


def place_hold(db: Session, *, user: User, coach_id: int, session_type_slug: str, start: datetime,
               now: datetime) -> Booking:
    """Hold ``start`` with the coach for the user's couple; commit and return the booking.

    A free session type is confirmed at once (emails queued); a paid one stays ``held`` until
    payment confirms it or ``HOLD_MINUTES`` pass. Raises NotFound, NotAllowed,
    JointSessionsNotOpen (until the couple's coach opens joint sessions), TooManyHolds (a paid
    hold beyond ``MAX_HOLDS_PER_COUPLE``), NotASlot, or SlotTaken (with the next free slots).
    """
    start = _utc_start(start)
    coach, session_type = bookable_session_type(db, coach_id, session_type_slug)
    if not user.is_verified:
        raise NotAllowed("Please confirm your email address before booking.")
    couple = couple_of_user(db, user.id)
    if couple is None:
        raise NotAllowed("Booking opens once you have started the questionnaire.")
    refusal = joint_gate_refusal(session_type, couple, coach.id)
    if refusal is not None:
        raise refusal
    _refuse_if_taken(db, coach.id, session_type, start, now)
    with _booking_transaction(db, coach, session_type, start, now):
        require_joint_opening(db, session_type, couple.id)
        if not session_type.is_free:
            _check_hold_cap(db, couple.id, user.id, now)
        end = _require_slot(db, coach, session_type, start, now)
        booking = _new_booking(
            coach_id=coach.id, session_type_id=session_type.id, couple_id=couple.id, booked_by_id=user.id,
            starts_at=start, ends_at=end, status=BookingStatus.HELD,
            hold_expires_at=now + timedelta(minutes=int(current_app.config.get("HOLD_MINUTES", 15))))
        db.add(booking)
        db.flush()
        if session_type.is_free:
            _confirm(db, booking, now)
        else:
            events.hold_placed.send(booking, db=db, now=now)
        db.commit()
    return booking


def is_welcome_call(session_type: SessionType) -> bool:
    return session_type.slug == current_app.config.get("WELCOME_SESSION_TYPE", "welcome")


def joint_gate_refusal(session_type: SessionType, couple: Couple, coach_id: int) -> SchedulingError | None:
    """Why ``couple`` may not book ``session_type`` with the coach now, or None.

    Joint sessions wait until the couple's coach opens them; a welcome call is with the
    couple's own coach. Only couple state counts here, never a partner's answers."""
    if session_type.kind == SessionKind.JOINT and not couple.joint_sessions_open:
        return JointSessionsNotOpen()
    if is_welcome_call(session_type) and couple.coach_id != coach_id:
        return NotAllowed("Your welcome call is with the coach you chose.")
    return None


def require_joint_opening(db: Session, session_type: SessionType, couple_id: int) -> None:
    """Inside a booking transaction: read the couple's joint opening again, and keep it.

    The gate is checked first on the couple as loaded, but a separation (or a change of coach)
    may delete the opening meanwhile. Read inside the booking's transaction (SQLite: under the
    write lock) and, on PostgreSQL, share-locked until the commit, a concurrent delete either
    happened first (refused here) or waits for this booking and then cancels it with the rest."""
    if session_type.kind != SessionKind.JOINT:
        return
    query = select(JointSessionOpening.id).where(JointSessionOpening.couple_id == couple_id)
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    if db.scalar(query) is None:
        raise JointSessionsNotOpen()


def _confirm(db: Session, booking: Booking, now: datetime) -> None:
    _move(booking, "confirm", now)
    booking.confirmed_at = now
    booking.hold_expires_at = None
    db.flush()
    events.booking_confirmed.send(booking, db=db, now=now)
    notices.booking_notices(db, booking, "confirmed")


def confirm_hold(db: Session, booking: Booking, now: datetime) -> Booking:
    """Confirm a paid hold (no commit). Raise HoldExpired if it expired (it is then marked
    expired and announced) or lost its slot, HoldNotActive if it is no longer a hold."""
    if booking.status == BookingStatus.EXPIRED:
        raise HoldExpired()
    if booking.status != BookingStatus.HELD:
        raise HoldNotActive()
    if lifecycle.hold_has_expired(
            lifecycle.BookingState(str(booking.status), booking.starts_at, booking.hold_expires_at), now):
        _move(booking, "expire", now)
        db.flush()
        events.hold_released.send(booking, db=db, now=now)
        raise HoldExpired()
    _confirm(db, booking, now)
    return booking


def release_hold(db: Session, booking: Booking, now: datetime) -> Booking:
    """End an unpaid hold at once (no commit); announce ``hold_released``. HoldNotActive if not held."""
    if booking.status != BookingStatus.HELD:
        raise HoldNotActive()
    _move(booking, "release", now)
    db.flush()
    events.hold_released.send(booking, db=db, now=now)
    return booking


def expire_stale_holds(db: Session, now: datetime) -> int:
    """Expire every hold past its expiry and commit; return how many."""
    try:
        count = _sweep(db, now)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return count


# --- writing: cancel, reschedule, coach actions ----------------------------------------------


def _client_may_change(booking: Booking, now: datetime) -> None:
    if booking.status == BookingStatus.CONFIRMED and not lifecycle.within_cancellation_window(
            booking.starts_at, now, float(current_app.config.get("CANCEL_MIN_HOURS", 24))):
        raise TooLate()


def cancel_booking(db: Session, booking: Booking, *, now: datetime, by_user: User | None = None,
                   by_coach: bool = False, reason: str = "") -> Booking:
    """Cancel a hold or booking and commit. A client must respect ``CANCEL_MIN_HOURS`` (TooLate);
    a coach may cancel until the start. The couple is told (with an iCalendar CANCEL)."""
    try:
        with immediate(db):
            db.refresh(booking)
            was_held = booking.status == BookingStatus.HELD
            if not by_coach:
                _client_may_change(booking, now)
            _move(booking, "cancel", now)
            booking.cancelled_at, booking.cancel_reason = now, (reason or "").strip()[:500] or None
            booking.cancelled_by_id = by_user.id if by_user is not None else None
            booking.ical_sequence += 1
            db.flush()
            if was_held:
                events.hold_released.send(booking, db=db, now=now)
            else:
                events.booking_cancelled.send(booking, db=db, now=now, by_coach=by_coach, reason=reason or "")
                notices.booking_notices(db, booking, "cancelled")
            db.commit()
    except SchedulingError:
        db.rollback()
        raise
    return booking


def reschedule_booking(db: Session, booking: Booking, *, new_start: datetime, now: datetime,
                       by_user: User | None = None, by_coach: bool = False) -> Booking:
    """Move a confirmed booking to ``new_start``, atomically: the new booking (same UID, next
    SEQUENCE, same payment chain) exists exactly when the old one gave way. Commit; return the new one.
    Raises NotChangeable, TooLate, NotASlot (also for the time it already has) or SlotTaken."""
    new_start = _utc_start(new_start)
    if new_start == booking.starts_at:
        raise NotASlot("Your appointment is already at that time. Please choose a different time.")
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    coach = db.get(CoachProfile, booking.coach_id)
    if session_type is None or coach is None:
        raise NotChangeable()
    with _booking_transaction(db, coach, session_type, new_start, now):
        db.refresh(booking)
        if not by_coach:
            _client_may_change(booking, now)
        _move(booking, "reschedule", now)
        end = _require_slot(db, coach, session_type, new_start, now, exclude_id=booking.id)
        uid = booking.ical_uid
        booking.ical_uid = f"{booking.id}.{uid}"[:100]  # the chain's UID moves to the new booking
        booking.cancelled_at, booking.cancel_reason = now, "rescheduled"
        booking.cancelled_by_id = by_user.id if by_user is not None else None
        db.flush()
        new = Booking(coach_id=booking.coach_id, session_type_id=booking.session_type_id,
                      couple_id=booking.couple_id, booked_by_id=booking.booked_by_id,
                      starts_at=new_start, ends_at=end, status=BookingStatus.CONFIRMED, confirmed_at=now,
                      replaces_id=booking.id, video_url=booking.video_url, ical_uid=uid,
                      ical_sequence=booking.ical_sequence + 1)
        db.add(new)
        db.flush()
        events.booking_rescheduled.send(booking, db=db, now=now, new=new)
        notices.booking_notices(db, new, "rescheduled")
        db.commit()
    return new


def block_time(db: Session, coach: CoachProfile, *, start: datetime, end: datetime, now: datetime,
               note: str = "") -> Booking:
    """Block ``[start, end)`` in the coach's calendar (a booking without a couple); commit.
    Raises NotASlot for an empty or past range, SlotTaken when it overlaps a hold or booking."""
    if start.tzinfo is None or end.tzinfo is None or end <= start:
        raise NotASlot("The end must be after the start.")
    if not (in_range(start.date()) and in_range(end.date())):
        raise NotASlot()
    if end <= now:
        raise NotASlot("That time is already past.")
    try:
        with immediate(db):
            _lock_coach(db, coach.id)
            _sweep(db, now, coach.id)
            block = _new_booking(coach_id=coach.id, starts_at=start.astimezone(UTC), ends_at=end.astimezone(UTC),
                                 status=BookingStatus.CONFIRMED, confirmed_at=now,
                                 cancel_reason=None)
            block.video_url = None
            db.add(block)
            db.flush()
            db.commit()
    except IntegrityError as exc:
        db.rollback()
        if not _is_overlap(exc):
            raise
        raise SlotTaken() from exc
    return block


def mark_attendance(db: Session, booking: Booking, outcome: str, now: datetime) -> Booking:
    """Mark a started confirmed session ``complete`` or ``no_show``; commit. NotChangeable otherwise."""
    if outcome not in ("complete", "no_show"):
        raise NotChangeable()
    try:
        _move(booking, outcome, now)
        if outcome == "complete":
            events.booking_completed.send(booking, db=db, now=now)
        db.commit()
    except SchedulingError:
        db.rollback()
        raise
    return booking


def bookings_in_week(db: Session, coach_id: int, start: datetime, end: datetime) -> list[Booking]:
    """The coach's bookings and holds (any status but expired) starting in ``[start, end)``."""
    return list(db.scalars(select(Booking).where(
        Booking.coach_id == coach_id, Booking.starts_at >= start, Booking.starts_at < end,
        Booking.status != BookingStatus.EXPIRED).order_by(Booking.starts_at)))


def visible_booking(db: Session, user: User, booking_id: int) -> Booking:
    """A booking the user may act on: their couple's (clients) or their own (coaches); else NotFound."""
    booking = db.get(Booking, booking_id)
    if booking is None:
        raise NotFound()
    coach = coach_of_user(db, user.id)
    if coach is not None and booking.coach_id == coach.id:
        return booking
    if booking.couple_id is None or db.scalar(select(Partner.id).where(
            Partner.couple_id == booking.couple_id, Partner.user_id == user.id)) is None:
        raise NotFound()  # any seat of theirs, current or ended: their history stays theirs
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    if session_type is not None and session_type.kind == SessionKind.INDIVIDUAL and booking.booked_by_id != user.id:
        raise NotFound()  # an individual session is the booking partner's own business
    return booking


def upcoming_for_partner(db: Session, couple_ids: Sequence[int], viewer_id: int, now: datetime,
                         limit: int = 10) -> list[Booking]:
    """The held and confirmed bookings of the couples ``couple_ids`` (every couple the partner
    ``viewer_id`` sat in: ``seats.couple_ids_of``) that have not ended, soonest first, as they
    may see them: joint sessions, and individual sessions they booked themselves (the other
    partner's individual sessions are their own business)."""
    return list(db.scalars(
        select(Booking).outerjoin(SessionType, SessionType.id == Booking.session_type_id).where(
            Booking.couple_id.in_(couple_ids), Booking.ends_at > now,
            or_(Booking.status == BookingStatus.CONFIRMED,
                and_(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now)),
            or_(SessionType.kind != SessionKind.INDIVIDUAL, Booking.booked_by_id == viewer_id))
        .order_by(Booking.starts_at).limit(limit)))


def _seen_by(viewer_id: int):  # type: ignore[no-untyped-def]
    """``visible_booking``'s rule as a filter: joint sessions, and individual sessions ``viewer_id`` booked."""
    return or_(SessionType.kind.is_(None), SessionType.kind != SessionKind.INDIVIDUAL, Booking.booked_by_id == viewer_id)


def past_for_partner(db: Session, couple_ids: Sequence[int], viewer_id: int, now: datetime,
                     limit: int = 20) -> list[Booking]:
    """The sessions of the couples ``couple_ids`` that have ended (held, attended or missed),
    latest first, as the partner ``viewer_id`` may see them (``visible_booking``'s rule)."""
    return list(db.scalars(
        select(Booking).outerjoin(SessionType, SessionType.id == Booking.session_type_id).where(
            Booking.couple_id.in_(couple_ids), Booking.ends_at <= now,
            Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)),
            _seen_by(viewer_id))
        .order_by(Booking.starts_at.desc()).limit(limit)))
