"""Check-in pages: a partner's own check-ins and trend, and the coach's trend of a couple.

Client pages act on the logged-in partner's own seat; a check-in id of another couple is a
404. Staff pages use ``get_couple_or_404`` (assigned coach and admins; a 404 for others).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from coaching import db
from coaching.accounts.models import Role
from coaching.checkins import forms, services
from coaching.intake import questionnaire as qn
from coaching.intake.forms import SafetyGateForm
from coaching.intake.models import Partner
from coaching.intake.safety import crisis_resources
from coaching.intake.services import partner_of
from coaching.security import get_couple_or_404, role_required

bp = Blueprint("checkins", __name__)
services.connect()
client_only = role_required(Role.CLIENT)


def my_partner() -> Partner:
    partner = partner_of(db.session, current_user)
    if partner is None:
        abort(404)
    return partner


def my_checkin(partner: Partner, checkin_id: int) -> services.CheckIn:
    try:
        return services.checkin_for(db.session, partner, checkin_id)
    except services.CheckinNotFound:
        abort(404)


def questions_page(checkin_id: int, form: forms.AnswersForm, answers: dict, errors: dict, status: int = 200):
    questions = qn.questionnaire()
    form.version.data = str(qn.CURRENT_VERSION)
    return render_template("checkins/answer.html", checkin_id=checkin_id, form=form, answers=answers,
                           errors=errors, csi=questions.step("satisfaction"), safety=questions.safety), status


# --- partners --------------------------------------------------------------------------------


@bp.get("/checkins")
@client_only
def mine():
    partner = partner_of(db.session, current_user)
    if partner is None:
        return redirect(url_for("public.client_home"))
    return render_template("checkins/mine.html", open=services.open_checkins(db.session, partner),
                           trend=services.partner_trend(db.session, partner, current_user.timezone))


@bp.route("/checkins/<int:checkin_id>", methods=["GET", "POST"])
@client_only
def answer(checkin_id: int):
    partner = my_partner()
    checkin = my_checkin(partner, checkin_id)
    if services.response_of(db.session, partner, checkin) is not None:
        return redirect(url_for("checkins.done", checkin_id=checkin.id))
    gate = SafetyGateForm()
    if gate.validate_on_submit():
        if gate.private.data != "yes":
            return render_template("checkins/later.html")  # nothing is saved
        return questions_page(checkin.id, forms.AnswersForm(formdata=None), {}, {})
    return render_template("checkins/gate.html", gate=gate), 422 if gate.errors else 200


@bp.post("/checkins/<int:checkin_id>/answers")
@client_only
def answers(checkin_id: int):
    partner = my_partner()
    form = forms.AnswersForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.submit(db.session, partner, checkin_id, form.version.data,
                        {key: request.form.getlist(key) for key in request.form})
    except services.CheckinNotFound:
        abort(404)
    except services.AlreadyAnswered as exc:
        flash(str(exc), "info")
        return redirect(url_for("checkins.done", checkin_id=checkin_id)), 303
    except qn.UnknownVersion as exc:
        flash(str(exc), "error")
        return redirect(url_for("checkins.answer", checkin_id=checkin_id))
    except qn.AnswersInvalid as exc:
        submitted = {key: request.form.get(key, "") for key in request.form if key != "csrf_token"}
        return questions_page(checkin_id, form, submitted, exc.errors, 422)
    except services.CheckinError as exc:
        flash(str(exc), "error")
        return redirect(url_for("checkins.mine"))
    return redirect(url_for("checkins.done", checkin_id=checkin_id))


@bp.get("/checkins/<int:checkin_id>/done")
@client_only
def done(checkin_id: int):
    """Thanks, and for a partner whose own re-screen was positive, crisis resources."""
    partner = my_partner()
    response = services.response_of(db.session, partner, my_checkin(partner, checkin_id))
    if response is None:
        abort(404)
    return render_template("checkins/done.html", result=services.result_of(response), resources=crisis_resources())


# --- staff -----------------------------------------------------------------------------------


# One rule for both methods: with two rules on one path, Werkzeug answers an out-of-range id
# with 405 (the GET rule's path matches first) instead of 404.
@bp.route("/coach/couples/<int:couple_id>/checkins", methods=["GET", "POST"])
@login_required
def couple_trend(couple_id: int):
    if request.method == "POST":
        return send(couple_id)
    if not current_user.has_role(Role.COACH, Role.ADMIN):
        abort(404)  # partners too: the page holds both partners' scores
    couple = get_couple_or_404(couple_id)
    trend = services.couple_trend(db.session, couple, current_user)
    return render_template("checkins/coach.html", couple=couple, checkin_trend=trend, form=forms.SendForm(),
                           can_send=current_user.role == Role.COACH)


def send(couple_id: int):  # type: ignore[no-untyped-def]
    """POST of ``couple_trend``: the couple's coach sends a check-in."""
    if not current_user.has_role(Role.COACH, Role.ADMIN):
        abort(404)
    couple = get_couple_or_404(couple_id)
    if current_user.role != Role.COACH:
        abort(403)  # admins see the trend; sending is the couple's coach's decision
    if not forms.SendForm().validate_on_submit():
        abort(400)
    try:
        services.send_checkin(db.session, current_user, couple)
    except services.CheckinNotFound:
        abort(404)
    except services.CheckinError as exc:
        flash(str(exc), "error")
    else:
        flash("Check-in sent. Each partner has been emailed.", "success")
    return redirect(url_for("checkins.couple_trend", couple_id=couple.id))
