"""``/account/profile``: a person's name, time zone and email address."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coaching import db
from coaching.accounts import email_change, profile_forms
from coaching.accounts.services import AccountError
from coaching.extensions import limiter

bp = Blueprint("profile", __name__, url_prefix="/account")

SENT = ("If that address can be used, we have sent a link to it. Your address changes when you "
        "open the link; until then you keep logging in with the current one.")


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def profile():
    form = profile_forms.ProfileForm(prefix="p", current_zone=current_user.timezone,
                                     data={"name": current_user.name, "timezone": current_user.timezone})
    email_form = profile_forms.ChangeEmailForm(prefix="e")
    posted = set(request.form) if request.method == "POST" else set()
    if "p-name" in posted and form.validate_on_submit():
        email_change.update_profile(db.session, current_user, name=form.name.data, timezone=form.timezone.data)
        flash("Your profile is saved.", "success")
        return redirect(url_for("profile.profile"), code=303)
    if "e-email" in posted and email_form.validate_on_submit():
        try:
            email_change.request_change(db.session, current_user, email_form.email.data, email_form.password.data)
        except email_change.WrongPassword as exc:
            email_form.password.errors.append(str(exc))
        except AccountError as exc:
            email_form.email.errors.append(str(exc))
        else:
            flash(SENT, "info")
            return redirect(url_for("profile.profile"), code=303)
    return render_template("accounts/profile.html", form=form, email_form=email_form)


@bp.get("/email/confirm/<token>")
def confirm_email(token: str):
    try:
        email_change.confirm_change(db.session, token)
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("profile.profile") if current_user.is_authenticated else url_for("accounts.login"))
    flash("Your email address is changed. Use it to log in from now on.", "success")
    return redirect(url_for("profile.profile") if current_user.is_authenticated else url_for("accounts.login"))
