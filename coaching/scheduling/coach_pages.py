"""The coach's scheduling pages: weekly hours, date overrides, time off, session types, week view."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import Role, User
from coaching.intake.models import Couple
from coaching.intake import safety
from coaching.scheduling import availability, openings, services
from coaching.scheduling.forms import (
    DAY_NAMES, AttendanceForm, BlockForm, CancelForm, EntryForm, OpenJointForm, OverrideForm, SessionTypesForm,
    TimeOffForm, WeeklyHoursForm,
)
from coaching.scheduling.models import DateOverride, SessionType, TimeOff
from coaching.scheduling.slots import WEEKDAY_KEYS
from coaching.scheduling.views import bp
from coaching.security import coach_profile_of, role_required
from coaching.validation import parse_date_or


def _coach():  # type: ignore[no-untyped-def]
    coach = coach_profile_of(current_user)
    if coach is None:
        abort(404)
    return coach


def _form_errors(form, exc: availability.AvailabilityInvalid) -> None:  # type: ignore[no-untyped-def]
    for name, message in exc.errors.items():
        getattr(form, name).errors = [*getattr(form, name).errors, message]


@bp.route("/coach/hours", methods=["GET", "POST"])
@role_required(Role.COACH)
def hours():
    coach = _coach()
    form = WeeklyHoursForm()
    if request.method == "GET":
        form.timezone.data = coach.timezone
        for key, text in availability.weekly_text(db.session, coach).items():
            getattr(form, key).data = text
    elif form.validate_on_submit():
        try:
            availability.save_weekly_hours(db.session, coach, form.timezone.data or "",
                                           {k: getattr(form, k).data for k in WEEKDAY_KEYS})
        except availability.AvailabilityInvalid as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            flash("Your weekly hours are saved.", "success")
            return redirect(url_for("scheduling.hours"))
    status = 422 if form.errors else 200
    return render_template("scheduling/coach_hours.html", form=form, days=WEEKDAY_KEYS, names=DAY_NAMES), status


@bp.route("/coach/overrides", methods=["GET", "POST"])
@role_required(Role.COACH)
def overrides():
    coach = _coach()
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            availability.add_override(db.session, coach, form.on_date.data, form.start.data, form.end.data,
                                      form.closed.data,
                                      today=clock.now().astimezone(ZoneInfo(coach.timezone)).date())
        except availability.AvailabilityInvalid as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            flash("The date is saved.", "success")
            return redirect(url_for("scheduling.overrides"))
    entries = db.session.scalars(select(DateOverride).where(
        DateOverride.coach_id == coach.id, DateOverride.on_date >= clock.now().date() - timedelta(days=1))
        .order_by(DateOverride.on_date)).all()
    return render_template("scheduling/coach_overrides.html", form=form, entries=entries,
                           remove=EntryForm(prefix="remove")), 422 if form.errors else 200


@bp.route("/coach/time-off", methods=["GET", "POST"])
@role_required(Role.COACH)
def time_off():
    coach = _coach()
    form = TimeOffForm()
    if form.validate_on_submit():
        try:
            availability.add_time_off(db.session, coach, form.start_date.data, form.end_date.data,
                                      form.reason.data or "")
        except availability.AvailabilityInvalid as exc:
            db.session.rollback()
            _form_errors(form, exc)
        else:
            flash("Your time off is saved.", "success")
            return redirect(url_for("scheduling.time_off"))
    entries = db.session.scalars(select(TimeOff).where(TimeOff.coach_id == coach.id)
                                 .order_by(TimeOff.start_date)).all()
    return render_template("scheduling/coach_time_off.html", form=form, entries=entries,
                           remove=EntryForm(prefix="remove")), 422 if form.errors else 200


@bp.post("/coach/<any(overrides, 'time-off'):kind>/<int:entry_id>/remove")
@role_required(Role.COACH)
def remove_entry(kind: str, entry_id: int):
    if not EntryForm(prefix="remove").validate_on_submit():
        abort(400)
    model = DateOverride if kind == "overrides" else TimeOff
    if not availability.remove_entry(db.session, _coach(), model, entry_id):
        abort(404)
    flash("Removed.", "success")
    return redirect(url_for("scheduling.overrides" if kind == "overrides" else "scheduling.time_off"))


@bp.route("/coach/session-types", methods=["GET", "POST"])
@role_required(Role.COACH)
def session_types():
    coach = _coach()
    form = SessionTypesForm()
    active = db.session.scalars(select(SessionType).where(SessionType.active.is_(True)).order_by(SessionType.id)).all()
    form.offered.choices = [(t.slug, f"{t.name} ({t.duration_min} min)") for t in active]
    if form.validate_on_submit():
        availability.set_session_types(db.session, coach, form.offered.data or [])
        flash("Your session types are saved.", "success")
        return redirect(url_for("scheduling.session_types"))
    if request.method == "GET":
        form.offered.data = [t.slug for t in coach.session_types]
    return render_template("scheduling/coach_session_types.html", form=form)


# --- week view --------------------------------------------------------------------------------


def _monday(zone: ZoneInfo) -> date:
    chosen = parse_date_or(request.args.get("week"), clock.now().astimezone(zone).date())
    return chosen - timedelta(days=chosen.weekday())


@bp.get("/coach/calendar")
@role_required(Role.COACH)
def calendar():
    coach = _coach()
    zone = ZoneInfo(coach.timezone)
    monday = _monday(zone)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=zone).astimezone(UTC)
    bookings = services.bookings_in_week(db.session, coach.id, start, end)
    days: dict[date, list] = {monday + timedelta(days=i): [] for i in range(7)}
    for booking in bookings:
        days.setdefault(booking.starts_at.astimezone(zone).date(), []).append(booking)
    off = db.session.scalars(select(TimeOff).where(TimeOff.coach_id == coach.id, TimeOff.start_date <= monday + timedelta(days=6),
                                                   TimeOff.end_date >= monday)).all()
    couples = {c.id: c for c in db.session.scalars(select(Couple).where(
        Couple.id.in_({b.couple_id for b in bookings if b.couple_id})))}
    types = {t.id: t for t in db.session.scalars(select(SessionType))}
    bookers = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({b.booked_by_id for b in bookings if b.couple_id and b.booked_by_id})))}
    return render_template("scheduling/coach_calendar.html", coach=coach, days=days, off=off, couples=couples,
                           types=types, bookers=bookers, monday=monday, now=clock.now(), block_form=BlockForm(prefix="block"),
                           cancel_form=CancelForm(prefix="cancel"), attendance_form=AttendanceForm(prefix="att"),
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))


def _back(booking_start: datetime | None = None):  # type: ignore[no-untyped-def]
    week = request.args.get("week") or (booking_start.date().isoformat() if booking_start else None)
    return redirect(url_for("scheduling.calendar", week=week) if week else url_for("scheduling.calendar"))


@bp.post("/coach/blocks")
@role_required(Role.COACH)
def block():
    coach = _coach()
    form = BlockForm(prefix="block")
    if not form.validate_on_submit():
        flash("Give a date, a start and an end time to block.", "error")
        return _back()
    zone = ZoneInfo(coach.timezone)
    start = datetime.combine(form.on_date.data, form.start.data, tzinfo=zone)
    end = datetime.combine(form.on_date.data, form.end.data, tzinfo=zone)
    try:
        services.block_time(db.session, coach, start=start, end=end, now=clock.now())
    except services.SchedulingError as exc:
        flash("That time overlaps a booking or hold." if isinstance(exc, services.SlotTaken) else str(exc), "error")
    else:
        flash("The time is blocked.", "success")
    return redirect(url_for("scheduling.calendar", week=form.on_date.data.isoformat()))


def _own_booking(booking_id: int):  # type: ignore[no-untyped-def]
    coach = _coach()
    try:
        booking = services.visible_booking(db.session, current_user, booking_id)
    except services.NotFound:
        abort(404)
    if booking.coach_id != coach.id:
        abort(404)
    return coach, booking


@bp.post("/coach/bookings/<int:booking_id>/cancel")
@role_required(Role.COACH)
def coach_cancel(booking_id: int):
    coach, booking = _own_booking(booking_id)
    form = CancelForm(prefix="cancel")
    if not form.validate_on_submit():
        abort(400)
    if booking.couple_id is not None and not (form.reason.data or "").strip():
        flash("Please give the couple a reason for the cancellation.", "error")
        return _back(booking.starts_at.astimezone(ZoneInfo(coach.timezone)))
    try:
        services.cancel_booking(db.session, booking, now=clock.now(), by_user=current_user, by_coach=True,
                                reason=form.reason.data or "")
        flash("Cancelled. The couple has been told." if booking.couple_id else "The block is removed.", "success")
    except services.SchedulingError as exc:
        flash(str(exc), "error")
    return _back(booking.starts_at.astimezone(ZoneInfo(coach.timezone)))


@bp.post("/coach/bookings/<int:booking_id>/attendance")
@role_required(Role.COACH)
def attendance(booking_id: int):
    coach, booking = _own_booking(booking_id)
    form = AttendanceForm(prefix="att")
    if not form.validate_on_submit() or form.outcome.data not in ("complete", "no_show"):
        abort(400)
    try:
        services.mark_attendance(db.session, booking, form.outcome.data, clock.now())
        flash("Marked.", "success")
        if form.outcome.data == "complete" and booking.couple_id is not None:
            return redirect(url_for("notes.session_note", booking_id=booking.id))  # write the note now
    except services.SchedulingError as exc:
        flash(str(exc), "error")
    return _back(booking.starts_at.astimezone(ZoneInfo(coach.timezone)))


# --- a couple's gate: welcome calls, then the coach opens joint sessions ------------------------


def _own_couple(couple_id: int) -> Couple:
    coach = _coach()
    couple = db.session.get(Couple, couple_id)
    if couple is None or couple.coach_id != coach.id:
        abort(404)
    return couple


def _couple_page(couple: Couple, form: OpenJointForm, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("scheduling/coach_couple.html", couple=couple, form=form,
                           calls=openings.welcome_calls(db.session, couple),
                           flags=safety.flags_of_couple(db.session, couple.id),
                           unresolved=safety.unresolved_flags(db.session, couple.id)), status


@bp.get("/coach/couples/<int:couple_id>/joint")
@role_required(Role.COACH)
def coach_couple(couple_id: int):
    return _couple_page(_own_couple(couple_id), OpenJointForm())


@bp.post("/coach/couples/<int:couple_id>/open-joint")
@role_required(Role.COACH)
def open_joint(couple_id: int):
    couple = _own_couple(couple_id)
    form = OpenJointForm()
    if not form.validate_on_submit():
        flash("Please keep the note under 4000 characters.", "error")
        return _couple_page(couple, form, 422)
    try:
        openings.open_joint_sessions(db.session, couple, current_user, flags_reviewed=form.flags_reviewed.data,
                                     note=form.note.data or "", now=clock.now())
    except services.SchedulingError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _couple_page(couple, form, exc.status)
    flash("Joint sessions are open. Both partners can now book the consultation.", "success")
    return redirect(url_for("scheduling.coach_couple", couple_id=couple.id))
