"""Second-factor pages: the code step of signing in, enrolment, the account page, admin reset.

Signing in is two steps. The password step (``accounts.login``) starts a ``LoginSession`` as
usual; when the person needs a second factor, ``hold`` keeps that sign-in's secret aside in the
Flask session (not where Flask-Login looks), so nothing counts as signed in yet, and the user
loader refuses the sign-in too until ``second_factor_at`` is set on its row. Passing the code
step records it there, gives the sign-in a new secret and hands that to Flask-Login.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from coaching import db
from coaching.accounts.models import Role
from coaching.extensions import client_ip, limiter, login_manager
from coaching.security import is_safe_next, role_required
from coaching.twofactor import forms, services, totp
from coaching.twofactor.qr import qr_svg

bp = Blueprint("two_factor", __name__)

PENDING = "second_factor_pending"  # Flask session key: the secret of a sign-in waiting for its code
TOO_MANY = ("Too many codes were tried for this account. For your safety, wait 15 minutes, then try "
            "again. If you no longer have your authenticator app, use a recovery code, or ask an "
            "administrator to reset your two-step sign-in.")


# --- the Flask session -----------------------------------------------------------------------


def hold(secret: str) -> None:
    """Keep a sign-in that still needs its second factor out of Flask-Login's hands."""
    session[PENDING] = secret
    for key in ("_user_id", "_remember", "_remember_seconds"):
        session.pop(key, None)
    login_manager._update_request_context_with_user()  # anonymous for the rest of this request too


def _pending() -> services.Pending | None:
    """The current request's half-way sign-in (looked up once per request)."""
    key = "tandem.second_factor_pending"
    if key not in request.environ:
        request.environ[key] = services.pending_sign_in(db.session, session.get(PENDING))
    return request.environ[key]


def _complete(pending: services.Pending, new_secret: str) -> None:
    """Hand the passed sign-in (its new secret) to Flask-Login, with its remember cookie if asked."""
    from coaching.accounts.services import session_limits

    session.pop(PENDING, None)
    session["_user_id"] = new_secret
    session["_fresh"] = True
    session["_id"] = login_manager._session_identifier_generator()
    if pending.login_session.remember:
        session["_remember"] = "set"
        session["_remember_seconds"] = session_limits(pending.user).absolute.total_seconds()
    user = pending.user
    user.login_secret, user.login_session_id = new_secret, pending.login_session.id
    login_manager._update_request_context_with_user(user)  # signed in for the rest of this request


def _next_or_home(user: object) -> str:
    from coaching.accounts.views import home_for

    target = request.args.get("next")
    return target if is_safe_next(target) else home_for(user)


def _safe_next() -> str | None:
    target = request.args.get("next")
    return target if is_safe_next(target) else None


# --- rate limits -----------------------------------------------------------------------------


def _account_key() -> str:
    pending = _pending()
    if pending is not None:
        return f"second-factor:{pending.user.id}"
    if current_user.is_authenticated:
        return f"second-factor:{current_user.id}"
    return "second-factor-ip:" + client_ip()


account_limit = limiter.shared_limit(lambda: current_app.config["SECOND_FACTOR_LIMIT_PER_ACCOUNT"],
                                     scope="second-factor-account", key_func=_account_key, methods=["POST"])
ip_limit = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"],
                                scope="second-factor-ip", methods=["POST"])


@bp.errorhandler(429)
def _too_many(exc):  # type: ignore[no-untyped-def]
    response = current_app.make_response((render_template("error.html", code=429, title="Too many codes tried",
                                                           text=TOO_MANY), 429))
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


# --- signing in ------------------------------------------------------------------------------


@bp.route("/account/two-factor/verify", methods=["GET", "POST"])
@ip_limit
@account_limit
def verify():
    if current_user.is_authenticated:
        return redirect(_next_or_home(current_user))
    pending = _pending()
    if pending is None:
        session.pop(PENDING, None)
        flash("Please log in again.", "info")
        return redirect(url_for("accounts.login", next=_safe_next()))
    if not services.is_enrolled(db.session, pending.user.id):
        return redirect(url_for("two_factor.enrol", next=_safe_next()))
    form = forms.CodeForm()
    if form.validate_on_submit():
        try:
            new_secret = services.verify_sign_in(db.session, pending, form.code.data)
        except services.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            _complete(pending, new_secret)
            return redirect(_next_or_home(pending.user))
    return render_template("twofactor/verify.html", form=form, cancel_form=forms.EmptyForm(prefix="cancel"))


@bp.post("/account/two-factor/cancel")
def cancel():
    form = forms.EmptyForm(prefix="cancel")
    if form.validate_on_submit():
        pending = _pending()
        if pending is not None:
            from coaching.accounts.services import end_login_session

            pending.user.login_session_id = pending.login_session.id
            end_login_session(db.session, pending.user)
        session.pop(PENDING, None)
        flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/two-factor/enrol", methods=["GET", "POST"])
@ip_limit
@account_limit
def enrol():
    pending = None if current_user.is_authenticated else _pending()
    if pending is None and not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=_safe_next()))
    user = pending.user if pending is not None else current_user
    if services.is_enrolled(db.session, user.id):
        if pending is not None:
            return redirect(url_for("two_factor.verify", next=_safe_next()))
        flash("Two-step sign-in is already on.", "info")
        return redirect(url_for("two_factor.settings"))
    secret = services.start_enrolment(db.session, user)
    form = forms.EnrolForm()
    if form.validate_on_submit():
        session_id = pending.login_session.id if pending is not None else current_user.login_session_id
        try:
            enrolled = services.confirm_enrolment(db.session, user, form.code.data, login_session_id=session_id,
                                                  pending=pending is not None)
        except services.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            if pending is not None and enrolled.new_secret is not None:
                _complete(pending, enrolled.new_secret)
            return render_template("twofactor/recovery_codes.html", codes=enrolled.recovery_codes,
                                   continue_url=_next_or_home(user) if pending is not None
                                   else url_for("two_factor.settings"), just_enrolled=True)
    return render_template("twofactor/enrol.html", form=form, qr=qr_svg(totp.provisioning_uri(secret, user.email)),
                           secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
                           staff=user.is_staff, pending=pending is not None,
                           cancel_form=forms.EmptyForm(prefix="cancel"))


# --- the account page ------------------------------------------------------------------------


@bp.get("/account/two-factor")
@login_required
def settings():
    enrolled = services.is_enrolled(db.session, current_user.id)
    return render_template("twofactor/settings.html", enrolled=enrolled,
                           codes_left=services.recovery_codes_left(db.session, current_user.id) if enrolled else 0,
                           regenerate_form=forms.RegenerateForm(prefix="regen"),
                           off_form=forms.TurnOffForm(prefix="off"))


@bp.post("/account/two-factor/recovery-codes")
@login_required
@ip_limit
@account_limit
def regenerate():
    form = forms.RegenerateForm(prefix="regen")
    if not services.is_enrolled(db.session, current_user.id):
        return redirect(url_for("two_factor.settings"))
    if form.validate_on_submit():
        try:
            codes = services.regenerate_recovery_codes(db.session, current_user, form.code.data)
        except services.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return render_template("twofactor/recovery_codes.html", codes=codes,
                                   continue_url=url_for("two_factor.settings"), just_enrolled=False)
    return render_template("twofactor/settings.html", enrolled=True,
                           codes_left=services.recovery_codes_left(db.session, current_user.id),
                           regenerate_form=form, off_form=forms.TurnOffForm(prefix="off"))


@bp.post("/account/two-factor/off")
@login_required
@ip_limit
@account_limit
def turn_off():
    if current_user.is_staff:
        abort(403)
    form = forms.TurnOffForm(prefix="off")
    if not services.is_enrolled(db.session, current_user.id):
        return redirect(url_for("two_factor.settings"))
    if form.validate_on_submit():
        try:
            services.turn_off(db.session, current_user, form.password.data, form.code.data)
        except services.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            flash("Two-step sign-in is off.", "success")
            return redirect(url_for("two_factor.settings"))
    return render_template("twofactor/settings.html", enrolled=True,
                           codes_left=services.recovery_codes_left(db.session, current_user.id),
                           regenerate_form=forms.RegenerateForm(prefix="regen"), off_form=form)


# --- admin -----------------------------------------------------------------------------------


@bp.get("/admin/staff-sign-in")
@role_required(Role.ADMIN)
def admin_staff():
    return render_template("twofactor/admin_staff.html", members=services.staff_members(db.session),
                           reset_form=forms.EmptyForm())


@bp.post("/admin/staff-sign-in/<int:user_id>/reset")
@role_required(Role.ADMIN)
def admin_reset(user_id: int):
    form = forms.EmptyForm()
    if form.validate_on_submit():
        try:
            member = services.reset_by_admin(db.session, current_user, user_id)
        except services.SecondFactorError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{member.name}'s two-step sign-in is reset: they set it up again at their next sign-in.",
                  "success")
    return redirect(url_for("two_factor.admin_staff"))
