"""The couple's proposals, their choice, rematching; the admin's matching queue."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple, FlagStatus, SafetyFlag
from coaching.matching import forms, services
from coaching.matching.models import MatchFeedback
from coaching.security import couple_of, get_couple_or_404, role_required

bp = Blueprint("matching", __name__)


def _my_couple() -> Couple:
    couple = couple_of(current_user)
    if couple is None:
        abort(404)
    return couple


@bp.get("/match")
@role_required(Role.CLIENT)
def proposals():
    couple = _my_couple()
    try:
        services.require_matching_open(db.session, couple)
    except services.MatchingError as exc:
        flash(str(exc), "info")
        return redirect(url_for("public.client_home"))
    proposal = services.propose(db.session, couple, clock.now())
    ids = [m.coach_id for m in proposal.top]
    coaches = {c.id: c for c in db.session.scalars(select(CoachProfile).where(CoachProfile.id.in_(ids)))}
    return render_template("matching/proposals.html", proposal=proposal, coaches=coaches,
                           choose_form=forms.ChooseCoachForm(), none_form=forms.NoneFitForm())


@bp.post("/match/choose")
@role_required(Role.CLIENT)
def choose():
    couple = _my_couple()
    form = forms.ChooseCoachForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        assignment = services.choose_coach(db.session, couple, current_user, form.coach_id.data, clock.now())
    except services.MatchingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("matching.proposals"))
    flash("Your coach is chosen. Your first step is a welcome call, one to one with your coach: "
          "pick a time for yours.", "success")
    first = services.first_session_type(db.session)
    if first is None:
        return redirect(url_for("coaches.profile", coach_id=assignment.coach_id))
    return redirect(url_for("scheduling.book", coach_id=assignment.coach_id, slug=first.slug))


@bp.post("/match/none-fit")
@role_required(Role.CLIENT)
def none_fit():
    couple = _my_couple()
    try:
        services.require_matching_open(db.session, couple)
    except services.MatchingError as exc:
        flash(str(exc), "error")
        return redirect(url_for("public.client_home"))
    form = forms.NoneFitForm()
    if not form.validate_on_submit():
        flash("Please tell us in a few words what was missing.", "error")
        return redirect(url_for("matching.proposals"))
    proposal = services.propose(db.session, couple, clock.now())
    services.none_fit(db.session, couple, current_user, form.missing.data, [m.coach_id for m in proposal.top])
    flash("Thank you. Someone from our team will be in touch to find the right coach with you.", "success")
    return redirect(url_for("public.client_home"))


@bp.route("/match/rematch", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def rematch():
    couple = _my_couple()
    form = forms.RematchForm()
    if form.validate_on_submit():
        try:
            request = services.request_rematch(db.session, couple, current_user, form.reason.data or "")
        except services.MatchingError as exc:
            flash(str(exc), "error")
        else:
            from coaching.notes.services import answer_handover

            answer_handover(db.session, current_user, request.id, bool(form.share_notes.data))
            if request.resolved_at is not None:
                flash("You both asked for another coach. Here are new proposals.", "success")
                return redirect(url_for("matching.proposals"))
            flash("We have asked your partner to agree. Nothing changes until they do.", "info")
        return redirect(url_for("public.client_home"))
    return render_template("matching/rematch.html", form=form, couple=couple)


@bp.get("/admin/matching")
@role_required(Role.ADMIN)
def queue():
    waiting = db.session.scalars(select(Couple).where(Couple.coach_id.is_(None)).order_by(Couple.created_at)).all()
    flagged = db.session.scalars(select(Couple).where(Couple.id.in_(
        select(SafetyFlag.couple_id).where(SafetyFlag.status != FlagStatus.RESOLVED))).order_by(Couple.id)).all()
    feedback = db.session.scalars(select(MatchFeedback).where(MatchFeedback.handled_at.is_(None))
                                  .order_by(MatchFeedback.created_at)).all()
    return render_template("matching/admin_queue.html", waiting=waiting, flagged=flagged, feedback=feedback,
                           flagged_ids={c.id for c in flagged})


@bp.route("/admin/matching/<int:couple_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_couple(couple_id: int):
    couple = get_couple_or_404(couple_id)
    form = forms.AssignCoachForm()
    coaches = db.session.scalars(select(CoachProfile)).all()
    form.coach_id.choices = [(c.id, c.name) for c in coaches]
    if form.validate_on_submit():
        try:
            services.assign_by_admin(db.session, couple, form.coach_id.data, current_user, form.reason.data)
        except services.MatchingError as exc:
            form.reason.errors.append(str(exc))
        else:
            flash("Coach assigned.", "success")
            return redirect(url_for("matching.admin_couple", couple_id=couple.id))
    proposal = None
    try:
        proposal = services.propose(db.session, couple, clock.now())
    except services.MatchingError:
        pass
    return render_template("matching/admin_couple.html", couple=couple, form=form, proposal=proposal,
                           history=services.assignment_history(db.session, couple))
