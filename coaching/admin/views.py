"""Admin pages: the coach roster (more admin pages arrive with their features)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import Role, User
from coaching.accounts.services import AccountError
from coaching.admin import forms, services
from coaching.coaches.services import list_public_coaches
from coaching.intake.models import Couple
from coaching.security import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@role_required(Role.ADMIN)
def home():
    counts = {
        "clients": db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.CLIENT)),
        "coaches": db.session.scalar(select(func.count()).select_from(User).where(User.role == Role.COACH)),
        "couples": db.session.scalar(select(func.count()).select_from(Couple)),
    }
    return render_template("admin/home.html", counts=counts)


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
