"""Pages of the scheduling feature: a client books, sees and changes a booking.

The coach's pages (hours, overrides, time off, week view) are in ``coach_pages``, on this blueprint.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.services import list_public_coaches
from coaching.scheduling import links, services
from coaching.scheduling.forms import ClientCancelForm, SlotForm
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.scheduling.rate_limits import limit_hold_creation
from coaching.scheduling.slots import both_free
from coaching.security import role_required, verified_required
from coaching.timezones import is_valid_zone
from coaching.validation import parse_date_or, parse_instant

bp = Blueprint("scheduling", __name__)

DAYS_SHOWN = 14


def _zone() -> str:
    return getattr(current_user, "timezone", None) or "UTC"


def _from_date(zone: str) -> date:
    today = clock.now().astimezone(ZoneInfo(zone)).date()
    return max(today, parse_date_or(request.args.get("from"), today))


def grouped_slots(found: list[tuple[datetime, datetime]], zone: str, couple) -> tuple[OrderedDict, OrderedDict]:  # type: ignore[no-untyped-def]
    """({local date: [(start, end)] that suit both partners}, {local date: [(start, end, suits_both)]}) in ``zone``."""
    partners = services.couple_free_times(couple)
    tz = ZoneInfo(zone)
    shared: OrderedDict = OrderedDict()
    by_day: OrderedDict = OrderedDict()
    for slot in found:
        suits = both_free(slot, partners)
        day = slot[0].astimezone(tz).date()
        by_day.setdefault(day, []).append((slot[0], slot[1], suits))
        if suits:
            shared.setdefault(day, []).append(slot)
    return shared, by_day


def _window(zone: str, first: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    return (datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC),
            datetime.combine(first + timedelta(days=DAYS_SHOWN), time(0), tzinfo=tz).astimezone(UTC))


@bp.app_template_global("welcome_slug")
def welcome_slug() -> str:
    return current_app.config.get("WELCOME_SESSION_TYPE", "welcome")


@bp.app_template_global("first_joint_slug")
def first_joint_slug() -> str:
    return current_app.config.get("MATCH_SESSION_TYPE", "consultation")


@bp.get("/book")
@role_required(Role.CLIENT)
def choose():
    couple = services.couple_of_user(db.session, current_user.id)
    coaches = list_public_coaches(db.session)
    if couple is not None and couple.coach_id:
        coaches.sort(key=lambda c: c.id != couple.coach_id)
    return render_template("scheduling/choose.html", coaches=coaches, couple=couple)


@bp.route("/book/<int:coach_id>/<slug>", methods=["GET", "POST"])
@limit_hold_creation
@role_required(Role.CLIENT)
@verified_required
def book(coach_id: int, slug: str):
    try:
        coach, session_type = services.bookable_session_type(db.session, coach_id, slug)
    except services.NotFound:
        abort(404)
    zone = _zone()
    form = SlotForm()
    status = 200
    if form.validate_on_submit():
        try:
            start = parse_instant(form.start.data)
            booking = services.place_hold(db.session, user=current_user, coach_id=coach.id,
                                          session_type_slug=slug, start=start, now=clock.now())
        except ValueError:
            flash("Please choose one of the times shown.", "error")
            status = 422
        except services.SchedulingError as exc:
            flash(str(exc), "error")
            status = exc.status
        else:
            return redirect(_after_hold(booking))
    elif request.method == "POST":
        status = 400
        flash("Please choose one of the times shown.", "error")
    first = _from_date(zone)
    couple = services.couple_of_user(db.session, current_user.id)
    closed = services.joint_gate_refusal(session_type, couple, coach.id) if couple is not None else None
    found = [] if closed else services.free_slots(db.session, coach.id, session_type, *_window(zone, first),
                                                  clock.now())
    shared, by_day = grouped_slots(found, zone, couple)
    return render_template("scheduling/book.html", coach=coach, session_type=session_type, zone=zone,
                           shared=shared, by_day=by_day, first=first, days=DAYS_SHOWN, form=form, closed=closed,
                           action=url_for("scheduling.book", coach_id=coach.id, slug=slug),
                           next_from=first + timedelta(days=DAYS_SHOWN)), status


def _after_hold(booking: Booking) -> str:
    if booking.status == BookingStatus.HELD:
        try:
            return url_for("payments.checkout", booking_id=booking.id)
        except BuildError:
            flash("Your time is held. Payment is not available online yet; we will be in touch.", "info")
    return url_for("scheduling.booking", booking_id=booking.id)


@bp.get("/bookings/<int:booking_id>")
@role_required(Role.CLIENT)
def booking(booking_id: int):
    try:
        found = services.visible_booking(db.session, current_user, booking_id)
    except services.NotFound:
        abort(404)
    manage = None
    if found.status == BookingStatus.CONFIRMED:
        manage = url_for("scheduling.manage", token=links.make_link_token(
            current_app.config["SECRET_KEY"], found.id, found.version))
    return render_template("scheduling/booking.html", booking=found, zone=_zone(), manage=manage,
                           session_type=db.session.get(SessionType, found.session_type_id))


def _cancellation_outcome(found: Booking):  # type: ignore[no-untyped-def]
    """What cancelling now would refund or return (payments' policy); None without payments."""
    try:
        from coaching.payments.services import cancellation_preview
    except ImportError:  # pragma: no cover - payments is part of the app
        return None
    return cancellation_preview(db.session, found, clock.now())


# --- single-use links from the emails --------------------------------------------------------


def _linked_booking(token: str) -> Booking | None:
    """The booking a link is for, if the link is genuine and still current; else None."""
    try:
        link = links.read_link_token(current_app.config["SECRET_KEY"], token)
    except links.LinkInvalid:
        return None
    found = db.session.get(Booking, link.booking_id)
    if found is None or found.version != link.version or found.status != BookingStatus.CONFIRMED:
        return None
    return found


@bp.route("/bookings/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    found = _linked_booking(token)
    if found is None:
        return render_template("scheduling/link_used.html"), 410
    session_type = db.session.get(SessionType, found.session_type_id)
    zone = request.args.get("tz", "")
    if not is_valid_zone(zone):
        zone = _zone()
    cancel_form, slot_form = ClientCancelForm(prefix="cancel"), SlotForm(prefix="move")
    status = 200
    try:
        if request.method == "POST" and request.form.get("action") == "cancel" and cancel_form.validate():
            if request.form.get("confirm") != "yes":  # first say what will happen, then ask to confirm
                return render_template("scheduling/cancel_confirm.html", booking=found, zone=zone,
                                       session_type=session_type, cancel_form=cancel_form,
                                       outcome=_cancellation_outcome(found))
            services.cancel_booking(db.session, found, now=clock.now(), reason=cancel_form.reason.data or "",
                                    by_user=current_user if current_user.is_authenticated else None)
            flash("Your appointment is cancelled. We have emailed you a confirmation.", "success")
            return redirect(url_for("public.landing"))
        if request.method == "POST" and request.form.get("action") == "move" and slot_form.validate():
            new = services.reschedule_booking(db.session, found, new_start=parse_instant(slot_form.start.data),
                                              now=clock.now(),
                                              by_user=current_user if current_user.is_authenticated else None)
            flash("Your appointment has moved. We have emailed you the new time.", "success")
            return render_template("scheduling/moved.html", booking=new, zone=zone, session_type=session_type)
        if request.method == "POST":
            status = 400
            flash("That request was not complete. Please try again.", "error")
    except (ValueError, services.SchedulingError) as exc:
        flash(str(exc) if isinstance(exc, services.SchedulingError) else "Please choose one of the times shown.",
              "error")
        status = getattr(exc, "status", 422)
        db.session.refresh(found)
        if found.status != BookingStatus.CONFIRMED:
            return render_template("scheduling/link_used.html"), 410
    found_slots = []
    if session_type is not None:
        now = clock.now()
        found_slots = services.free_slots(db.session, found.coach_id, session_type, now, now + timedelta(days=DAYS_SHOWN),
                                          now, exclude_booking_id=found.id)
        found_slots = [slot for slot in found_slots if slot[0] != found.starts_at]  # not the time it already has
    _shared, by_day = grouped_slots(found_slots, zone, None)
    outcome = _cancellation_outcome(found)
    return render_template("scheduling/manage.html", booking=found, session_type=session_type, zone=zone,
                           by_day=by_day, cancel_form=cancel_form, slot_form=slot_form, token=token,
                           outcome=outcome), status


from coaching.scheduling import coach_pages  # noqa: E402,F401  (registers the coach's routes on bp)
