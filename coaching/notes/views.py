"""Notes pages: the coach's record of a couple, notes (draft, sign, addenda), search, print,
the record's access log; the admin's metadata view and break-glass.

Views stay thin: the services decide (through ``coaching.notes.policy``) and raise
``NotesError`` subclasses that carry their HTTP status. Anyone who may not know that a
couple's record or a note exists gets the same 404 as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.checkins import services as checkins
from coaching.homework import services as homework
from coaching.notes import forms, record, search, services
from coaching.notes import note_templates as nt
from coaching.notes import policy
from coaching.notes.policy import Access
from coaching.scheduling.models import Booking
from coaching.security import coach_profile_of

bp = Blueprint("notes", __name__)


@bp.app_template_global("notes_needing_count")
def notes_needing_count() -> int:
    """For the coach's home: how many of their past sessions need a note."""
    if not current_user.is_authenticated or current_user.role != Role.COACH:
        return 0
    coach = coach_profile_of(current_user)
    return services.sessions_needing_notes(db.session, coach.id) if coach is not None else 0


def _fail(exc: services.NotesError) -> Response | tuple[str, int]:
    if isinstance(exc, services.NotFound):
        abort(404)
    return render_template("notes/refused.html", message=exc.message), exc.status


# --- the record ------------------------------------------------------------------------------


@bp.get("/coach/couples/<int:couple_id>")
@login_required
def couple_record(couple_id: int):
    try:
        rec = record.couple_record(db.session, current_user, couple_id)
    except services.NotesError as exc:
        return _fail(exc)
    profile = coach_profile_of(current_user) if current_user.role == Role.COACH else None
    assigned = profile is not None and rec.couple.coach_id == profile.id
    # The sibling features' sections: each loads in a fixed number of queries and decides for
    # itself who may see it (a previous coach sees neither what was shared nor the scores).
    shared = homework.shared_for_couple(db.session, rec.couple.id, current_user) if assigned else None
    return render_template("notes/record.html", rec=rec, assigned=assigned, shared=shared,
                           checkin_trend=checkins.trend_for_record(db.session, rec.couple, current_user))


@bp.get("/coach/couples/<int:couple_id>/print")
@login_required
def print_record(couple_id: int):
    try:
        rec = record.printable_record(db.session, current_user, couple_id)
    except services.NotesError as exc:
        return _fail(exc)
    return render_template("notes/print.html", rec=rec, printed_at=clock.now())


@bp.get("/coach/couples/<int:couple_id>/access-log")
@login_required
def couple_access_log(couple_id: int):
    try:
        couple, entries = record.access_log(db.session, current_user, couple_id)
    except services.NotesError as exc:
        return _fail(exc)
    return render_template("notes/access_log.html", couple=couple, names=record.couple_names(couple),
                           entries=entries)


# --- writing -----------------------------------------------------------------------------------


def _render_note_form(template: nt.Template, form: forms.NoteForm, *, action: str, title: str,
                      status: int = 200, **context: Any):
    return render_template("notes/new.html", template=template, form=form, action=action, title=title,
                           **context), status


@bp.route("/coach/bookings/<int:booking_id>/note", methods=["GET", "POST"])
@login_required
def session_note(booking_id: int):
    try:
        booking, couple, note = services.session_note_target(db.session, current_user, booking_id)
    except services.NotesError as exc:
        return _fail(exc)
    if note is not None:
        return redirect(url_for("notes.show", note_id=note.id))
    template = services.template_for_booking(db.session, booking)
    partner = services.individual_partner(db.session, booking)
    context = {"couple": couple, "booking": booking,
               "confidential_for": record.partner_label(partner) if partner else None}
    form = forms.note_form(template)
    action = url_for("notes.session_note", booking_id=booking_id)
    if request.method == "GET":
        form.template_key.data, form.template_version.data = template.key, str(template.version)
        return _render_note_form(template, form, action=action, title=template.title, **context)
    return _create(form, template, couple=couple, booking=booking, action=action, context=context)


@bp.route("/coach/couples/<int:couple_id>/notes/new", methods=["GET", "POST"])
@login_required
def new_couple_note(couple_id: int):
    couple = db.session.get(Couple, couple_id)
    viewer = services.viewer_for(db.session, current_user)
    if couple is None or not policy.may_write(viewer, services.couple_facts(
            db.session, viewer, couple, clock.now())):
        abort(404)
    template = nt.current("couple")
    form = forms.note_form(template)
    action = url_for("notes.new_couple_note", couple_id=couple_id)
    if request.method == "GET":
        form.template_key.data, form.template_version.data = template.key, str(template.version)
        return _render_note_form(template, form, action=action, title=template.title, couple=couple)
    return _create(form, template, couple=couple, booking=None, action=action, context={"couple": couple})


def _create(form: forms.NoteForm, template: nt.Template, *, couple: Couple, booking: Any, action: str,
            context: dict[str, Any]):
    if not form.validate_on_submit():
        return _render_note_form(template, form, action=action, title=template.title, status=422, **context)
    try:
        note = services.create_note(db.session, current_user, couple=couple, booking=booking,
                                    template_key=form.template_key.data or "",
                                    template_version=form.template_version.data,
                                    values=forms.section_values(form, template))
    except nt.NoteInvalid as exc:
        for key, message in exc.errors.items():
            form[f"section-{key}"].errors = [message]
        return _render_note_form(template, form, action=action, title=template.title, status=422, **context)
    except services.NotesError as exc:
        return _fail(exc)
    flash("Draft saved.", "success")
    return redirect(url_for("notes.show", note_id=note.id))


def _note_page(note: Any, access: Access, facts: Any, *, form: forms.NoteForm | None = None,
               addendum_form: forms.AddendumForm | None = None, status: int = 200):
    template = nt.get(note.template_key, note.template_version)
    viewer = services.viewer_for(db.session, current_user)
    writable = policy.may_write(viewer, facts, author_coach_id=note.coach_id)
    if form is None and writable and not note.is_signed:
        form = forms.note_form(template, formdata=None)
        form.template_key.data, form.template_version.data = note.template_key, str(note.template_version)
        form.revision.data = str(note.revision)
        for section in template.sections:
            form[f"section-{section.key}"].data = note.sections.get(section.key, "")
    couple = record.load_couple(db.session, note.couple_id)
    partner = next((p for p in couple.partners if p.id == note.partner_id), None) if note.partner_id else None
    return render_template(
        "notes/note.html", note=note, access=access, template=template, couple=couple,
        names=record.couple_names(couple), confidential_for=record.partner_label(partner) if partner else None,
        writable=writable, form=form if writable and not note.is_signed else None,
        sign_form=forms.SignForm(), addendum_form=addendum_form or forms.AddendumForm(),
        booking=db.session.get(Booking, note.booking_id) if note.booking_id else None,
        author=db.session.get(CoachProfile, note.coach_id)), status


@bp.route("/notes/<int:note_id>", methods=["GET", "POST"])
@login_required
def show(note_id: int):
    if request.method == "GET":
        try:
            note, access, facts = services.open_note(db.session, current_user, note_id)
        except services.NotesError as exc:
            return _fail(exc)
        return _note_page(note, access, facts)
    try:
        viewer, note = services.writable_note(db.session, current_user, note_id)
    except services.NotesError as exc:
        return _fail(exc)
    template = nt.get(note.template_key, note.template_version)
    form = forms.note_form(template)
    if form.validate_on_submit():
        try:
            services.save_draft(db.session, current_user, note_id, template_key=form.template_key.data or "",
                                template_version=form.template_version.data, revision=form.revision.data,
                                values=forms.section_values(form, template))
        except nt.NoteInvalid as exc:
            for key, message in exc.errors.items():
                form[f"section-{key}"].errors = [message]
        except services.NotesError as exc:
            return _fail(exc)
        else:
            flash("Draft saved.", "success")
            return redirect(url_for("notes.show", note_id=note_id))
    note, access, facts = services.open_note(db.session, current_user, note_id)
    return _note_page(note, access, facts, form=form, status=422)


@bp.post("/notes/<int:note_id>/sign")
@login_required
def sign(note_id: int):
    if not forms.SignForm().validate_on_submit():
        abort(400)
    try:
        _note, signed_now = services.sign(db.session, current_user, note_id)
    except services.NotesError as exc:
        return _fail(exc)
    flash("Signed. The note is now locked; corrections are addenda." if signed_now
          else "This note was already signed.", "success" if signed_now else "info")
    return redirect(url_for("notes.show", note_id=note_id))


@bp.post("/notes/<int:note_id>/addenda")
@login_required
def add_addendum(note_id: int):
    form = forms.AddendumForm()
    if form.validate_on_submit():
        try:
            services.add_addendum(db.session, current_user, note_id, form.body.data)
        except nt.NoteInvalid as exc:
            form.body.errors = list(exc.errors.values())
        except services.NotesError as exc:
            return _fail(exc)
        else:
            flash("Addendum signed and added.", "success")
            return redirect(url_for("notes.show", note_id=note_id))
    try:
        note, access, facts = services.open_note(db.session, current_user, note_id)
    except services.NotesError as exc:
        return _fail(exc)
    return _note_page(note, access, facts, addendum_form=form, status=422)


@bp.get("/coach/notes/former")
@login_required
def former_notes():
    """A previous coach's way back to the notes they wrote (they keep reading those only)."""
    if current_user.role != Role.COACH:
        abort(404)
    return render_template("notes/former.html", notes=record.former_notes(db.session, current_user))


# --- search ------------------------------------------------------------------------------------


@bp.get("/coach/notes/search")
@login_required
def search_notes():
    if current_user.role != Role.COACH:
        abort(404)
    query = request.args.get("q", "")
    if not query.strip():
        return render_template("notes/search.html", query="", result=None)
    try:
        result = search.search(db.session, current_user, query)
    except services.NotesError as exc:
        return render_template("notes/search.html", query=query[:200], result=None, error=exc.message), exc.status
    return render_template("notes/search.html", query=query, result=result)


# --- admins ------------------------------------------------------------------------------------


@bp.get("/admin/couples/<int:couple_id>/notes")
@login_required
def admin_notes(couple_id: int):
    try:
        rec = record.admin_overview(db.session, current_user, couple_id)
    except services.NotesError as exc:
        return _fail(exc)
    return render_template("notes/admin_couple.html", rec=rec, form=forms.BreakGlassForm())


@bp.post("/admin/couples/<int:couple_id>/break-glass")
@login_required
def break_glass(couple_id: int):
    if current_user.role != Role.ADMIN:
        abort(404)
    couple = db.session.get(Couple, couple_id) or abort(404)
    form = forms.BreakGlassForm()
    if form.validate_on_submit():
        try:
            until = services.break_glass(db.session, current_user, couple, form.reason.data)
        except nt.NoteInvalid as exc:
            form.reason.errors = list(exc.errors.values())
        else:
            flash(f"Break-glass open until {until:%H:%M} UTC. Every note you open is logged.", "info")
            return redirect(url_for("notes.admin_notes", couple_id=couple_id))
    rec = record.admin_overview(db.session, current_user, couple_id)
    return render_template("notes/admin_couple.html", rec=rec, form=form), 422
