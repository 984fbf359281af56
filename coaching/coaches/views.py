"""Coach directory and profiles (public), the coach's dashboard and profile editor, admin edits."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches import forms, services
from coaching.coaches.models import CoachProfile
from coaching.intake.safety import unresolved_flags
from coaching.security import coach_profile_of, role_required

bp = Blueprint("coaches", __name__)


@bp.app_template_filter("words")
def _words(codes: list[str] | None, kind: str) -> str:
    """A profile's stored codes in human words: ``coach.languages|words('language')``."""
    from coaching.coaches.words import words

    return words(codes, kind)


@bp.get("/coaches")
def directory():
    return render_template("coaches/directory.html", coaches=services.list_public_coaches(db.session))


@bp.get("/coaches/<int:coach_id>")
def profile(coach_id: int):
    coach = db.session.get(CoachProfile, coach_id)
    if coach is None or not coach.user.is_active:
        abort(404)
    return render_template("coaches/profile.html", coach=coach,
                           next_times=services.next_open_times(db.session, coach, clock.now()))


@bp.get("/coach")
@role_required(Role.COACH)
def dashboard():
    coach = coach_profile_of(current_user)
    couples = services.assigned_couples(db.session, coach.id) if coach else []
    flagged = {c.id for c in couples if unresolved_flags(db.session, c.id)}
    return render_template("coaches/dashboard.html", coach=coach, couples=couples, flagged=flagged)


def _edit(coach: CoachProfile, form: forms.CoachProfileForm, *, by_admin: bool, done: str):  # type: ignore[no-untyped-def]
    if form.validate_on_submit():
        services.update_profile(db.session, coach, form.data, by_admin=by_admin)
        flash("Profile saved.", "success")
        return redirect(done)
    return render_template("coaches/edit_profile.html", coach=coach, form=form, by_admin=by_admin)


@bp.route("/coach/profile", methods=["GET", "POST"])
@role_required(Role.COACH)
def edit_own_profile():
    coach = coach_profile_of(current_user)
    if coach is None:
        abort(404)
    return _edit(coach, forms.CoachProfileForm(obj=coach), by_admin=False, done=url_for("coaches.edit_own_profile"))


@bp.route("/admin/coaches/<int:coach_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_edit(coach_id: int):
    coach = db.session.get(CoachProfile, coach_id)
    if coach is None:
        abort(404)
    return _edit(coach, forms.AdminCoachProfileForm(obj=coach), by_admin=True, done=url_for("admin.coaches"))
