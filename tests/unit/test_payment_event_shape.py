"""Which decoded Stripe events Tandem can apply (pure: no framework, no database)."""

from __future__ import annotations

import pytest

from coaching.payments.event_shape import MalformedEvent, check_event

SESSION = {"id": "cs_test_1", "object": "checkout.session", "payment_status": "paid", "payment_intent": "pi_1",
           "amount_total": 12000, "currency": "usd", "metadata": {"kind": "booking", "booking_id": "7"},
           "customer_details": {"email": "a@example.com"}}
CHARGE = {"id": "ch_1", "payment_intent": "pi_1", "amount_refunded": 3000,
          "refunds": {"object": "list", "data": [{"id": "re_1", "amount": 3000, "metadata": {"tandem_refund_id": "4"}}]}}


def event(event_type: str, obj: object) -> dict:
    return {"id": "evt_1", "object": "event", "type": event_type, "data": {"object": obj}}


@pytest.mark.parametrize("good", [
    event("checkout.session.completed", SESSION),
    event("checkout.session.expired", {"id": "cs_test_2", "metadata": None, "amount_total": None}),
    event("charge.refunded", CHARGE),
    event("charge.refunded", {"id": "ch_2", "payment_intent": None, "refunds": None}),
    event("customer.created", {"id": "cus_1", "anything": ["goes"]}),
])
def test_events_with_the_fields_tandem_reads_are_accepted(good):
    check_event(good)


@pytest.mark.parametrize(("bad", "field"), [
    ([], "not a JSON object"),
    ({"type": "checkout.session.completed", "data": {"object": SESSION}}, "id"),
    (event("checkout.session.completed", {**SESSION, "amount_total": True}), "amount_total"),
    (event("checkout.session.completed", {**SESSION, "amount_total": -1}), "amount_total"),
    (event("checkout.session.completed", {**SESSION, "metadata": {"booking_id": 7}}), "booking_id"),
    (event("charge.refunded", {**CHARGE, "refunds": {"data": [{"id": "re_1", "metadata": {"tandem_refund_id": "x"}}]}}),
     "tandem_refund_id"),
    (event("customer.created", {"id": 5}), "data.object.id"),
])
def test_events_missing_or_mistyping_a_field_are_refused_naming_it(bad, field):
    with pytest.raises(MalformedEvent, match=field):
        check_event(bad)
