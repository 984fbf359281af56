"""Admin pages of the payments feature, under /admin/payments (on the payments blueprint)."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.payments import forms, ledger, packages, refunds, services
from coaching.payments.models import Payment, Refund, RefundStatus
from coaching.payments.policy import RefundPolicy
from coaching.payments.views import bp
from coaching.scheduling.models import Booking, SessionType
from coaching.security import role_required
from coaching.validation import database_id


def _filter_from(form: forms.PaymentFilterForm) -> ledger.PaymentFilter:
    return ledger.PaymentFilter(
        status=form.status.data or None, provider=form.provider.data or None,
        coach_id=request.args.get("coach", type=database_id),
        date_from=None if form.date_from.errors else form.date_from.data,
        date_to=None if form.date_to.errors else form.date_to.data,
        couple_id=request.args.get("couple_id", type=database_id),
        booking_id=request.args.get("booking_id", type=database_id))


def _filter_form() -> forms.PaymentFilterForm:
    form = forms.PaymentFilterForm(request.args)
    coaches = db.session.scalars(select(CoachProfile).order_by(CoachProfile.id)).all()
    form.coach.choices = [("", "Any")] + [(str(c.id), c.name) for c in coaches]
    form.validate()
    return form


@bp.get("/admin/payments")
@role_required(Role.ADMIN)
def admin_payments():
    form = _filter_form()
    payments = ledger.find_payments(db.session, _filter_from(form)) if not form.errors else []
    months = ledger.revenue_by_month(db.session, clock.now())
    from coaching.payments.chart import revenue_svg

    return render_template("payments/admin_list.html", form=form, payments=payments,
                           totals=ledger.totals(payments), chart=revenue_svg(months), months=months,
                           csv_url=url_for("payments.admin_payments_csv", **request.args),
                           owed=refunds.owed_refunds(db.session))


@bp.get("/admin/payments.csv")
@role_required(Role.ADMIN)
def admin_payments_csv():
    form = _filter_form()
    if form.errors:
        abort(400)
    body = ledger.to_csv(ledger.find_payments(db.session, _filter_from(form), limit=100_000))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=tandem-payments.csv"})


@bp.get("/admin/payments/<int:payment_id>")
@role_required(Role.ADMIN)
def admin_payment(payment_id: int, refund_form=None, record_form=None, sent=None,  # type: ignore[no-untyped-def]
                  status: int = 200):
    """One payment; ``sent`` is ``(refund id, bound form)`` of an owed refund to show again with its errors."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    booking = db.session.get(Booking, payment.booking_id) if payment.booking_id else None
    listed = ledger.refunds_of(db.session, payment.id)
    sent_forms = {r.id: forms.ManualRefundForm(formdata=None, prefix=f"refund-{r.id}", sent_on=clock.now().date())
                  for r in listed if r.status == RefundStatus.OWED}
    if sent is not None:
        sent_forms[sent[0]] = sent[1]
    return render_template(
        "payments/admin_detail.html", payment=payment, booking=booking,
        events=ledger.events_of(db.session, payment.id), refunds=listed, sent_forms=sent_forms,
        refundable=refunds.refundable_cents(db.session, payment),
        refund_form=refund_form or forms.RefundForm(formdata=None),
        record_form=record_form or forms.ManualPaymentForm(formdata=None, paid_on=clock.now().date())), status


@bp.post("/admin/payments/<int:payment_id>/refund")
@role_required(Role.ADMIN)
def admin_refund(payment_id: int):
    form = forms.RefundForm()
    if form.validate_on_submit():
        try:
            refund = refunds.admin_refund(db.session, payment_id, form.cents, form.reason.data, current_user)
        except refunds.RefundRefused as exc:
            form.amount.errors.append(str(exc))
        else:
            if refund.status == RefundStatus.OWED:
                message, category = "Refund owed: send the money, then record below how you sent it.", "info"
            elif refund.status == RefundStatus.SUCCEEDED:
                message, category = "Refund sent.", "success"
            else:
                message = f"Refund recorded as {refund.status.value}: {refund.last_error or 'it will be retried.'}"
                category = "error"
            flash(message, category)
            return redirect(url_for("payments.admin_payment", payment_id=payment_id), code=303)
    return admin_payment(payment_id, refund_form=form, status=422)


@bp.post("/admin/payments/<int:payment_id>/record")
@role_required(Role.ADMIN)
def admin_record_payment(payment_id: int):
    form = forms.ManualPaymentForm()
    if form.validate_on_submit():
        try:
            ledger.record_manual_payment(db.session, payment_id, method=form.method.data,
                                         reference=form.reference.data or "", paid_on=form.paid_on.data,
                                         admin=current_user, now=clock.now())
        except services.PaymentError as exc:
            form.method.errors.append(str(exc))
        else:
            flash("Payment recorded; the receipt is on its way.", "success")
            return redirect(url_for("payments.admin_payment", payment_id=payment_id), code=303)
    return admin_payment(payment_id, record_form=form, status=422)


@bp.post("/admin/payments/refunds/<int:refund_id>/sent")
@role_required(Role.ADMIN)
def admin_refund_sent(refund_id: int):
    """An admin records how an owed (manual) refund was sent."""
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        abort(404)
    form = forms.ManualRefundForm(prefix=f"refund-{refund_id}")
    if form.validate_on_submit():
        try:
            refunds.record_manual_refund(db.session, refund_id, method=form.method.data,
                                         reference=form.reference.data or "", sent_on=form.sent_on.data,
                                         admin=current_user, now=clock.now())
        except refunds.RefundRefused as exc:
            form.sent_on.errors.append(str(exc))
        else:
            flash("Refund recorded as sent; the couple has been told.", "success")
            return redirect(url_for("payments.admin_payment", payment_id=refund.payment_id), code=303)
    return admin_payment(refund.payment_id, sent=(refund_id, form), status=422)


@bp.app_template_global()
def refunds_owed_count() -> int:
    """For the admin home page: how many manual refunds are still to be sent."""
    return refunds.owed_count(db.session)


@bp.get("/admin/payments/couples/<int:couple_id>")
@role_required(Role.ADMIN)
def admin_couple_ledger(couple_id: int):
    couple = db.session.get(Couple, couple_id)
    if couple is None:
        abort(404)
    lines, balances = ledger.couple_ledger(db.session, couple_id)
    return render_template("payments/admin_couple.html", couple=couple, lines=lines, balances=balances)


@bp.route("/admin/payments/settings", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_settings():
    policy = services.refund_policy(db.session)
    form = forms.PolicyForm(refund_hours=policy.refund_hours, late_percent=policy.late_percent)
    if form.validate_on_submit():
        services.save_refund_policy(db.session, RefundPolicy(form.refund_hours.data, form.late_percent.data),
                                    current_user)
        flash("Cancellation policy saved.", "success")
        return redirect(url_for("payments.admin_settings"), code=303)
    return render_template("payments/admin_settings.html", form=form), 422 if form.errors else 200


@bp.route("/admin/packages", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def admin_packages():
    form = forms.PackageForm()
    types = db.session.scalars(select(SessionType).where(SessionType.price_cents > 0).order_by(SessionType.id))
    form.session_type_id.choices = [(t.id, t.name) for t in types]
    if form.validate_on_submit():
        try:
            packages.create_package(db.session, name=form.name.data, session_type_id=form.session_type_id.data,
                                    sessions=form.sessions.data, discount_percent=form.discount_percent.data,
                                    valid_months=form.valid_months.data)
        except services.PaymentError as exc:
            form.session_type_id.errors.append(str(exc))
        else:
            flash("Package created.", "success")
            return redirect(url_for("payments.admin_packages"), code=303)
    offers = [(p, packages.price_of(p)) for p in packages.all_packages(db.session)]
    return render_template("payments/admin_packages.html", form=form, offers=offers,
                           toggle_form=forms.EmptyToggle()), 422 if form.errors else 200


@bp.post("/admin/packages/<int:package_id>/active")
@role_required(Role.ADMIN)
def admin_package_active(package_id: int):
    form = forms.EmptyToggle()
    if not form.validate_on_submit():
        abort(400)
    packages.set_package_active(db.session, package_id, form.active.data == "1")
    return redirect(url_for("payments.admin_packages"), code=303)
