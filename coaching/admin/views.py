"""Admin pages: the coach roster (more admin pages arrive with their features)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from coaching import clock, db
from coaching.accounts.models import Role, User
from coaching.accounts.services import AccountError
from coaching.admin import forms, services
from coaching.admin.names import couple_label
from coaching.coaches.services import list_public_coaches
from coaching.intake.models import Couple
from coaching.notify import services as outbox_admin
from coaching.notify.forms import RetryEmailForm
from coaching.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.add_app_template_global(couple_label, "couple_label")  # staff pages name couples, not numbers


def _home(zone_form: forms.OwnZoneForm, status: int = 200):  # type: ignore[no-untyped-def]
    counts = {
        "clients": db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.CLIENT)),
        "coaches": db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.COACH)),
        "couples": db.session.scalar(select(func.count()).select_from(Couple)),
        "failed_emails": outbox_admin.count_failed(db.session),
    }
    return render_template("admin/home.html", counts=counts, zone_form=zone_form), status


@bp.get("/")
@role_required(Role.ADMIN)
def home():
    return _home(forms.OwnZoneForm(prefix="zone", formdata=None, timezone=current_user.timezone))


@bp.post("/timezone")
@role_required(Role.ADMIN)
def own_timezone():
    form = forms.OwnZoneForm(prefix="zone")
    if not form.validate_on_submit():
        return _home(form, 422)
    services.set_own_timezone(db.session, current_user, form.timezone.data)
    flash(f"Times on these pages are now shown in {form.timezone.data.replace('_', ' ')}.", "success")
    return redirect(url_for("admin.home"))


@bp.route("/coaches", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def coaches():
    form = forms.CreateCoachForm()
    if form.validate_on_submit():
        try:
            profile, password = services.create_coach(
                db.session, email=form.email.data, name=form.name.data, timezone=form.timezone.data)
        except AccountError as exc:
            form.email.errors.append(str(exc))
        else:
            if password:
                flash(f"Coach {profile.name} created. Their one-time password: {password}", "success")
            else:
                flash(f"{profile.name} already has a coach account.", "info")
    return render_template("admin/coaches.html", form=form, coaches=list_public_coaches(db.session))


@bp.get("/emails/failed")
@role_required(Role.ADMIN)
def failed_emails():
    return render_template("admin/failed_emails.html", emails=outbox_admin.failed_emails(db.session),
                           form=RetryEmailForm())


@bp.post("/emails/<int:message_id>/retry")
@role_required(Role.ADMIN)
def retry_email(message_id: int):
    if not RetryEmailForm().validate_on_submit():
        abort(400)
    try:
        outbox_admin.retry_failed(db.session, message_id, clock.now())
    except LookupError:
        abort(404)
    except outbox_admin.NotRetryable:
        flash("That email is no longer waiting for a retry.", "info")
    else:
        flash("The email is being sent again.", "success")
    return redirect(url_for("admin.failed_emails"))
