"""The coach's calendar connection page: ``/coach/calendar/connect``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.calendars import receivers, services
from coaching.calendars.forms import ActionForm, CalDAVForm, SubscriptionForm
from coaching.calendars.models import CalendarEvent, ExternalBusy
from coaching.security import coach_profile_of, role_required

bp = Blueprint("calendars", __name__)
receivers.connect()


def _coach():  # type: ignore[no-untyped-def]
    coach = coach_profile_of(current_user)
    if coach is None:
        abort(404)
    return coach


def _page(caldav_form: CalDAVForm, ics_form: SubscriptionForm, status: int = 200):  # type: ignore[no-untyped-def]
    coach = _coach()
    calendar = services.calendar_of(db.session, coach.id)
    busy_count = pending = 0
    if calendar is not None:
        busy_count = db.session.scalar(select(func.count()).select_from(ExternalBusy)
                                       .where(ExternalBusy.calendar_id == calendar.id)) or 0
        pending = db.session.scalar(select(func.count()).select_from(CalendarEvent).where(
            CalendarEvent.calendar_id == calendar.id, CalendarEvent.dirty.is_(True))) or 0
    return render_template("calendars/connect.html", coach=coach, calendar=calendar, busy_count=busy_count,
                           pending=pending, caldav_form=caldav_form, ics_form=ics_form,
                           action_form=ActionForm(prefix="action")), status


@bp.get("/coach/calendar/connect")
@role_required(Role.COACH)
def connect():
    return _page(CalDAVForm(prefix="caldav"), SubscriptionForm(prefix="ics"))


@bp.post("/coach/calendar/connect/caldav")
@role_required(Role.COACH)
def connect_caldav():
    coach = _coach()
    form = CalDAVForm(prefix="caldav")
    if form.validate_on_submit():
        try:
            calendar = services.connect_caldav(db.session, coach, url=form.url.data or "",
                                               username=form.username.data or "", password=form.password.data or "",
                                               now=clock.now())
        except services.CalendarInvalid as exc:
            db.session.rollback()
            form.url.errors = [*form.url.errors, str(exc)]
        else:
            _sync_soon(calendar.id)
            flash("Your calendar is connected.", "success")
            return redirect(url_for("calendars.connect"))
    return _page(form, SubscriptionForm(prefix="ics"), 422)


@bp.post("/coach/calendar/connect/subscription")
@role_required(Role.COACH)
def subscribe():
    coach = _coach()
    form = SubscriptionForm(prefix="ics")
    if form.validate_on_submit():
        try:
            calendar = services.subscribe(db.session, coach, url=form.url.data or "", now=clock.now())
        except services.CalendarInvalid as exc:
            db.session.rollback()
            form.url.errors = [*form.url.errors, str(exc)]
        else:
            _sync_soon(calendar.id)
            flash("Your calendar subscription is saved.", "success")
            return redirect(url_for("calendars.connect"))
    return _page(CalDAVForm(prefix="caldav"), form, 422)


@bp.post("/coach/calendar/connect/sync")
@role_required(Role.COACH)
def sync():
    coach = _coach()
    if not ActionForm(prefix="action").validate_on_submit():
        abort(400)
    calendar = services.calendar_of(db.session, coach.id)
    if calendar is None:
        abort(404)
    _sync_soon(calendar.id)
    flash("Your calendar is being read again.", "success")
    return redirect(url_for("calendars.connect"))


@bp.post("/coach/calendar/connect/disconnect")
@role_required(Role.COACH)
def disconnect():
    coach = _coach()
    if not ActionForm(prefix="action").validate_on_submit():
        abort(400)
    if services.disconnect(db.session, coach):
        flash("Your calendar is disconnected. Its busy times no longer block your hours.", "success")
    return redirect(url_for("calendars.connect"))


def _sync_soon(calendar_id: int) -> None:
    """Push and read in a task after the commit (inline in development; never raises)."""
    from coaching.calendars.tasks import push_calendar_events

    push_calendar_events([calendar_id])
