"""The landing page and the client's home."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import list_public_coaches
from coaching.intake.seats import couple_ids_of
from coaching.payments.services import payments_seen_by
from coaching.public import portal
from coaching.scheduling import links
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.scheduling.services import offered_types, past_for_partner, upcoming_for_partner
from coaching.security import couple_of, role_required

bp = Blueprint("public", __name__)


@bp.get("/")
def landing():
    return render_template("public/landing.html", coaches=list_public_coaches(db.session)[:6])


@bp.get("/home")
@role_required(Role.CLIENT, Role.COACH, Role.ADMIN)
def client_home():
    if current_user.role == Role.COACH:
        return redirect(url_for("coaches.dashboard"))
    if current_user.role == Role.ADMIN:
        return redirect(url_for("admin.home"))
    couple = couple_of(current_user)
    coach = db.session.get(CoachProfile, couple.coach_id) if couple and couple.coach_id else None
    now = clock.now()
    held = couple_ids_of(db.session, current_user.id)  # an earlier couple's history stays theirs
    upcoming = upcoming_for_partner(db.session, held, current_user.id, now) if held else []
    past = past_for_partner(db.session, held, current_user.id, now) if held else []
    payments = payments_seen_by(db.session, held, current_user.id) if held else []
    offered = offered_types(coach, couple) if coach is not None else []
    return render_template("public/client_home.html", couple=couple, coach=coach, offered=offered,
                           upcoming=upcoming, past=past,
                           payments=payments, details=_details(upcoming + past),
                           # the next step is the current couple's: an earlier couple's welcome call is not this one's
                           next_action=_next_action([b for b in upcoming + past if b.couple_id == couple.id], now))


def _details(bookings: list[Booking]) -> dict[int, dict]:  # type: ignore[type-arg]
    """Per booking: its session type, its coach and (when it can still change) its manage link."""
    out = {}
    for b in bookings:
        manage = None
        if b.status == BookingStatus.CONFIRMED:
            manage = url_for("scheduling.manage", token=links.make_link_token(
                current_app.config["SECRET_KEY"], b.id, b.version))
        out[b.id] = {"type": db.session.get(SessionType, b.session_type_id) if b.session_type_id else None,
                     "coach": db.session.get(CoachProfile, b.coach_id), "manage": manage}
    return out


def _next_action(bookings: list[Booking], now):  # type: ignore[no-untyped-def]
    """The intake's next step, refined by the bookings this partner may see (``portal``)."""
    from coaching.intake.views import intake_overview
    from coaching.scheduling.views import first_joint_slug, welcome_slug

    overview = intake_overview()
    if overview.couple is None:
        return None, None
    seen = []
    for b in bookings:
        st = db.session.get(SessionType, b.session_type_id) if b.session_type_id else None
        seen.append(portal.Seen(id=b.id, slug=st.slug if st else "", status=str(b.status), starts_at=b.starts_at,
                                ends_at=b.ends_at, booked_by_viewer=b.booked_by_id == current_user.id))
    return portal.next_action(overview.next_step, seen, now, welcome_slug=welcome_slug(),
                              joint_slug=first_joint_slug())


def _legal_text(setting: str, default: str) -> str:
    """The practice's own text from the file ``setting`` names, if it exists; else ``default``."""
    from pathlib import Path

    path = current_app.config.get(setting)
    if path and Path(path).is_file():
        text = Path(path).read_text(encoding="utf-8").strip()
        if text:
            return text
    return default


@bp.get("/terms")
def terms():
    from coaching.public import legal

    return render_template("public/legal.html", title="Terms of service",
                           blocks=legal.blocks(_legal_text("TERMS_FILE", legal.DEFAULT_TERMS)))


@bp.get("/privacy")
def privacy():
    from coaching.public import legal

    return render_template("public/legal.html", title="Privacy notice",
                           blocks=legal.blocks(_legal_text("PRIVACY_FILE", legal.DEFAULT_PRIVACY)))


@bp.get("/healthz")
def healthz():
    """Each dependency's state (``coaching.health``): 200 while the app can serve, else 503."""
    from coaching import health

    body, status = health.report(current_app.config)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
