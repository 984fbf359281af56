"""Stripe webhooks against the real SDK and a local stand-in, on SQLite and PostgreSQL.

Cases: the happy path end to end; replayed and concurrently duplicated events; forged,
missing and stale signatures; expired-before-completed and completed-before-expired;
payment after the hold expired and the slot was taken (exactly one refund); delayed
payment methods; refunds reconciled from charge.refunded.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching import db
from coaching.payments import services
from coaching.payments.models import Payment, Refund, RefundStatus, StripeEvent
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import BookingStatus
from tests.payment_data import (  # noqa: F401 (fixtures)
    SLOT, WEBHOOK_SECRET, count, emails, fresh, place, standin,
    stripe_config_overrides, world_fixture)
from tests.stripe_standin import make_event


def checkout(world, frozen_clock, user=None):
    """Place a hold and open its Checkout session; returns (booking, payment)."""
    user = user or world.partner_a
    booking = place(world, user, frozen_clock())
    outcome = services.start_checkout(db.session, booking, user, frozen_clock())
    assert outcome.kind == "redirect"
    payment = services.payment_for_booking(db.session, booking.id)
    return booking, payment


def post(client, standin, event, **sign):
    body, headers = standin.signed(event, **sign)
    return client.post("/webhooks/stripe", data=body, headers=headers)


def completed(standin, payment, event_id=None):
    return make_event("checkout.session.completed", standin.complete(payment.checkout_session_id), event_id)


def test_paid_hold_is_confirmed_by_the_signed_completed_event_and_a_receipt_sent(client, standin, world,
                                                                                 frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    assert booking.status == BookingStatus.HELD and payment.status == PaymentStatus.PENDING

    response = post(client, standin, completed(standin, payment))

    assert response.status_code == 200 and response.get_json()["outcome"] == "booking confirmed"
    booking, payment = fresh(booking), fresh(payment)
    assert booking.status == BookingStatus.CONFIRMED
    assert payment.status == PaymentStatus.PAID and payment.payment_intent_id.startswith("pi_")
    assert payment.receipt_number and payment.receipt_number.startswith("TR-2026-")
    [receipt] = emails("receipt", "ana@example.com")
    assert payment.receipt_number in receipt.text_body
    assert count(StripeEvent) == 1


def test_replayed_event_is_applied_once(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    event = completed(standin, payment)

    outcomes = [post(client, standin, event).get_json()["outcome"] for _ in range(3)]

    assert outcomes == ["booking confirmed", "duplicate", "duplicate"]
    assert len(emails("receipt")) == 1 and count(StripeEvent) == 1
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_concurrent_copies_of_an_event_apply_once(app, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    event = completed(standin, payment)
    body, headers = standin.signed(event)
    barrier = threading.Barrier(6)
    results: list[int] = []

    def deliver():
        client = app.test_client()
        barrier.wait()
        results.append(client.post("/webhooks/stripe", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert results == [200] * 6
    assert count(StripeEvent) == 1 and len(emails("receipt")) == 1
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert fresh(payment).status == PaymentStatus.PAID


def test_completed_and_async_succeeded_racing_confirm_once(app, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    session = standin.complete(payment.checkout_session_id)
    events = [make_event("checkout.session.completed", session),
              make_event("checkout.session.async_payment_succeeded", session)]
    barrier = threading.Barrier(2)

    def deliver(event):
        body, headers = standin.signed(event)
        barrier.wait()
        app.test_client().post("/webhooks/stripe", data=body, headers=headers)

    threads = [threading.Thread(target=deliver, args=(e,)) for e in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert count(StripeEvent) == 2 and len(emails("receipt")) == 1
    assert fresh(booking).status == BookingStatus.CONFIRMED


@pytest.mark.parametrize("tamper", ["forged", "missing", "stale", "wrong secret", "body changed"])
def test_unverified_webhook_is_refused_and_changes_nothing(client, standin, world, frozen_clock, tamper):
    booking, payment = checkout(world, frozen_clock)
    event = completed(standin, payment)
    body, headers = standin.signed(event)
    if tamper == "forged":
        headers["Stripe-Signature"] = f"t={int(time.time())},v1={'0' * 64}"
    elif tamper == "missing":
        del headers["Stripe-Signature"]
    elif tamper == "stale":
        body, headers = standin.signed(event, timestamp=int(time.time()) - 3600)
    elif tamper == "wrong secret":
        body, headers = standin.signed(event, secret="whsec_someone_else")
    else:
        body = body.replace('"paid"', '"paid" ')

    response = client.post("/webhooks/stripe", data=body, headers=headers)

    assert response.status_code == 400
    assert count(StripeEvent) == 0 and emails("receipt") == []
    assert fresh(booking).status == BookingStatus.HELD
    assert fresh(payment).status == PaymentStatus.PENDING


def test_expired_delivered_before_completed_still_confirms(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    session = standin.complete(payment.checkout_session_id)
    expired = make_event("checkout.session.expired", {**session, "status": "expired"})

    assert post(client, standin, expired).get_json()["outcome"] == "session expired"
    assert post(client, standin, make_event("checkout.session.completed", session)).status_code == 200

    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert fresh(payment).status == PaymentStatus.PAID
    assert standin.refunds == {}


def test_expired_delivered_after_completed_is_ignored(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    session = standin.complete(payment.checkout_session_id)
    post(client, standin, make_event("checkout.session.completed", session))

    response = post(client, standin, make_event("checkout.session.expired", {**session, "status": "expired"}))

    assert response.get_json()["outcome"] == "ignored (paid)"
    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert fresh(payment).status == PaymentStatus.PAID


def test_payment_after_the_hold_expired_and_the_slot_was_taken_is_refunded_exactly_once(
        client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    frozen_clock.advance(hours=1)  # the hold (session + grace) has ended
    rival = place(world, world.other, frozen_clock())  # sweeps the stale hold, takes the slot
    assert fresh(booking).status == BookingStatus.EXPIRED
    event = completed(standin, payment)

    first = post(client, standin, event)
    replay = post(client, standin, event)
    again = post(client, standin, make_event("checkout.session.async_payment_succeeded",
                                             standin.sessions[payment.checkout_session_id]))
    from coaching.payments.refunds import send_pending_refunds

    send_pending_refunds(db.session)

    assert first.get_json()["outcome"] == "hold gone: refunded"
    assert replay.get_json()["outcome"] == "duplicate" and again.get_json()["outcome"] == "already paid"
    payment = fresh(payment)
    assert payment.unplaced and payment.status == PaymentStatus.REFUNDED
    assert len(standin.refunds_for(payment.payment_intent_id)) == 1
    assert standin.refunds_for(payment.payment_intent_id)[0]["amount"] == 12000
    assert count(Refund, Refund.payment_id == payment.id) == 1
    assert db.session.scalar(select(Refund)).status == RefundStatus.SUCCEEDED
    assert fresh(booking).status == BookingStatus.EXPIRED
    assert fresh(rival).status == BookingStatus.HELD and rival.couple_id == world.other_couple.id
    [notice] = emails("payment_unplaced", "ana@example.com")
    assert "/book" in notice.text_body and emails("receipt") == []


def test_refund_that_the_provider_failed_to_take_is_retried_with_the_same_key(client, standin, world,
                                                                              frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    frozen_clock.advance(hours=1)
    place(world, world.other, frozen_clock())
    standin.fail_with = 500
    post(client, standin, completed(standin, payment))
    refund = db.session.scalar(select(Refund))
    assert fresh(refund).status == RefundStatus.PENDING and fresh(refund).attempts == 1

    standin.fail_with = None
    from coaching.payments.refunds import send_pending_refunds

    assert send_pending_refunds(db.session) == 1
    assert send_pending_refunds(db.session) == 0
    assert fresh(refund).status == RefundStatus.SUCCEEDED
    keys = {key for _, _, key in standin.calls("POST", "/v1/refunds")}
    assert keys == {refund.idempotency_key} and len(standin.refunds) == 1


def test_delayed_payment_keeps_the_hold_until_it_succeeds(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    session = standin.complete(payment.checkout_session_id, payment_status="unpaid")

    post(client, standin, make_event("checkout.session.completed", session))
    assert fresh(payment).status == PaymentStatus.PROCESSING and fresh(booking).status == BookingStatus.HELD

    post(client, standin, make_event("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}))
    assert fresh(payment).status == PaymentStatus.PAID and fresh(booking).status == BookingStatus.CONFIRMED


def test_failed_delayed_payment_releases_the_hold_and_tells_the_couple(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    session = standin.complete(payment.checkout_session_id, payment_status="unpaid")
    post(client, standin, make_event("checkout.session.completed", session))

    post(client, standin, make_event("checkout.session.async_payment_failed", session))

    assert fresh(payment).status == PaymentStatus.FAILED
    assert fresh(booking).status != BookingStatus.HELD
    assert len(emails("payment_failed", "ana@example.com")) == 1


def test_refund_made_in_the_stripe_dashboard_is_reconciled_from_charge_refunded(client, standin, world,
                                                                                frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    post(client, standin, completed(standin, payment))
    payment = fresh(payment)
    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.payment_intent_id, "amount": 12000,
              "amount_refunded": 3000, "refunds": {"object": "list", "data": [
                  {"id": "re_dashboard", "amount": 3000, "metadata": {}}]}}

    post(client, standin, make_event("charge.refunded", charge))
    post(client, standin, make_event("charge.refunded", charge))  # a second delivery, new event id

    payment = fresh(payment)
    assert payment.refunded_cents == 3000 and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert count(Refund, Refund.payment_id == payment.id) == 1


def test_event_for_a_session_tandem_never_saved_is_adopted_from_its_metadata(client, standin, world,
                                                                            frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    from coaching.payments.gateway import gateway_for

    session = gateway_for(client.application.config).create_checkout(
        amount_cents=12000, currency="usd", product_name="x", reference=f"booking-{booking.id}",
        metadata={"kind": "booking", "booking_id": str(booking.id)}, customer_email=None,
        success_url="http://t/s", cancel_url="http://t/c", expires_at=frozen_clock() + timedelta(minutes=31),
        idempotency_key="lost-response")

    post(client, standin, make_event("checkout.session.completed", standin.complete(session.id)))

    assert fresh(booking).status == BookingStatus.CONFIRMED
    assert db.session.scalar(select(Payment).where(Payment.checkout_session_id == session.id)).booking_id \
        == booking.id
