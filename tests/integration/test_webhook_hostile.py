"""Correctly signed webhooks that are still not acceptable: bodies that are not events Tandem
can apply, and timestamps outside the tolerance in either direction (SQLite and PostgreSQL).

Each is signed with Stripe's own scheme (``t=...,v1=HMAC``) by the stand-in, so only the
content or the time is wrong; each must be a 400 that changes nothing.
"""

from __future__ import annotations

import json
import time

import pytest

from coaching import db
from coaching.payments import services
from coaching.payments.models import Payment, StripeEvent
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import BookingStatus
from tests.payment_data import (  # noqa: F401 (fixtures)
    count, emails, fresh, place, standin, stripe_config_overrides, world_fixture)
from tests.stripe_standin import make_event, sign


def checkout(world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    return booking, services.payment_for_booking(db.session, booking.id)


def post_signed_body(client, standin, body: str, timestamp: int | None = None):
    headers = {"Stripe-Signature": sign(body, standin.webhook_secret, timestamp),
               "Content-Type": "application/json"}
    return client.post("/webhooks/stripe", data=body, headers=headers)


def assert_nothing_changed(booking, payment):
    assert count(StripeEvent) == 0 and count(Payment) == 1
    assert fresh(booking).status == BookingStatus.HELD
    assert fresh(payment).status == PaymentStatus.PENDING
    assert emails("receipt") == [] and emails("payment_unplaced") == []


def _session_event(payment, standin, **changes):
    session = standin.complete(payment.checkout_session_id)
    session.update(changes)
    return make_event("checkout.session.completed", session)


MALFORMED = {
    "a JSON list": lambda p, s: [_session_event(p, s)],
    "a JSON string": lambda p, s: "checkout.session.completed",
    "a number": lambda p, s: 42,
    "null": lambda p, s: None,
    "an event without an id": lambda p, s: {k: v for k, v in _session_event(p, s).items() if k != "id"},
    "an event whose id is a number": lambda p, s: {**_session_event(p, s), "id": 7},
    "an event id longer than the column": lambda p, s: {**_session_event(p, s), "id": "evt_" + "x" * 300},
    "an event id with a NUL byte": lambda p, s: {**_session_event(p, s), "id": "evt_\x00"},
    "an event without data": lambda p, s: {k: v for k, v in _session_event(p, s).items() if k != "data"},
    "data.object that is a list": lambda p, s: {**_session_event(p, s), "data": {"object": []}},
    "a session without an id": lambda p, s: {**_session_event(p, s), "data": {"object": {"payment_status": "paid"}}},
    "a session id that is an object": lambda p, s: _session_event(p, s, id={"nested": True}),
    "an amount that is text": lambda p, s: _session_event(p, s, amount_total="12000"),
    "an amount beyond an int column": lambda p, s: _session_event(p, s, amount_total=10**12),
    "a booking id beyond an int column": lambda p, s: _session_event(
        p, s, metadata={"kind": "booking", "booking_id": "9" * 30}),
    "a booking id in other digits": lambda p, s: _session_event(p, s, metadata={"kind": "booking", "booking_id": "²"}),
    "metadata that is a list": lambda p, s: _session_event(p, s, metadata=["booking"]),
    "a currency longer than three letters": lambda p, s: _session_event(p, s, currency="usdollars"),
    "a charge whose refunds are not a list": lambda p, s: make_event(
        "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 100,
                            "refunds": {"data": {"id": "re_1"}}}),
    "a charge refund without an id": lambda p, s: make_event(
        "charge.refunded", {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 100,
                            "refunds": {"data": [{"amount": 100}]}}),
}


@pytest.mark.parametrize("shape", list(MALFORMED))
def test_a_signed_body_that_is_not_an_applicable_event_is_a_400_that_changes_nothing(
        client, standin, world, frozen_clock, shape):
    booking, payment = checkout(world, frozen_clock)
    body = json.dumps(MALFORMED[shape](payment, standin))

    response = post_signed_body(client, standin, body)

    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.get_json() == {"error": "malformed event"}
    assert_nothing_changed(booking, payment)


def test_a_signed_body_that_is_not_json_is_a_400(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)

    response = post_signed_body(client, standin, '{"id": "evt_1", "type": ')

    assert response.status_code == 400
    assert_nothing_changed(booking, payment)


@pytest.mark.parametrize("offset", [3600, 365 * 24 * 3600, -3600], ids=["an hour ahead", "a year ahead",
                                                                          "an hour ago"])
def test_a_signature_timestamp_outside_the_tolerance_either_way_is_refused(client, standin, world, frozen_clock,
                                                                          offset):
    booking, payment = checkout(world, frozen_clock)
    body = json.dumps(_session_event(payment, standin))

    response = post_signed_body(client, standin, body, timestamp=int(time.time()) + offset)

    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid signature"}
    assert_nothing_changed(booking, payment)


def test_a_timestamp_a_little_ahead_within_the_tolerance_is_accepted(client, standin, world, frozen_clock):
    booking, payment = checkout(world, frozen_clock)
    body = json.dumps(_session_event(payment, standin))

    response = post_signed_body(client, standin, body, timestamp=int(time.time()) + 60)

    assert response.status_code == 200 and response.get_json()["outcome"] == "booking confirmed"
    assert fresh(booking).status == BookingStatus.CONFIRMED


def test_an_event_of_a_type_tandem_does_not_handle_is_recorded_as_ignored(client, standin, world, frozen_clock):
    response = post_signed_body(client, standin, json.dumps(
        make_event("customer.created", {"id": "cus_1", "email": "x@example.com"})))

    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
