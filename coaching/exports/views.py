"""``/account/data``: ask for an export, download it once; ``/admin/exports``: notes requests."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.exports import archive, forms, services
from coaching.security import role_required

bp = Blueprint("exports", __name__, url_prefix="/account/data")
admin_bp = Blueprint("exports_admin", __name__, url_prefix="/admin/exports")
PENDING_LINK = "export_link"


@bp.route("", methods=["GET", "POST"])
@login_required
def data():
    form = forms.RequestExportForm()
    if form.validate_on_submit():
        try:
            services.request_export(db.session, current_user, clock.now(),
                                    want_notes=bool(form.include_notes.data) and services.may_ask_for_notes(current_user))
        except services.ExportError as exc:
            flash(str(exc), "error")
        else:
            flash("Thank you. We are preparing your data and will email you a download link.", "success")
        return redirect(url_for("exports.data"), code=303)
    return render_template("exports/data.html", form=form, exports=services.exports_of(db.session, current_user),
                           may_ask_for_notes=services.may_ask_for_notes(current_user),
                           notes_setting=services.notes_setting(), is_client=current_user.role == Role.CLIENT)


@bp.get("/download/<token>")
def download(token: str):
    if not current_user.is_authenticated:
        # Log in first. The link's token waits in the (signed) session cookie, not in the login
        # page's ?next= (query strings reach access logs unredacted); /download picks it up.
        if archive.plausible_token(token):
            session[PENDING_LINK] = token
        return redirect(url_for("accounts.login", next=url_for("exports.resume")))
    row = services.check_link(db.session, current_user, token, clock.now())
    return render_template("exports/download.html", export=row, form=forms.ConfirmForm())


@bp.get("/download")
@login_required
def resume():
    """After logging in from an emailed link: back to that link's download page."""
    token = session.pop(PENDING_LINK, None)
    if not isinstance(token, str) or not archive.plausible_token(token):
        return redirect(url_for("exports.data"))
    return redirect(url_for("exports.download", token=token))


@bp.post("/download/<token>")
@login_required
def download_file(token: str):
    form = forms.ConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("exports.download", token=token), code=303)
    got = services.download(db.session, current_user, token, clock.now())
    return Response(got.payload, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{got.filename}"',
        "Cache-Control": "no-store"})


@admin_bp.get("")
@role_required(Role.ADMIN)
def requests():
    return render_template("exports/admin_requests.html", requests=services.notes_requests(db.session))


@admin_bp.route("/<int:export_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def review(export_id: int):
    info = services.review(db.session, export_id)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        decision = request.form.get("decision")
        if decision not in ("release", "decline"):
            abort(400)
        release = decision == "release"
        try:
            services.decide(db.session, current_user, export_id, clock.now(), release=release)
        except services.ExportError as exc:
            flash(str(exc), "error")
        else:
            flash("The notes are released into a new export; the person gets a link by email." if release
                  else "The request is declined; the person is told by email.", "success")
        return redirect(url_for("exports_admin.requests"), code=303)
    return render_template("exports/admin_review.html", info=info, form=form)
