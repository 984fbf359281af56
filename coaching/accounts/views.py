"""Register, log in and out, confirm email, reset and change password, API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from coaching import db
from coaching.accounts import forms, services
from coaching.accounts.models import Role
from coaching.extensions import limiter
from coaching.security import is_safe_next

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))[:254]


def home_for(user: object) -> str:
    role = getattr(user, "role", None)
    if role == Role.ADMIN:
        return url_for("admin.home")
    if role == Role.COACH:
        return url_for("coaches.dashboard")
    return url_for("public.client_home")


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def register():
    form = forms.RegisterForm()
    if form.validate_on_submit():
        services.register_client(db.session, email=form.email.data, name=form.name.data,
                                 password=form.password.data, timezone=form.timezone.data)
        session["registered_email"] = form.email.data  # redirect after POST: a refresh does not resubmit
        return redirect(url_for("accounts.registered"), code=303)
    return render_template("accounts/register.html", form=form)


@bp.get("/register/check-email")
def registered():
    email = session.get("registered_email")
    if not email:
        return redirect(url_for("accounts.register"))
    return render_template("accounts/check_email.html", email=email)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_account_key)
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = forms.LoginForm()
    if form.validate_on_submit():
        result = services.authenticate(db.session, form.email.data, form.password.data)
        if result.user is not None:
            login_user(result.user, remember=form.remember.data)
            target = request.args.get("next")
            if session.get("second_factor_pending"):  # coaching.twofactor.views.PENDING: the code step next
                return redirect(url_for("two_factor.verify", next=target if is_safe_next(target) else None))
            return redirect(target if is_safe_next(target) else home_for(result.user))
        if result.unverified:
            flash("Please confirm your email address first: we have sent you a new link.", "info")
        else:
            flash("That email and password do not match an account.", "error")
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.end_login_session(db.session, current_user)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("public.landing"))


@bp.get("/verify/<token>")
def verify_email(token: str):
    try:
        services.verify_email(db.session, token)
    except services.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.login"))
    flash("Thank you, your email address is confirmed. You can log in now.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def forgot_password():
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(db.session, form.email.data)
        return render_template("accounts/check_email.html", email=form.email.data, reset=True)
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        services.check_reset_token(db.session, token)
    except services.AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, token, form.password.data)
        except services.AccountError as exc:
            flash(str(exc), "error")
            return redirect(url_for("accounts.forgot_password"))
        logout_user()
        flash("Your password is changed. Please log in.", "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    form = forms.ChangePasswordForm()
    token_form = forms.ApiTokenForm(prefix="token")
    new_token = None
    if request.method == "POST" and "token-name" in request.form:
        if not current_user.is_staff:
            abort(403)  # API tokens are for staff and integrations (clients: flask api-token create)
        if token_form.validate_on_submit():
            try:
                new_token = services.create_api_token_with_password(
                    db.session, current_user, token_form.name.data, token_form.password.data)
            except services.AccountError as exc:
                token_form.password.errors.append(str(exc))
    elif form.validate_on_submit():
        try:
            services.change_password(db.session, current_user, form.current.data, form.password.data)
        except services.AccountError as exc:
            form.current.errors.append(str(exc))
        else:
            flash("Your password is changed. Your other sessions and your API tokens have ended.", "success")
            return redirect(url_for("accounts.settings"))
    return render_template("accounts/settings.html", form=form, token_form=token_form,
                           new_token=new_token,
                           api_tokens=services.active_api_tokens(db.session, current_user) if current_user.is_staff else [],
                           login_sessions=services.live_login_sessions(db.session, current_user),
                           revoke_form=forms.EmptyForm())


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions():
    form = forms.EmptyForm()
    if form.validate_on_submit():
        services.end_other_login_sessions(db.session, current_user)
        flash("You are signed out everywhere else.", "success")
    return redirect(url_for("accounts.settings"))


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = forms.EmptyForm()
    if form.validate_on_submit():
        try:
            services.revoke_api_token(db.session, current_user, token_id)
            flash("Token revoked.", "success")
        except services.AccountError:
            flash("No such token.", "error")
    return redirect(url_for("accounts.settings"))
