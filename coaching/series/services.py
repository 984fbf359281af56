"""Series use cases: hold every occurrence in one transaction, pay, cancel one or the rest.

Holding a series reuses scheduling's booking transaction (the coach's row lock on
PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, the no-overlap constraint behind both): every
occurrence is checked and held inside it, so either all are held or none is, and the client
is told which dates clash, with the nearest free times for each. A series counts as ONE
hold group against ``MAX_HOLDS_PER_COUPLE`` (``scheduling.services.active_holds_seen_by``).
Paying and cancelling go through payments' and scheduling's own paths per occurrence, so
the cancellation policy, refunds, credits, emails and signals apply to each unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.db import immediate
from coaching.notify.outbox import queue_email
from coaching.scheduling import events
from coaching.scheduling import services as sched
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType
from coaching.series import plan
from coaching.series.models import BookingSeries, SeriesOccurrence

ALTERNATIVES = 3
ALTERNATIVE_DAYS = 7  # alternatives are looked for from the clashing date's morning, this many days on


class SeriesRefused(sched.SchedulingError):
    """This series cannot be booked as asked."""
    code, status = "invalid_series", 422


@dataclass(frozen=True)
class Clash:
    position: int
    local_date: str                      # the requested date, in the booker's zone
    start: datetime | None               # the requested start (UTC); None: that wall time does not exist
    reason: str                          # "taken" | "unavailable" | "no_such_time"
    alternatives: list[tuple[datetime, datetime]] = field(default_factory=list)


class SeriesClash(sched.SchedulingError):
    """Some dates of this series are not free. Choose another time for each, or leave them out."""
    code, status = "series_clash", 409

    def __init__(self, clashes: list[Clash], fine: list[plan.Occurrence]) -> None:
        super().__init__()
        self.clashes = clashes
        self.fine = fine  # the occurrences that were free (not held: nothing was)


def requested_occurrences(first: datetime, zone: str, every: object, count: object) -> tuple[int, list[plan.Occurrence]]:
    """(weeks, occurrences) of a request; ``SeriesRefused`` for a bad interval or count."""
    try:
        weeks = plan.interval_weeks(every)
        return weeks, plan.occurrences(first, zone, weeks, plan.check_count(count))
    except plan.PlanError as exc:
        raise SeriesRefused(str(exc)) from exc


def explicit_occurrences(starts: list[datetime], zone: str) -> list[plan.Occurrence]:
    """The occurrences of an explicit list of starts (after a clash was resolved), in time order."""
    if not 1 <= len(starts) <= plan.MAX_COUNT:
        raise SeriesRefused(f"A series has between 1 and {plan.MAX_COUNT} sessions.")
    utc = sorted(sched._utc_start(s) for s in starts)
    if len(set(utc)) != len(utc):
        raise SeriesRefused("Each session of a series needs its own time.")
    tz = ZoneInfo(zone)
    return [plan.Occurrence(i, s, s.astimezone(tz).date().isoformat()) for i, s in enumerate(utc)]


def _alternatives(db: Session, coach_id: int, session_type: SessionType, local_date: str, zone: str,
                  wanted: datetime | None, now: datetime) -> list[tuple[datetime, datetime]]:
    """The free times nearest the wanted one, from that local day on (the series' other
    occurrences are flushed at this point, so no alternative overlaps them)."""
    tz = ZoneInfo(zone)
    day = datetime.combine(datetime.fromisoformat(local_date).date(), time(0), tzinfo=tz).astimezone(UTC)
    start = max(day, now)
    found = sched.free_slots(db, coach_id, session_type, start, start + timedelta(days=ALTERNATIVE_DAYS), now)
    anchor = wanted or day
    nearest = sorted(found, key=lambda s: (abs((s[0] - anchor).total_seconds()), s[0]))[:ALTERNATIVES]
    return sorted(nearest)


def hold_series(db: Session, *, user: User, coach_id: int, session_type_slug: str,
                occurrences: list[plan.Occurrence], weeks: int, zone: str, now: datetime,
                requested: int | None = None) -> BookingSeries:
    """Hold (or, for a free session type, confirm) every occurrence for the user's couple in
    one transaction; commit and return the series. Raises ``SeriesClash`` (nothing held) with
    each clashing date's alternatives, or scheduling's refusals (NotFound, NotAllowed,
    JointSessionsNotOpen, TooManyHolds, SlotTaken when the database's constraint caught a race)."""
    if not 1 <= len(occurrences) <= plan.MAX_COUNT or weeks not in (1, 2):
        raise SeriesRefused()
    coach, session_type = sched.bookable_session_type(db, coach_id, session_type_slug)
    if not user.is_verified:
        raise sched.NotAllowed("Please confirm your email address before booking.")
    couple = sched.couple_of_user(db, user.id)
    if couple is None:
        raise sched.NotAllowed("Booking opens once you have started the questionnaire.")
    refusal = sched.joint_gate_refusal(session_type, couple, coach.id)
    if refusal is not None:
        raise refusal
    hold_until = now + timedelta(minutes=int(current_app.config.get("HOLD_MINUTES", 15)))
    return _hold(db, coach, session_type, couple.id, user.id, occurrences, weeks, zone, now, requested,
                 hold_until, check_cap=True)


def hold_series_for_couple(db: Session, *, coach_user: User, couple_id: int, session_type_slug: str,
                           occurrences: list[plan.Occurrence], weeks: int, now: datetime,
                           requested: int | None = None) -> BookingSeries:
    """The coach books a series of joint sessions for one of their couples, at the coach's wall
    time. Paid sessions are held for ``SERIES_COACH_HOLD_HOURS`` and both partners are emailed a
    link to confirm and pay (the couple's hold cap does not apply: the coach chose to reserve
    their own time); free ones are confirmed at once. Same all-or-nothing transaction and
    ``SeriesClash`` as ``hold_series``; NotFound for someone else's couple, NotAllowed for an
    individual session type, JointSessionsNotOpen until the coach has opened them."""
    from coaching.intake.models import Couple

    if not 1 <= len(occurrences) <= plan.MAX_COUNT or weeks not in (1, 2):
        raise SeriesRefused()
    coach = sched.coach_of_user(db, coach_user.id)
    couple = db.get(Couple, couple_id)
    if coach is None or couple is None or couple.coach_id != coach.id:
        raise sched.NotFound()
    coach, session_type = sched.bookable_session_type(db, coach.id, session_type_slug)
    if session_type.kind != SessionKind.JOINT:
        raise sched.NotAllowed("A coach books a series of joint sessions; individual sessions are each partner's own.")
    refusal = sched.joint_gate_refusal(session_type, couple, coach.id)
    if refusal is not None:
        raise refusal
    hold_until = now + timedelta(hours=float(current_app.config.get("SERIES_COACH_HOLD_HOURS", 48)))
    return _hold(db, coach, session_type, couple.id, coach_user.id, occurrences, weeks, coach.timezone, now,
                 requested, hold_until, check_cap=False, reserved_by_coach=True)


def _hold(db: Session, coach, session_type: SessionType, couple_id: int, booker_id: int,  # type: ignore[no-untyped-def]
          occurrences: list[plan.Occurrence], weeks: int, zone: str, now: datetime, requested: int | None,
          hold_until: datetime, *, check_cap: bool, reserved_by_coach: bool = False) -> BookingSeries:
    """The one transaction of a series: check and hold each occurrence, or raise SeriesClash."""
    first = next((o.start for o in occurrences if o.start is not None), now)
    with sched._booking_transaction(db, coach, session_type, first, now):
        sched.require_joint_opening(db, session_type, couple_id)
        if check_cap and not session_type.is_free:
            sched._check_hold_cap(db, couple_id, booker_id, now)  # the whole series is one hold group
        held: list[tuple[plan.Occurrence, Booking]] = []
        clashes: list[Clash] = []
        for occurrence in occurrences:
            if occurrence.start is None:
                clashes.append(Clash(occurrence.position, occurrence.local_date, None, "no_such_time"))
                continue
            try:
                end = sched._require_slot(db, coach, session_type, occurrence.start, now)
            except sched.NotASlot:
                clashes.append(Clash(occurrence.position, occurrence.local_date, occurrence.start, "unavailable"))
                continue
            except sched.SlotTaken:
                clashes.append(Clash(occurrence.position, occurrence.local_date, occurrence.start, "taken"))
                continue
            booking = sched._new_booking(
                coach_id=coach.id, session_type_id=session_type.id, couple_id=couple_id, booked_by_id=booker_id,
                starts_at=occurrence.start, ends_at=end, status=BookingStatus.HELD, hold_expires_at=hold_until)
            db.add(booking)
            db.flush()  # the next occurrence's check (and the alternatives) see this one
            held.append((occurrence, booking))
        if clashes:
            found = [Clash(c.position, c.local_date, c.start, c.reason,
                           _alternatives(db, coach.id, session_type, c.local_date, zone, c.start, now))
                     for c in clashes]
            raise SeriesClash(found, [o for o, _ in held])
        series = BookingSeries(coach_id=coach.id, couple_id=couple_id, session_type_id=session_type.id,
                               booked_by_id=booker_id, interval_weeks=weeks, zone=zone,
                               requested=min(max(requested or len(held), 1), plan.MAX_COUNT))
        db.add(series)
        db.flush()
        for position, (_occurrence, booking) in enumerate(held):
            db.add(SeriesOccurrence(series_id=series.id, booking_id=booking.id, position=position))
        db.flush()
        for _occurrence, booking in held:
            if session_type.is_free:
                sched._confirm(db, booking, now)
            else:
                events.hold_placed.send(booking, db=db, now=now)
        if reserved_by_coach and not session_type.is_free:
            _tell_couple_reserved(db, series, coach, session_type, [b for _, b in held], hold_until)
        db.commit()
    return series


def _tell_couple_reserved(db: Session, series: BookingSeries, coach, session_type: SessionType,  # type: ignore[no-untyped-def]
                          bookings: list[Booking], hold_until: datetime) -> None:
    """Email both partners (each in their own zone) that their coach reserved these times."""
    from coaching.scheduling.notices import recipients
    from coaching.templating import local_time

    link = current_app.config["TANDEM_BASE_URL"] + f"/series/{series.id}"
    for user, zone in recipients(db, bookings[0], session_type):
        queue_email(db, user.email, "series_reserved", name=user.name, coach_name=coach.name, title=session_type.name,
                    zone=zone, dates=[local_time(b.starts_at, zone) for b in bookings],
                    until=local_time(hold_until, zone), series_url=link)


# --- reading ---------------------------------------------------------------------------------


def occurrences_of(db: Session, series_id: int) -> list[Booking]:
    """The series' bookings in order (any status)."""
    return list(db.scalars(select(Booking).join(SeriesOccurrence, SeriesOccurrence.booking_id == Booking.id)
                           .where(SeriesOccurrence.series_id == series_id).order_by(SeriesOccurrence.position)))


def visible_series(db: Session, user: User, series_id: int) -> BookingSeries:
    """A series the user may see: their own (the coach), their couple's joint series, or an
    individual series they booked themselves (``visible_booking``'s rule); else NotFound."""
    series = db.get(BookingSeries, series_id)
    if series is None:
        raise sched.NotFound()
    coach = sched.coach_of_user(db, user.id)
    if coach is not None and coach.id == series.coach_id:
        return series
    couple = sched.couple_of_user(db, user.id)
    if couple is None or series.couple_id is None or couple.id != series.couple_id:
        raise sched.NotFound()
    session_type = db.get(SessionType, series.session_type_id)
    if session_type is not None and session_type.kind == SessionKind.INDIVIDUAL and series.booked_by_id != user.id:
        raise sched.NotFound()
    return series


def series_seen_by(db: Session, couple_id: int, viewer_id: int, now: datetime) -> list[BookingSeries]:
    """The couple's series with a session still to come, as the partner ``viewer_id`` may see them."""
    return list(db.scalars(
        select(BookingSeries).join(SessionType, SessionType.id == BookingSeries.session_type_id)
        .where(BookingSeries.couple_id == couple_id,
               (SessionType.kind != SessionKind.INDIVIDUAL) | (BookingSeries.booked_by_id == viewer_id),
               BookingSeries.id.in_(select(SeriesOccurrence.series_id).join(
                   Booking, Booking.id == SeriesOccurrence.booking_id).where(
                   Booking.ends_at > now, Booking.status.in_((BookingStatus.HELD, BookingStatus.CONFIRMED)))))
        .order_by(BookingSeries.id)))


def positions(db: Session, booking_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """booking id -> (series id, 1-based position, occurrences) for those in a series (two queries)."""
    if not booking_ids:
        return {}
    rows = db.execute(select(SeriesOccurrence.booking_id, SeriesOccurrence.series_id, SeriesOccurrence.position)
                      .where(SeriesOccurrence.booking_id.in_(booking_ids))).all()
    if not rows:
        return {}
    from sqlalchemy import func

    sizes = dict(db.execute(select(SeriesOccurrence.series_id, func.count()).where(
        SeriesOccurrence.series_id.in_({r.series_id for r in rows})).group_by(SeriesOccurrence.series_id)).all())
    return {r.booking_id: (r.series_id, r.position + 1, int(sizes[r.series_id])) for r in rows}


# --- paying ------------------------------------------------------------------------------------


def pay_series(db: Session, series: BookingSeries, user: User, now: datetime):  # type: ignore[no-untyped-def]
    """Pay every held occurrence: with package credits for all of them in one transaction when
    the couple's credits cover them all; otherwise per session through payments'
    ``start_checkout`` (credits first, then an invoice or Stripe Checkout). Returns the
    ``CheckoutOutcome`` (``redirect``: the first Checkout; the series page pays the rest)."""
    from coaching.payments import credits
    from coaching.payments.services import CheckoutOutcome, HoldGone, start_checkout

    held = [b for b in occurrences_of(db, series.id) if b.status == BookingStatus.HELD]
    if not held:
        return CheckoutOutcome("confirmed")
    if any(b.hold_expires_at is None or b.hold_expires_at <= now for b in held):
        raise HoldGone("The hold on these times has ended. Please choose the times again.")
    try:
        with immediate(db):
            for booking in held:
                booking = db.get(Booking, booking.id, with_for_update=True, populate_existing=True)
                purchase = credits.covering_purchase(db, booking.couple_id, booking.session_type_id,
                                                     starts_at=booking.starts_at, now=now, lock=True)
                if purchase is None:
                    raise _NotEnoughCredits()
                credits.use(db, purchase, booking.id)
                sched.confirm_hold(db, booking, now)
            db.commit()
            return CheckoutOutcome("credit")
    except _NotEnoughCredits:
        pass  # rolled back: no credit spent
    except (sched.HoldExpired, sched.HoldNotActive) as exc:
        raise HoldGone("The hold on these times has ended. Please choose the times again.") from exc
    outcome = CheckoutOutcome("confirmed")
    opened = _open_checkouts(db, [b.id for b in held], now)
    for booking in [b for b in held if b.id not in opened] or held[:1]:
        outcome = start_checkout(db, booking, user, now)
        if outcome.kind == "redirect":
            return outcome  # Stripe: one Checkout per session; paying again starts the next one
    return CheckoutOutcome("invoice") if outcome.kind in ("invoice", "credit") else outcome


def _open_checkouts(db: Session, booking_ids: list[int], now: datetime) -> set[int]:
    """The bookings among ``booking_ids`` whose Stripe Checkout is open (being paid)."""
    from coaching.payments.models import Payment, Provider
    from coaching.payments.states import OPEN

    return set(db.scalars(select(Payment.booking_id).where(
        Payment.booking_id.in_(booking_ids), Payment.provider == Provider.STRIPE, Payment.status.in_(OPEN),
        Payment.checkout_expires_at > now)))


class _NotEnoughCredits(Exception):
    pass


# --- cancelling --------------------------------------------------------------------------------


SCOPES = ("one", "later")


def cancel_targets(db: Session, series: BookingSeries, booking_id: int, scope: str) -> list[Booking]:
    """The live occurrences ``scope`` names: the one, or it and every later one; NotFound otherwise."""
    if scope not in SCOPES:
        raise SeriesRefused("Choose this session only, or this and all later ones.")
    live = [b for b in occurrences_of(db, series.id) if b.status in (BookingStatus.HELD, BookingStatus.CONFIRMED)]
    chosen = next((b for b in live if b.id == booking_id), None)
    if chosen is None:
        raise sched.NotFound("That session of the series cannot be cancelled.")
    if scope == "one":
        return [chosen]
    return [b for b in live if b.starts_at >= chosen.starts_at]


def cancel_occurrences(db: Session, series: BookingSeries, booking_id: int, scope: str, *, now: datetime,
                       by_user: User | None, by_coach: bool = False, reason: str = "") -> list[Booking]:
    """Cancel one occurrence, or it and all later ones, each through ``cancel_booking`` (so the
    cancellation policy, refund or credit, emails and signals apply per occurrence). A client
    too close to the first one changes nothing (TooLate)."""
    targets = cancel_targets(db, series, booking_id, scope)
    if not by_coach:
        sched._client_may_change(targets[0], now)  # the earliest is the tightest
    done = []
    for booking in targets:
        done.append(sched.cancel_booking(db, booking, now=now, by_user=by_user, by_coach=by_coach, reason=reason))
    return done


def cancellation_previews(db: Session, bookings: list[Booking], now: datetime) -> dict[int, object]:
    """booking id -> payments' ``CancellationPreview`` (what cancelling each now would do)."""
    from coaching.payments.services import cancellation_preview

    return {b.id: cancellation_preview(db, b, now) for b in bookings}


def on_booking_rescheduled(booking: Booking, *, db: Session, new: Booking, **_: object) -> None:
    """A rescheduled occurrence stays in its series (the new booking takes its place)."""
    row = db.get(SeriesOccurrence, booking.id)
    if row is not None:
        series_id, position = row.series_id, row.position
        db.delete(row)
        db.flush()
        db.add(SeriesOccurrence(series_id=series_id, booking_id=new.id, position=position))
        db.flush()


def connect() -> None:
    events.booking_rescheduled.connect(on_booking_rescheduled)
