"""Coach directory (public) and the coach's own dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from coaching import db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import assigned_couples, list_public_coaches
from coaching.security import coach_profile_of, role_required

bp = Blueprint("coaches", __name__)


@bp.get("/coaches")
def directory():
    return render_template("coaches/directory.html", coaches=list_public_coaches(db.session))


@bp.get("/coaches/<int:coach_id>")
def profile(coach_id: int):
    coach = db.session.get(CoachProfile, coach_id)
    if coach is None or not coach.user.is_active:
        abort(404)
    return render_template("coaches/profile.html", coach=coach)


@bp.get("/coach")
@role_required(Role.COACH)
def dashboard():
    coach = coach_profile_of(current_user)
    couples = assigned_couples(db.session, coach.id) if coach else []
    return render_template("coaches/dashboard.html", coach=coach, couples=couples)
