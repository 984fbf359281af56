"""``/account/delete`` (delete my account, with a cooling-off period) and ``/account/couple``
(end our couple). Clients only; staff accounts are closed by an admin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, user_logged_in

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.erasure import forms, services
from coaching.extensions import limiter

bp = Blueprint("erasure", __name__, url_prefix="/account")


def _client_only() -> None:
    if current_user.role != Role.CLIENT:
        abort(403)


def _account_key() -> str:
    return f"delete-account:{getattr(current_user, 'id', '')}"


@bp.route("/delete", methods=["GET", "POST"])
@login_required
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key)
def delete_account():
    """The password is asked again here: guesses count like login attempts on the account."""
    _client_only()
    form = forms.DeleteAccountForm()
    if form.validate_on_submit():
        try:
            services.request_deletion(db.session, current_user, form.password.data, now=clock.now(),
                                      keep_session_id=current_user.login_session_id)
        except services.ErasureError as exc:
            form.password.errors.append(str(exc))
        else:
            flash("Your account will be deleted after the waiting period. You are signed out everywhere else.",
                  "success")
            return redirect(url_for("erasure.delete_account"), code=303)
    state = services.account_state(db.session, current_user)
    return render_template("erasure/delete.html", form=form, state=state, keep_form=forms.KeepAccountForm())


@bp.post("/delete/cancel")
@login_required
def keep_account():
    _client_only()
    if forms.KeepAccountForm().validate_on_submit() and services.cancel_deletion(
            db.session, current_user, now=clock.now()):
        flash("Your account will not be deleted.", "success")
    return redirect(url_for("erasure.delete_account"), code=303)


@bp.route("/couple", methods=["GET", "POST"])
@login_required
def end_couple():
    _client_only()
    form = forms.EndCoupleForm()
    state = services.account_state(db.session, current_user)
    if form.validate_on_submit():
        try:
            services.separate_couple(db.session, current_user, now=clock.now())
        except services.ErasureError as exc:
            flash(str(exc), "error")
        else:
            flash("Your couple has ended. You can go on with individual sessions.", "success")
        return redirect(url_for("erasure.end_couple"), code=303)
    return render_template("erasure/couple.html", form=form, state=state)


def _cancel_on_sign_in(app: Flask, user: Any) -> None:
    """Signing in again during the cooling-off period cancels the deletion."""
    if getattr(user, "role", None) == Role.CLIENT and services.cancel_deletion(db.session, user, now=clock.now()):
        flash("Welcome back: your account will not be deleted.", "success")


user_logged_in.connect(_cancel_on_sign_in)
