"""Pages of a series: book one from the book page, resolve clashes, pay, cancel one or the rest.

Everything works without JavaScript: the interval and count are chosen in a GET form on the
book page; each time is its own small POST form; a clash page is one form of radio groups.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.errors import refuse
from coaching.coaches.models import CoachProfile
from coaching.form_fields import select_choices
from coaching.scheduling import services as sched
from coaching.scheduling.models import BookingStatus, SessionType
from coaching.scheduling.rate_limits import limit_hold_creation
from coaching.scheduling.views import DAYS_SHOWN, _from_date, _window, _zone, grouped_slots
from coaching.security import role_required, verified_required
from coaching.series import plan, services
from coaching.series.forms import CoachSeriesForm, PayForm, ResolveForm, SeriesCancelForm, SeriesSlotForm
from coaching.validation import parse_instant

bp = Blueprint("series", __name__)
services.connect()

EVERY_LABELS = {1: "every week", 2: "every other week"}


@bp.app_template_global("series_positions")
def series_positions(bookings) -> dict:  # type: ignore[no-untyped-def]
    """booking id -> (series id, position, count), for marking a series' sessions in lists."""
    return services.positions(db.session, [b.id for b in bookings])


@bp.app_template_filter("series_every")
def series_every(weeks: int) -> str:
    return EVERY_LABELS.get(weeks, "")


def _request_args() -> tuple[int, int]:
    """(weeks, count) from the query string (weekly, 6 when absent); 400 when malformed (hostile input never reaches a 500)."""
    try:
        weeks = plan.interval_weeks(request.args.get("every", "1"))
        raw = request.args.get("count", "6")
        count = plan.check_count(int(raw) if raw.isdigit() and len(raw) <= 3 else -1)
    except (plan.PlanError, ValueError) as exc:
        refuse(400, str(exc))
    return weeks, count


@bp.route("/book/<int:coach_id>/<slug>/series", methods=["GET", "POST"])
@limit_hold_creation
@role_required(Role.CLIENT)
@verified_required
def book(coach_id: int, slug: str):
    try:
        coach, session_type = sched.bookable_session_type(db.session, coach_id, slug)
    except sched.NotFound:
        abort(404)
    weeks, count = _request_args()
    zone = _zone()
    form = SeriesSlotForm()
    status = 200
    if form.validate_on_submit():
        try:
            first = parse_instant(form.start.data)
            weeks, occurrences = services.requested_occurrences(first, zone, weeks, count)
            series = services.hold_series(db.session, user=current_user, coach_id=coach.id, session_type_slug=slug,
                                          occurrences=occurrences, weeks=weeks, zone=zone, now=clock.now(),
                                          requested=count)
        except ValueError:
            flash("Please choose one of the times shown.", "error")
            status = 422
        except services.SeriesClash as exc:
            return _clash_page(coach, session_type, weeks, count, zone, exc), 409
        except sched.SchedulingError as exc:
            flash(str(exc), "error")
            status = exc.status
        else:
            return redirect(url_for("series.show", series_id=series.id), code=303)
    elif request.method == "POST":
        status = 400
        flash("Please choose one of the times shown.", "error")
    first_day = _from_date(zone)
    couple = sched.couple_of_user(db.session, current_user.id)
    closed = sched.joint_gate_refusal(session_type, couple, coach.id) if couple is not None else None
    found = [] if closed else sched.free_slots(db.session, coach.id, session_type, *_window(zone, first_day),
                                               clock.now())
    _shared, by_day = grouped_slots(found, zone, couple)
    return render_template("series/book.html", coach=coach, session_type=session_type, zone=zone, by_day=by_day,
                           first=first_day, form=form, closed=closed, weeks=weeks, count=count,
                           action=url_for("series.book", coach_id=coach.id, slug=slug, every=weeks, count=count),
                           next_from=first_day + timedelta(days=DAYS_SHOWN)), status


def _clash_page(coach, session_type, weeks, count, zone, clash: services.SeriesClash):  # type: ignore[no-untyped-def]
    rows = sorted([("fine", o.position, o) for o in clash.fine] + [("clash", c.position, c) for c in clash.clashes],
                  key=lambda r: r[1])
    return render_template("series/clashes.html", coach=coach, session_type=session_type, zone=zone, rows=rows,
                           weeks=weeks, count=count, form=ResolveForm(),
                           action=url_for("series.resolve", coach_id=coach.id, slug=session_type.slug,
                                          every=weeks, count=count))


@bp.post("/book/<int:coach_id>/<slug>/series/confirm")
@limit_hold_creation
@role_required(Role.CLIENT)
@verified_required
def resolve(coach_id: int, slug: str):
    """The client's choice after a clash: a start (or ``drop``) per date; all held again in one go."""
    try:
        coach, session_type = sched.bookable_session_type(db.session, coach_id, slug)
    except sched.NotFound:
        abort(404)
    weeks, count = _request_args()
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400)
    zone = _zone()
    starts = _chosen_starts()
    try:
        if not starts:
            raise services.SeriesRefused("Keep at least one session, or go back and choose another time.")
        occurrences = services.explicit_occurrences(starts, zone)
        series = services.hold_series(db.session, user=current_user, coach_id=coach.id, session_type_slug=slug,
                                      occurrences=occurrences, weeks=weeks, zone=zone, now=clock.now(),
                                      requested=count)
    except services.SeriesClash as exc:
        flash("Some of those times were taken in the meantime. Please choose again.", "error")
        return _clash_page(coach, session_type, weeks, count, zone, exc), 409
    except sched.SchedulingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("series.book", coach_id=coach.id, slug=slug, every=weeks, count=count)), 303
    return redirect(url_for("series.show", series_id=series.id), code=303)


def _chosen_starts() -> list:  # type: ignore[type-arg]
    """The starts chosen on a clash page (``occ-<n>``: an ISO instant, or ``drop``); 422 if malformed."""
    starts = []
    for index in range(plan.MAX_COUNT):
        value = request.form.get(f"occ-{index}")
        if value is None or value == "drop":
            continue
        try:
            starts.append(parse_instant(value))
        except ValueError:
            refuse(422, "Please choose one of the times shown.")
    return starts


# --- the coach books a series for a couple ----------------------------------------------------


def _coach_and_couple(couple_id: int):  # type: ignore[no-untyped-def]
    from coaching.intake.models import Couple

    coach = sched.coach_of_user(db.session, current_user.id)
    couple = db.session.get(Couple, couple_id)
    if coach is None or couple is None or couple.coach_id != coach.id:
        abort(404)
    return coach, couple


def _coach_form_page(coach, couple, form, status: int = 200):  # type: ignore[no-untyped-def]
    return render_template("series/coach_book.html", coach=coach, couple=couple, form=form,
                           closed=not couple.joint_sessions_open), status


@bp.route("/coach/couples/<int:couple_id>/series", methods=["GET", "POST"])
@role_required(Role.COACH)
def coach_book(couple_id: int):
    from datetime import datetime as _datetime
    from zoneinfo import ZoneInfo

    from coaching.scheduling.models import SessionKind

    coach, couple = _coach_and_couple(couple_id)
    form = CoachSeriesForm()
    joint = [(st.slug, st.name) for st in coach.session_types if st.active and st.kind == SessionKind.JOINT]
    form.session_type.choices = select_choices(joint)
    if request.method == "GET" or not form.validate_on_submit():
        return _coach_form_page(coach, couple, form, 200 if request.method == "GET" else 422)
    if form.session_type.data not in dict(joint) or not form.count.data.isdigit():
        form.session_type.errors = ["Choose one of your joint sessions."]
        return _coach_form_page(coach, couple, form, 422)
    weeks, count = int(form.every.data), int(form.count.data)
    first = _datetime.combine(form.on_date.data, form.start.data, tzinfo=ZoneInfo(coach.timezone))
    slug = form.session_type.data
    try:
        weeks, occurrences = services.requested_occurrences(first, coach.timezone, weeks, count)
        series = services.hold_series_for_couple(db.session, coach_user=current_user, couple_id=couple.id,
                                                 session_type_slug=slug, occurrences=occurrences, weeks=weeks,
                                                 now=clock.now(), requested=count)
    except services.SeriesClash as exc:
        session_type = db.session.scalar(select(SessionType).where(SessionType.slug == slug))
        return _coach_clash_page(coach, couple, session_type, weeks, count, exc), 409
    except sched.SchedulingError as exc:
        flash(str(exc), "error")
        return _coach_form_page(coach, couple, form, exc.status)
    flash("The series is in your calendar. Both partners have been emailed.", "success")
    return redirect(url_for("series.show", series_id=series.id), code=303)


def _coach_clash_page(coach, couple, session_type, weeks, count, clash):  # type: ignore[no-untyped-def]
    rows = sorted([("fine", o.position, o) for o in clash.fine] + [("clash", c.position, c) for c in clash.clashes],
                  key=lambda r: r[1])
    return render_template("series/clashes.html", coach=coach, session_type=session_type, zone=coach.timezone,
                           rows=rows, weeks=weeks, count=count, form=ResolveForm(),
                           back=url_for("series.coach_book", couple_id=couple.id),
                           action=url_for("series.coach_resolve", couple_id=couple.id, slug=session_type.slug,
                                          every=weeks, count=count))


@bp.post("/coach/couples/<int:couple_id>/series/confirm")
@role_required(Role.COACH)
def coach_resolve(couple_id: int):
    coach, couple = _coach_and_couple(couple_id)
    weeks, count = _request_args()
    slug = request.args.get("slug", "")
    if not ResolveForm().validate_on_submit():
        abort(400)
    starts = _chosen_starts()
    try:
        if not starts:
            raise services.SeriesRefused("Keep at least one session, or start again.")
        occurrences = services.explicit_occurrences(starts, coach.timezone)
        series = services.hold_series_for_couple(db.session, coach_user=current_user, couple_id=couple.id,
                                                 session_type_slug=slug, occurrences=occurrences, weeks=weeks,
                                                 now=clock.now(), requested=count)
    except services.SeriesClash as exc:
        flash("Some of those times were taken in the meantime. Please choose again.", "error")
        session_type = db.session.scalar(select(SessionType).where(SessionType.slug == slug))
        return _coach_clash_page(coach, couple, session_type, weeks, count, exc), 409
    except sched.SchedulingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("series.coach_book", couple_id=couple.id), code=303)
    flash("The series is in your calendar. Both partners have been emailed.", "success")
    return redirect(url_for("series.show", series_id=series.id), code=303)


def _visible_or_404(series_id: int):  # type: ignore[no-untyped-def]
    if current_user.role not in (Role.CLIENT, Role.COACH):
        abort(404)
    try:
        return services.visible_series(db.session, current_user, series_id)
    except sched.NotFound:
        abort(404)


def _show(series, status: int = 200, confirm=None):  # type: ignore[no-untyped-def]
    bookings = services.occurrences_of(db.session, series.id)
    now = clock.now()
    zone = _zone()
    held = [b for b in bookings if b.status == BookingStatus.HELD and b.hold_expires_at and b.hold_expires_at > now]
    is_coach = current_user.role == Role.COACH
    changeable = {b.id for b in bookings if b.status in (BookingStatus.HELD, BookingStatus.CONFIRMED)
                  and b.starts_at > now}
    return render_template("series/show.html", series=series, bookings=bookings, zone=zone, held=held,
                           session_type=db.session.get(SessionType, series.session_type_id),
                           coach=db.session.get(CoachProfile, series.coach_id),
                           pay_form=PayForm(), cancel_form=SeriesCancelForm(), changeable=changeable,
                           is_coach=is_coach, confirm=confirm, now=now), status


@bp.get("/series/<int:series_id>")
@role_required(Role.CLIENT, Role.COACH)
def show(series_id: int):
    return _show(_visible_or_404(series_id))


@bp.post("/series/<int:series_id>/pay")
@role_required(Role.CLIENT)
@verified_required
def pay(series_id: int):
    from coaching.payments.gateway import GatewayError
    from coaching.payments.services import PaymentError

    series = _visible_or_404(series_id)
    if not PayForm().validate_on_submit():
        abort(400)
    try:
        outcome = services.pay_series(db.session, series, current_user, clock.now())
    except PaymentError as exc:
        flash(str(exc), "error")
        return _show(series, 409)
    except GatewayError as exc:
        flash(f"{exc} You have not been charged.", "error")
        return _show(series, 422)
    if outcome.kind == "redirect":
        return redirect(outcome.url, code=303)
    if outcome.kind == "credit":
        flash("Your sessions are booked with your package credits.", "success")
    elif outcome.kind == "invoice":
        flash("Your sessions are booked. We have emailed you the invoices.", "success")
    return redirect(url_for("series.show", series_id=series.id), code=303)


@bp.post("/series/<int:series_id>/cancel")
@role_required(Role.CLIENT, Role.COACH)
def cancel(series_id: int):
    series = _visible_or_404(series_id)
    form = SeriesCancelForm()
    if not form.validate_on_submit():
        abort(400)
    raw_id = form.booking_id.data or ""
    if not raw_id.isdigit() or len(raw_id) > 10:
        abort(400)
    is_coach = current_user.role == Role.COACH
    now = clock.now()
    try:
        targets = services.cancel_targets(db.session, series, int(raw_id), form.scope.data or "")
        if request.form.get("confirm") != "yes":  # first say what will happen to each session, then ask
            return _show(series, confirm={"targets": targets, "scope": form.scope.data, "booking_id": int(raw_id),
                                          "outcomes": services.cancellation_previews(db.session, targets, now)})
        done = services.cancel_occurrences(db.session, series, int(raw_id), form.scope.data or "", now=now,
                                           by_user=current_user, by_coach=is_coach, reason=form.reason.data or "")
    except sched.SchedulingError as exc:
        flash(str(exc), "error")
        return _show(series, exc.status)
    flash(f"Cancelled {len(done)} session{'s' if len(done) != 1 else ''}. We have emailed a confirmation.", "success")
    return redirect(url_for("series.show", series_id=series.id), code=303)


@bp.app_template_global("series_counts")
def series_counts() -> range:
    """The numbers of sessions a series may have (a global: imported macros see no context)."""
    return range(plan.MIN_COUNT, plan.MAX_COUNT + 1)
