"""The landing page and the client's home."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import list_public_coaches
from coaching.scheduling.services import upcoming_for_couple
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
    upcoming = upcoming_for_couple(db.session, couple.id, current_user.id, clock.now()) if couple else []
    return render_template("public/client_home.html", couple=couple, coach=coach, upcoming=upcoming)


@bp.get("/healthz")
def healthz():
    """Each dependency's state (``coaching.health``): 200 while the app can serve, else 503."""
    from coaching import health

    body, status = health.report(current_app.config)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
