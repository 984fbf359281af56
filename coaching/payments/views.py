"""Pages of the payments feature: paying for a hold, packages, the Stripe webhook."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from coaching import clock, db
from coaching.accounts.forms import EmptyForm
from coaching.accounts.models import Role
from coaching.extensions import csrf
from coaching.payments import credits, packages, receivers, services, webhooks
from coaching.payments.gateway import (GatewayError, GatewayUnavailable, StripeGateway, WebhookInvalid,
                                      WebhookMalformed, provider_name)
from coaching.payments.models import PackagePurchase, PurchaseStatus
from coaching.scheduling import services as scheduling_services
from coaching.scheduling.models import Booking, SessionType
from coaching.security import couple_of, verified_required

bp = Blueprint("payments", __name__)
receivers.connect()


@bp.record_once
def _allow_checkout_form_target(state) -> None:  # type: ignore[no-untyped-def]
    # Paying starts with a POST answered by a redirect to Stripe: CSP's form-action must allow it.
    config = state.app.config
    if provider_name(config) == "stripe":
        origin = config["STRIPE_CHECKOUT_ORIGIN"]
        if origin not in config["CSP_FORM_ACTION_EXTRA"]:
            config["CSP_FORM_ACTION_EXTRA"] = [*config["CSP_FORM_ACTION_EXTRA"], origin]


def _own_booking_or_404(booking_id: int) -> Booking:
    """A booking the current client may pay for: their couple's joint sessions and their own
    individual ones (scheduling's ``visible_booking`` decides); 404 otherwise."""
    if current_user.role != Role.CLIENT:
        abort(404)
    try:
        return scheduling_services.visible_booking(db.session, current_user, booking_id)
    except scheduling_services.NotFound:
        abort(404)


@bp.route("/pay/<int:booking_id>", methods=["GET", "POST"])
@verified_required
def checkout(booking_id: int):
    booking = _own_booking_or_404(booking_id)
    session_type = db.session.get(SessionType, booking.session_type_id)
    form = EmptyForm()
    status = 200
    if form.validate_on_submit():
        try:
            outcome = services.start_checkout(db.session, booking, current_user, clock.now())
        except services.HoldGone as exc:
            flash(str(exc), "error")
            status = 409
        except services.PaymentError as exc:
            flash(str(exc), "error")
            status = 422
        except GatewayUnavailable:
            flash("The payment provider did not answer. You have not been charged and your time is "
                  "still held; please try again.", "error")
            status = 503
        except GatewayError as exc:
            flash(f"{exc} You have not been charged.", "error")
            status = 422
        else:
            if outcome.kind == "redirect":
                return redirect(outcome.url, code=303)
            if outcome.kind == "credit":
                flash("Booked with one of your package credits.", "success")
            elif outcome.kind == "invoice":
                flash("Your session is booked. We have emailed you the invoice.", "success")
            return redirect(url_for("payments.done", booking_id=booking.id), code=303)
        db.session.refresh(booking)
    elif booking.status.value != "held" and request.method == "GET":
        return redirect(url_for("payments.done", booking_id=booking.id))
    credit = credits.covering_purchase(db.session, booking.couple_id, booking.session_type_id,
                                       starts_at=booking.starts_at, now=clock.now()) if booking.couple_id else None
    return render_template("payments/checkout.html", booking=booking, session_type=session_type, form=form,
                           credit=credit, provider=services.gateway().name,
                           cancelled=request.args.get("cancelled") == "1"), status


@bp.get("/pay/<int:booking_id>/done")
@verified_required
def done(booking_id: int):
    """Never trusts the redirect from Checkout: it says what the webhook has recorded so far."""
    booking = _own_booking_or_404(booking_id)
    state = services.checkout_status(db.session, booking)
    return render_template("payments/done.html", booking=booking, state=state,
                           payment=services.payment_for_booking(db.session, booking.id),
                           session_type=db.session.get(SessionType, booking.session_type_id))


@bp.get("/packages", endpoint="packages")
@verified_required
def packages_page():
    couple = couple_of(current_user)
    balances = credits.couple_balances(db.session, couple.id, clock.now()) if couple else []
    offers = [(p, packages.price_of(p)) for p in packages.active_packages(db.session)]
    return render_template("payments/packages.html", offers=offers, balances=balances, couple=couple,
                           form=EmptyForm())



@bp.post("/packages/<int:package_id>/buy")
@verified_required
def buy_package(package_id: int):
    couple = couple_of(current_user)
    if couple is None or not EmptyForm().validate_on_submit():
        abort(404 if couple is None else 400)
    try:
        outcome = packages.buy_package(db.session, package_id, current_user, couple.id, clock.now())
    except (services.PaymentError, GatewayError) as exc:
        flash(f"{exc} You have not been charged.", "error")
        return redirect(url_for("payments.packages"))
    if outcome.kind == "redirect":
        return redirect(outcome.url, code=303)
    flash("Thank you. We have emailed you the invoice; your credits arrive once it is paid.", "success")
    return redirect(url_for("payments.packages"))


@bp.get("/packages/purchases/<int:purchase_id>/done")
@verified_required
def package_done(purchase_id: int):
    couple = couple_of(current_user)
    purchase = db.session.get(PackagePurchase, purchase_id)
    if couple is None or purchase is None or purchase.couple_id != couple.id:
        abort(404)
    return render_template("payments/package_done.html", purchase=purchase,
                           paid=purchase.status == PurchaseStatus.PAID)


@bp.post("/webhooks/stripe")
@csrf.exempt
def stripe_webhook():
    """Stripe's events: verified over the raw body, applied once, answered at once."""
    gate = services.gateway()
    if not isinstance(gate, StripeGateway):
        abort(404)
    try:
        event = gate.parse_webhook(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except WebhookMalformed:
        return {"error": "malformed event"}, 400
    except WebhookInvalid:
        return {"error": "invalid signature"}, 400
    outcome = webhooks.apply_event(db.session, event, clock.now())
    return {"received": True, "outcome": outcome}, 200


from coaching.payments import admin_views  # noqa: E402,F401  (admin pages on this blueprint)
