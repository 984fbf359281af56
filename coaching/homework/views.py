"""Homework pages: the coach shares a session's summary; partners read, tick and reflect."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coaching import db
from coaching.accounts.models import Role
from coaching.errors import refuse
from coaching.homework import services
from coaching.homework.forms import DoneForm, ReflectionForm, ShareForm
from coaching.scheduling.models import BookingStatus
from coaching.security import couple_of, role_required

bp = Blueprint("homework", __name__)


def _field_error(form, exc: services.InvalidText) -> None:  # type: ignore[no-untyped-def]
    field = getattr(form, exc.field)
    field.errors = [*field.errors, exc.message]


# --- coach -----------------------------------------------------------------------------------


@bp.route("/coach/bookings/<int:booking_id>/share", methods=["GET", "POST"])
@role_required(Role.COACH)
def share(booking_id: int):
    try:
        _coach, booking, couple = services.coach_booking(db.session, current_user, booking_id)
    except services.NotFound:
        abort(404)
    form = ShareForm()
    status, problem = 200, None
    if form.validate_on_submit():
        try:
            services.publish(db.session, current_user, booking.id, summary=form.summary.data,
                             homework=form.homework.data)
        except services.InvalidText as exc:
            _field_error(form, exc)
            status = 400
        except services.HomeworkError as exc:
            status, problem = exc.status, str(exc)
        else:
            flash("Shared. The partners who may see it have been told by email, without its content.", "success")
            return redirect(url_for("homework.share", booking_id=booking.id))
    unknown_partner = False
    try:
        audience = services.audience_of(db.session, booking, couple)
    except services.NotShareable as exc:
        audience, unknown_partner, problem = None, True, problem or str(exc)
    shared = services.shared_for_couple(db.session, couple.id, current_user, booking_id=booking.id)
    return render_template("homework/share.html", booking=booking, shared=shared, form=form, problem=problem,
                           audience=audience, unknown_partner=unknown_partner, completed=booking.status == BookingStatus.COMPLETED), status


@bp.get("/coach/couples/<int:couple_id>/shared")
@role_required(Role.COACH)
def coach_couple(couple_id: int):
    """Everything shared with one couple, a page of summaries at a time (the record page shows page 1)."""
    try:
        shared = services.shared_for_couple(db.session, couple_id, current_user, page=_page())
    except services.NotFound:
        abort(404)
    return render_template("homework/coach_couple.html", shared=shared)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


# --- partners --------------------------------------------------------------------------------


def _portal(status: int = 200, failed: tuple[int, ReflectionForm] | None = None):  # type: ignore[no-untyped-def]
    couple = couple_of(current_user)
    shared = services.shared_for_couple(db.session, couple.id, current_user, page=_page()) if couple else None
    ended = couple is not None and couple.partner_for(current_user.id).ended_at is not None
    forms = {view.summary.id: ReflectionForm(prefix=f"reflect-{view.summary.id}", formdata=None,
                                             individual=view.summary.is_individual)
             for view in (shared.summaries if shared else [])}
    if failed is not None and failed[0] in forms:
        failed[1].audience.choices = forms[failed[0]].audience.choices
        forms[failed[0]] = failed[1]
    return render_template("homework/portal.html", shared=shared, forms=forms, done_form=DoneForm(),
                           ended=ended), status


@bp.get("/homework")
@role_required(Role.CLIENT)
def portal():
    return _portal()


@bp.post("/homework/items/<int:item_id>/done")
@role_required(Role.CLIENT)
def mark_done(item_id: int):
    form = DoneForm()
    if not form.validate_on_submit() or form.done.data not in ("0", "1"):
        abort(400)
    try:
        services.set_done(db.session, current_user, item_id, form.done.data == "1")
    except services.NotFound:
        abort(404)
    except services.CoupleEnded as exc:
        refuse(exc.status, str(exc))
    return redirect(url_for("homework.portal") + f"#item-{item_id}")


@bp.post("/homework/summaries/<int:summary_id>/reflections")
@role_required(Role.CLIENT)
def reflect(summary_id: int):
    form = ReflectionForm(prefix=f"reflect-{summary_id}")
    if not form.validate_on_submit():
        abort(400)
    try:
        services.add_reflection(db.session, current_user, summary_id, text=form.text.data,
                                audience=form.audience.data)
    except services.NotFound:
        abort(404)
    except services.CoupleEnded as exc:
        refuse(exc.status, str(exc))
    except services.InvalidText as exc:
        _field_error(form, exc)
        return _portal(400, failed=(summary_id, form))
    flash("Your reflection is saved.", "success")
    return redirect(url_for("homework.portal") + f"#summary-{summary_id}")
