"""``/account/notifications``: each person turns reminders (and their other optional emails) on or off."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from coaching import db
from coaching.accounts.models import Role
from coaching.reminders import receivers, services, timing
from coaching.reminders.forms import NotificationsForm

bp = Blueprint("notifications", __name__, url_prefix="/account")
receivers.connect()


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
