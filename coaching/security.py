"""Who may do what, in one place: roles, ownership lookups, safe redirects, headers."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, current_app, g, request, session
from flask_login import current_user, login_required, user_logged_in
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role, User
from coaching.extensions import login_manager

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow logged-in users with one of ``roles``; others get 403 (anonymous: log in)."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def verified_required(view: F) -> F:
    """Logged in with a confirmed email address (needed to book or pay)."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_verified:
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# --- ownership -------------------------------------------------------------------------------


def get_couple_or_404(couple_id: int, user: User | None = None) -> Any:
    """The couple, if ``user`` (default: current user) may see it; else 404.

    Partners see their own couple, a coach the couples assigned to them, admins all.
    A 404 (not 403) so that whether a couple exists is itself not revealed.
    """
    from coaching.intake.models import Couple

    user = user or current_user
    couple = db.session.get(Couple, couple_id)
    if couple is None or not can_see_couple(user, couple):
        abort(404)
    return couple


def can_see_couple(user: Any, couple: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role == Role.COACH:
        profile = coach_profile_of(user)
        return profile is not None and couple.coach_id == profile.id
    return couple.partner_for(user.id) is not None


def coach_profile_of(user: User) -> Any:
    from coaching.coaches.models import CoachProfile

    if "coach_profile" not in g or g.coach_profile_user != user.id:
        g.coach_profile = db.session.scalar(select(CoachProfile).where(CoachProfile.user_id == user.id))
        g.coach_profile_user = user.id
    return g.coach_profile


def couple_of(user: User) -> Any:
    """The couple the client ``user``'s pages act on (``seats.home_seat``), or None."""
    from coaching.intake.seats import home_seat

    seat = home_seat(db.session, user.id)
    return seat.couple if seat is not None else None


# --- login -----------------------------------------------------------------------------------


@login_manager.user_loader
def _load_user(secret: str) -> User | None:
    """The session and the remember cookie carry a sign-in's secret; only live sign-ins load."""
    from coaching.accounts.services import user_for_login_session

    return user_for_login_session(db.session, secret)


@user_logged_in.connect
def _record_sign_in(app: Flask, user: User) -> None:
    """Every ``login_user`` (login page, joining through an invitation, ...) is a server-side sign-in.

    Flask-Login has just stored ``user.get_id()``; store the new sign-in's secret instead, and
    let a remember cookie last no longer than the sign-in's absolute limit.
    """
    from coaching.accounts.services import session_limits, start_login_session

    remember = session.get("_remember") == "set"
    secret = start_login_session(db.session, user, remember=remember,
                                 user_agent=request.headers.get("User-Agent", ""),
                                 ip=request.remote_addr or "")
    session["_user_id"] = secret
    if remember:
        session["_remember_seconds"] = session_limits(user).absolute.total_seconds()
    from coaching.twofactor.services import required
    from coaching.twofactor.views import PENDING, hold

    if required(db.session, user):  # not signed in until the second factor passes
        hold(secret)
    else:
        session.pop(PENDING, None)  # an earlier, abandoned half-way sign-in in this browser


@login_manager.request_loader
def _load_user_from_bearer(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer ") or not req.path.startswith("/api/"):
        return None
    from coaching.accounts.services import user_for_api_token

    user = user_for_api_token(db.session, header[7:].strip())
    if user is not None:
        g.api_token_auth = True
    return user


# --- headers ---------------------------------------------------------------------------------


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        form_action = " ".join(["'self'", *current_app.config["CSP_FORM_ACTION_EXTRA"]])
        response.headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if current_app.config.get("HSTS"):
            response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        if current_user.is_authenticated or request.path.startswith(("/account", "/api/")):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
