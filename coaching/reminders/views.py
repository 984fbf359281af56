"""``/account/notifications``: each person turns reminders (and their other optional emails) on or off."""

from __future__ import annotations

import logging
import threading
import time

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from coaching import db
from coaching.accounts.models import Role
from coaching.reminders import receivers, services, timing
from coaching.reminders.forms import NotificationsForm

bp = Blueprint("notifications", __name__, url_prefix="/account")
receivers.connect()
log = logging.getLogger("tandem.reminders")
_SWEEP_EVERY = 60.0  # seconds
_last_sweep = 0.0
_sweep_lock = threading.Lock()


@bp.after_app_request
def _sweep_without_a_worker(response: Response) -> Response:
    """With tasks inline (``make run``: no ``flask worker``, so no periodic task), the web
    process dispatches due reminders itself, at most once a minute, after a response is sent."""
    global _last_sweep
    if not current_app.config.get("REMINDERS_WEB_SWEEP"):
        return response
    with _sweep_lock:
        if time.monotonic() - _last_sweep < _SWEEP_EVERY:
            return response
        _last_sweep = time.monotonic()
    response.call_on_close(_sweep_quietly)
    return response


def _sweep_quietly() -> None:
    from coaching.reminders.tasks import dispatch_reminders_now

    try:
        dispatch_reminders_now()
    except Exception:  # noqa: BLE001 - a failed sweep is retried a minute later; the response is sent
        log.exception("reminder sweep failed")


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    prefs = services.preferences_of(db.session, current_user.id)
    client = current_user.role == Role.CLIENT
    form = NotificationsForm(data={"reminders": prefs.reminders, "homework_emails": prefs.homework_emails})
    if not client:
        del form.homework_emails  # only clients get homework emails
    if form.validate_on_submit():
        services.save_preferences(db.session, current_user, reminders=form.reminders.data,
                                  homework_emails=form.homework_emails.data if client else prefs.homework_emails)
        flash("Your email choices are saved.", "success")
        return redirect(url_for("notifications.notifications"), code=303)
    offsets = [timing.describe(m) for m in current_app.config.get("REMINDER_OFFSETS", ())]
    return render_template("reminders/notifications.html", form=form, offsets=offsets)
