"""Pages of the intake feature: the couple's questionnaire, invites, the safety screen,
the staff summary and the admin safety queue.

Client pages act on the logged-in partner's own seat (no ids in their URLs), so one
partner can never address the other's private part. Staff pages use ``get_couple_or_404``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user
from werkzeug.wrappers import Response

from coaching import db
from coaching.accounts.models import Role
from coaching.intake import forms, invites, progress, safety, services, summary
from coaching.intake import questionnaire as qn
from coaching.intake.models import Partner, SafetyFlag
from coaching.intake.review import ReviewRefused
from coaching.security import get_couple_or_404, role_required
from coaching.timezones import zone_choices

bp = Blueprint("intake", __name__)
client_only = role_required(Role.CLIENT)

NEXT_ENDPOINTS = {"consent": ("intake.consent", {}), "personal": ("intake.personal", {}),
                  "invite": ("intake.invite", {}), "safety": ("intake.safety_gate", {})}


def next_url(step: str) -> str:
    """Where the partner goes for ``step`` (see ``progress.next_step``)."""
    kind, _, key = step.partition(":")
    if kind == "shared":
        return url_for("intake.shared_step", step=key)
    if kind == "private":
        return url_for("intake.private_step", step=key)
    endpoint, values = NEXT_ENDPOINTS.get(step, ("intake.status", {}))
    return url_for(endpoint, **values)


@bp.app_template_global("intake_overview")
def intake_overview() -> services.Overview:
    """The current client's intake status (used by the client home page)."""
    return services.overview_for(db.session, current_user)


@bp.app_template_global("intake_crisis_resources")
def intake_crisis_resources() -> Any:
    return safety.crisis_resources()


@bp.app_template_global("intake_next_url")
def intake_next_url(step: str) -> str:
    return next_url(step)


@bp.context_processor
def _questionnaire_names() -> dict[str, Any]:
    return {"DAYS": qn.DAYS, "DAY_NAMES": qn.DAY_NAMES, "BLOCKS": qn.BLOCKS}


def my_partner() -> Partner:
    """The current client's seat; without one, back to the home page to start."""
    partner = services.partner_of(db.session, current_user)
    if partner is None:
        abort(redirect(url_for("public.client_home")))
    return partner


def form_values() -> dict[str, list[str]]:
    return {key: request.form.getlist(key) for key in request.form}


def after_save(partner: Partner) -> Response:
    flash("Saved.", "success")
    return redirect(next_url(services.overview_for(db.session, current_user).next_step))


# --- the couple's pages ----------------------------------------------------------------------


@bp.get("/intake")
@client_only
def status():
    overview = services.overview_for(db.session, current_user)
    if overview.couple is None:
        return redirect(url_for("public.client_home"))
    return render_template("intake/status.html", overview=overview)


@bp.post("/intake/start")
@client_only
def start():
    if forms.EmptyForm().validate_on_submit():
        services.start_intake(db.session, current_user)
        return redirect(next_url(services.overview_for(db.session, current_user).next_step))
    return redirect(url_for("intake.status"))


@bp.route("/intake/consent", methods=["GET", "POST"])
@client_only
def consent():
    partner = my_partner()
    form = forms.ConsentForm()
    if form.validate_on_submit():
        try:
            services.give_consent(db.session, partner, terms=form.terms.data, sharing=form.sharing.data,
                                  sensitive_data=form.sensitive_data.data)
        except services.IntakeError as exc:
            form.terms.errors = [str(exc)]
        else:
            return after_save(partner)
    return render_template("intake/consent.html", form=form, policy=services.confidentiality_policy(),
                           version=services.consent_version(),
                           given=services.has_consent(db.session, partner)), 200 if not form.errors else 422


def _step_page(template: str, step: qn.Step, answers: dict[str, Any], save: Any, **context: Any):
    """GET: the step with saved answers. POST: save, or show the errors and the submitted values."""
    form, errors = forms.StepForm(), {}
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            save(form.version.data, form_values())
        except qn.UnknownVersion as exc:
            flash(str(exc), "error")
            return redirect(request.path)
        except qn.AnswersInvalid as exc:
            errors, answers = exc.errors, submitted_answers(step)
        except services.StepNotFound:
            abort(404)
        except services.IntakeError as exc:
            flash(str(exc), "error")
            return redirect(url_for("intake.status"))
        else:
            return after_save(services.partner_of(db.session, current_user))  # type: ignore[arg-type]
    form.version.data = str(qn.CURRENT_VERSION)
    return render_template(template, form=form, step=step, answers=answers, errors=errors,
                           **context), 422 if errors else 200


def _position(partner: Partner, key: str) -> tuple[int, int]:
    """(step number, steps in all) for this partner's questionnaire, for "Step 3 of 9"."""
    shared_keys = [s.key for s in services.applicable_shared_steps(db.session, partner.couple)]
    return progress.step_position(shared_keys, key)


def submitted_answers(step: qn.Step) -> dict[str, Any]:
    """The raw submitted values, to show again next to their errors (escaped by Jinja)."""
    out: dict[str, Any] = {}
    for q in step.questions:
        if q.kind == "ranked":
            out[q.key + "_ranks"] = {c: request.form.get(f"{q.key}-{c}", "") for c, _ in q.choices}
        elif q.kind in ("multi", "grid"):
            out[q.key + "_raw"] = request.form.getlist(q.key)
        else:
            out[q.key] = request.form.get(q.key, "")
    return out


@bp.get("/intake/shared")
@client_only
def shared():
    partner = my_partner()
    return render_template("intake/shared.html", view=summary.shared_view(db.session, partner.couple),
                           changes=services.shared_changes(db.session, partner.couple),
                           steps=services.applicable_shared_steps(db.session, partner.couple))


@bp.route("/intake/shared/<step>", methods=["GET", "POST"])
@client_only
def shared_step(step: str):
    partner = my_partner()
    steps = {s.key: s for s in services.applicable_shared_steps(db.session, partner.couple)}
    if step not in steps:
        abort(404)
    saved = services.shared_answers(db.session, partner.couple).get(step)
    return _step_page("intake/step.html", steps[step], saved.answers if saved else {},
                      lambda v, f: services.save_shared_step(db.session, partner, step, v, f),
                      part="shared", steps=list(steps.values()), position=_position(partner, step))


@bp.route("/intake/you", methods=["GET", "POST"])
@client_only
def personal():
    partner = my_partner()
    saved = services.shared_answers(db.session, partner.couple).get(f"you:{partner.slot}")
    answers = saved.answers if saved else {"timezone": partner.timezone or current_user.timezone}
    return _step_page("intake/step.html", qn.questionnaire().personal, answers,
                      lambda v, f: services.save_personal(db.session, partner, v, f),
                      part="personal", zones=zone_choices(answers.get("timezone")), position=_position(partner, "you"),
                      selected_blocks=qn.blocks_from_free_times(answers.get("free_times", {})))


@bp.route("/intake/private/<step>", methods=["GET", "POST"])
@client_only
def private_step(step: str):
    partner = my_partner()
    if step not in ("view", "satisfaction"):
        abort(404)
    answers = services.private_answers(db.session, partner).get(step, {})
    return _step_page("intake/step.html", qn.questionnaire().step(step), answers,
                      lambda v, f: services.save_private_step(db.session, partner, step, v, f),
                      part="private", position=_position(partner, step))


# --- invites ---------------------------------------------------------------------------------


@bp.route("/intake/invite", methods=["GET", "POST"])
@client_only
def invite():
    partner = my_partner()
    if partner.slot != "a":
        abort(404)
    form = forms.InviteForm()
    if form.validate_on_submit():
        try:
            invites.invite_partner(db.session, partner, form.email.data)
        except services.IntakeError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"We have emailed an invitation to {form.email.data}.", "success")
            return redirect(url_for("intake.status"))
    seat = next((p for p in partner.couple.partners if p.slot == "b"), None)
    return render_template("intake/invite.html", form=form, seat=seat), 422 if form.errors else 200


def _already_joined(exc: invites.InviteUsed):  # type: ignore[no-untyped-def]
    """A used link: its partner has joined. Signed in as them: on to the questionnaire; else sign in."""
    if current_user.is_authenticated and current_user.id == exc.used_by_id:
        flash("You have already joined your partner on Tandem.", "info")
        return redirect(url_for("intake.status"))
    return render_template("intake/join_invalid.html", message=str(exc), already_joined=True)


@bp.route("/intake/join/<token>", methods=["GET", "POST"])
def join(token: str):
    try:
        invite = invites.valid_invite(db.session, token)
    except invites.InviteUsed as exc:
        return _already_joined(exc)
    except invites.InviteInvalid as exc:
        return render_template("intake/join_invalid.html", message=str(exc)), 404
    form = forms.EmptyForm()
    if current_user.is_authenticated and form.validate_on_submit():
        try:
            invites.accept_invite(db.session, token, current_user)
        except services.IntakeError as exc:
            flash(str(exc), "error")
        else:
            flash("Welcome! You have joined your partner on Tandem.", "success")
            return redirect(url_for("intake.status"))
    inviter = invite.invited_by.name if invite.invited_by else "Your partner"
    return render_template("intake/join.html", form=form, inviter=inviter, token=token,
                           masked=invites.mask_email(invite.email))


@bp.route("/intake/join/<token>/register", methods=["GET", "POST"])
def join_register(token: str):
    if current_user.is_authenticated:
        return redirect(url_for("intake.join", token=token))
    try:
        invite = invites.valid_invite(db.session, token)
    except invites.InviteUsed as exc:
        return _already_joined(exc)
    except invites.InviteInvalid as exc:
        return render_template("intake/join_invalid.html", message=str(exc)), 404
    form = forms.JoinRegisterForm()
    if form.validate_on_submit():
        try:
            user = invites.register_through_invite(db.session, token, name=form.name.data,
                                                   password=form.password.data, timezone=form.timezone.data)
        except services.IntakeError as exc:
            flash(str(exc), "error")
        else:
            login_user(user)
            flash("Welcome! You have joined your partner on Tandem.", "success")
            return redirect(url_for("intake.status"))
    return render_template("intake/join_register.html", form=form, email=invite.email, token=token)


# --- safety ----------------------------------------------------------------------------------


@bp.route("/intake/safety", methods=["GET", "POST"])
@client_only
def safety_gate():
    partner = my_partner()
    if safety.screen_of(db.session, partner) is not None:
        return redirect(url_for("intake.status"))
    gate = forms.SafetyGateForm()
    if gate.validate_on_submit():
        if gate.private.data != "yes":
            return render_template("intake/safety_later.html")  # nothing is saved
        form = forms.StepForm(version=str(qn.CURRENT_VERSION))
        return render_template("intake/safety.html", form=form, step=qn.questionnaire().safety,
                               answers={}, errors={}, position=_position(partner, "safety"))
    return render_template("intake/safety_gate.html", gate=gate), 422 if gate.errors else 200


@bp.post("/intake/safety/answers")
@client_only
def safety_answers():
    partner = my_partner()
    form = forms.StepForm()
    if not form.validate_on_submit():
        abort(400)
    step = qn.questionnaire().safety
    try:
        safety.submit_screen(db.session, partner, form.version.data, form_values())
    except qn.UnknownVersion as exc:
        flash(str(exc), "error")
        return redirect(url_for("intake.safety_gate"))
    except qn.AnswersInvalid as exc:
        form.version.data = str(qn.CURRENT_VERSION)
        return render_template("intake/safety.html", form=form, step=step, answers=submitted_answers(step),
                               errors=exc.errors, position=_position(partner, "safety")), 422
    except services.IntakeError as exc:
        flash(str(exc), "info")
        return redirect(url_for("intake.status"))
    if services.is_flagged_partner(db.session, partner):
        flash("Thank you for telling us. Help is one click away, under Support, whenever you need it.", "info")
        return redirect(url_for("intake.support"))
    return after_save(partner)


@bp.get("/support")
def support():
    """Crisis resources and the quick exit: the same page for everyone (linked from every
    page's navigation as "Support"), so that having it says nothing about anyone's answers."""
    return render_template("intake/support.html", resources=safety.crisis_resources())


@bp.get("/intake/support")
def old_support():
    return redirect(url_for("intake.support"), 301)


@bp.cli.command("rotate-keys")
def rotate_keys() -> None:
    """Re-encrypt every encrypted column with the newest of TANDEM_DATA_KEYS (alias of
    ``flask keys rotate``)."""
    from coaching.cli import rotate_keys as rotate

    rotate()


# --- staff -----------------------------------------------------------------------------------


@bp.get("/intake/couples/<int:couple_id>/summary")
@login_required
def couple_summary(couple_id: int):
    # 404 for partners too: the summary holds both private parts.
    if not current_user.has_role(Role.COACH, Role.ADMIN):
        abort(404)
    couple = get_couple_or_404(couple_id)
    view = summary.staff_summary(db.session, couple)
    from coaching.audit.services import record_read

    record_read(db.session, actor=current_user, action="summary_read", couple_id=couple.id,
                object_type="intake_summary", object_id=couple.id)
    return render_template("intake/summary.html", s=view)


@bp.get("/admin/safety")
@role_required(Role.ADMIN)
def safety_queue():
    show_all = request.args.get("all") == "1"
    return render_template("intake/admin_queue.html", show_all=show_all,
                           flags=safety.flag_queue(db.session, include_resolved=show_all))


@bp.get("/admin/safety/<int:flag_id>")
@role_required(Role.ADMIN)
def safety_flag(flag_id: int):
    flag = db.session.get(SafetyFlag, flag_id) or abort(404)
    return render_template("intake/admin_flag.html", flag=flag, form=forms.ReviewForm())


@bp.post("/admin/safety/<int:flag_id>/<action>")
@role_required(Role.ADMIN)
def review_flag(flag_id: int, action: str):
    flag = db.session.get(SafetyFlag, flag_id) or abort(404)
    if action not in ("acknowledge", "note", "resolve"):
        abort(404)
    form = forms.ReviewForm()
    if not form.validate_on_submit():
        flash("Please keep the note under 4000 characters.", "error")
        return render_template("intake/admin_flag.html", flag=flag, form=form), 422
    try:
        safety.review_flag(db.session, flag, current_user, action, form.note.data or "")
    except (ReviewRefused, services.IntakeError) as exc:
        flash(str(exc), "error")
        return render_template("intake/admin_flag.html", flag=flag, form=form), 409
    flash("Saved.", "success")
    return redirect(url_for("intake.safety_flag", flag_id=flag.id))
