"""Opening Checkout for a hold, provider failures, released holds, cancellations and reschedules."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching import db
from coaching.payments import services
from coaching.payments.gateway import GatewayUnavailable
from coaching.payments.models import Payment, Refund
from coaching.payments.policy import RefundPolicy
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import BookingStatus
from tests.payment_data import SLOT, count, emails, fresh, place, standin, world_fixture, stripe_config_overrides  # noqa: F401 (fixtures)
from tests.stripe_standin import make_event


def paid_booking(client, standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    payment = services.payment_for_booking(db.session, booking.id)
    body, headers = standin.signed(make_event("checkout.session.completed",
                                              standin.complete(payment.checkout_session_id)))
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 200
    return fresh(booking), fresh(payment)


def test_checkout_session_carries_the_price_the_hold_and_an_expiry_the_hold_matches(standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())

    outcome = services.start_checkout(db.session, booking, world.partner_a, frozen_clock())

    [session] = standin.sessions.values()
    assert outcome.url == session["url"]
    assert session["amount_total"] == 12000 and session["currency"] == "usd"
    assert session["client_reference_id"] == f"booking-{booking.id}"
    assert session["metadata"] == {"kind": "booking", "booking_id": str(booking.id)}
    assert session["customer_email"] == "ana@example.com"
    assert session["expires_at"] >= int((frozen_clock() + timedelta(minutes=30)).timestamp())
    [(_, _, key)] = standin.calls("POST", "/v1/checkout/sessions")
    assert key and key.startswith(f"tandem-checkout-booking-{booking.id}-")
    booking = fresh(booking)
    assert booking.hold_expires_at == services.HOLD_GRACE + fresh(
        services.payment_for_booking(db.session, booking.id)).checkout_expires_at
    assert int(booking.hold_expires_at.timestamp()) >= session["expires_at"]


def test_a_second_submit_reuses_the_open_session(standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    first = services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    second = services.start_checkout(db.session, fresh(booking), world.partner_b, frozen_clock())
    assert first.url == second.url and len(standin.sessions) == 1
    assert count(Payment) == 1


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_provider_failure_on_session_creation_leaves_no_half_state_and_a_retry_works(standin, world, frozen_clock,
                                                                                    failure):
    booking = place(world, world.partner_a, frozen_clock())
    expires_before = booking.hold_expires_at
    if failure == "500":
        standin.fail_with = 500
    else:
        standin.hang_seconds = 3  # longer than STRIPE_TIMEOUT_SECONDS=2

    with pytest.raises(GatewayUnavailable):
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())

    booking = fresh(booking)
    assert count(Payment) == 0
    assert booking.status == BookingStatus.HELD and booking.hold_expires_at == expires_before

    standin.fail_with, standin.hang_seconds = None, 0
    frozen_clock.advance(minutes=1)
    outcome = services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    assert outcome.kind == "redirect" and count(Payment) == 1


def test_released_hold_expires_its_checkout_session(standin, world, frozen_clock):
    from coaching.scheduling.services import release_hold

    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    payment = services.payment_for_booking(db.session, booking.id)

    release_hold(db.session, fresh(booking), frozen_clock())
    db.session.commit()

    assert standin.sessions[payment.checkout_session_id]["status"] == "expired"
    assert fresh(payment).status == PaymentStatus.VOID


def test_expired_hold_cannot_start_a_checkout(standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    frozen_clock.advance(hours=2)
    with pytest.raises(services.HoldGone):
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    assert standin.sessions == {}


def test_coach_cancellation_refunds_in_full_even_late(client, standin, world, frozen_clock):
    from coaching.scheduling.services import cancel_booking

    booking, payment = paid_booking(client, standin, world, frozen_clock)
    frozen_clock.set(booking.starts_at - timedelta(hours=1))

    cancel_booking(db.session, booking, now=frozen_clock(), by_coach=True, reason="ill")

    payment = fresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_cents == 12000
    assert [r["amount"] for r in standin.refunds.values()] == [12000]
    assert len(emails("payment_refunded", "ana@example.com")) == 1


@pytest.mark.parametrize(("before", "refunded"), [
    (timedelta(hours=48), 12000),                          # exactly at the cutoff
    (timedelta(hours=48) - timedelta(seconds=1), 3000),    # just after it: 25%
])
def test_client_cancellation_refunds_per_policy_at_the_cutoff(client, standin, world, frozen_clock, before,
                                                             refunded):
    from coaching.scheduling.services import cancel_booking

    services.save_refund_policy(db.session, RefundPolicy(48, 25), world.partner_a)
    booking, payment = paid_booking(client, standin, world, frozen_clock)
    frozen_clock.set(booking.starts_at - before)

    cancel_booking(db.session, booking, now=frozen_clock(), by_user=world.partner_a)
    cancel_refund_again = count(Refund)

    payment = fresh(payment)
    assert payment.refunded_cents == refunded
    assert [r["amount"] for r in standin.refunds.values()] == [refunded]
    assert cancel_refund_again == 1


def test_reschedule_moves_the_payment_to_the_new_booking(client, standin, world, frozen_clock):
    from coaching.scheduling.services import reschedule_booking

    booking, payment = paid_booking(client, standin, world, frozen_clock)
    new = reschedule_booking(db.session, booking, new_start=SLOT + timedelta(days=1), now=frozen_clock(),
                             by_user=world.partner_a)

    assert fresh(payment).booking_id == new.id
    assert services.payment_for_booking(db.session, new.id).id == payment.id
    assert standin.refunds == {}


def test_payment_row_is_unique_per_checkout_session(standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    session_id = db.session.scalar(select(Payment.checkout_session_id))
    db.session.add(Payment(provider="stripe", status=PaymentStatus.PENDING, amount_cents=1, currency="usd",
                           checkout_session_id=session_id))
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
