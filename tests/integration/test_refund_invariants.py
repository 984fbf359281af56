"""Money goes back once however the work races (SQLite and PostgreSQL).

The sequential cases live in ``test_webhook_stripe.py`` and ``test_manual_refunds.py``; these
run the same steps at the same time: two workers sending one pending refund (the after-commit
task and the periodic retry), two admins recording one owed manual refund, and the two
"money received" events of a Checkout session racing for a hold that lost its slot.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role, User
from coaching.payments import ledger, refunds, services
from coaching.payments.models import Payment, Refund, RefundStatus, StripeEvent
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import BookingStatus
from coaching.scheduling.services import cancel_booking
from tests.payment_data import (  # noqa: F401 (fixtures)
    count, emails, fresh, place, standin, stripe_config_overrides, world_fixture)
from tests.racing import race
from tests.scheduling_data import create_user_row
from tests.stripe_standin import make_event


def at_once(app: Any, calls: list[Callable[[], Any]]) -> list[Any]:
    """Run ``calls`` at once (``tests.racing.race``), each in its own app context and session;
    their results, or the exception each raised, in order."""
    def own_session(call: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with app.app_context():
                try:
                    return call()
                except Exception as exc:  # noqa: BLE001 - recorded and asserted by the test
                    return exc
                finally:
                    db.session.remove()
        return run

    return race([own_session(call) for call in calls])


@pytest.fixture
def admin(world: Any) -> User:
    user = create_user_row("admin@example.com", role=Role.ADMIN)
    db.session.commit()
    return user


def post(app: Any, standin: Any, event: dict[str, Any]) -> Any:
    body, headers = standin.signed(event)
    return app.test_client().post("/webhooks/stripe", data=body, headers=headers)


# --- Stripe: one pending refund, two senders --------------------------------------------------


def paid_by_stripe(app: Any, standin: Any, world: Any, frozen_clock: Any) -> Payment:
    """A joint session paid through Checkout ($120.00) and confirmed by its webhook."""
    booking = place(world, world.partner_a, frozen_clock())
    assert services.start_checkout(db.session, booking, world.partner_a, frozen_clock()).kind == "redirect"
    payment = services.payment_for_booking(db.session, booking.id)
    event = make_event("checkout.session.completed", standin.complete(payment.checkout_session_id))
    assert post(app, standin, event).get_json()["outcome"] == "booking confirmed"
    return fresh(payment)


def test_two_workers_sending_one_pending_refund_at_once_refund_it_once_and_tell_the_payer_once(
        app: Any, standin: Any, world: Any, admin: User, frozen_clock: Any) -> None:
    payment = paid_by_stripe(app, standin, world, frozen_clock)
    standin.fail_with = 500  # the first sending fails: the refund waits, pending, for a retry
    refund = refunds.admin_refund(db.session, payment.id, 5000, "Goodwill", admin)
    assert fresh(refund).status == RefundStatus.PENDING
    attempts = fresh(refund).attempts
    standin.fail_with, standin.hang_seconds = None, 0.5  # both senders are on the wire at once

    refund_id = refund.id
    at_once(app, [lambda: refunds.send_refund(db.session, refund_id)] * 2)

    standin.hang_seconds = 0
    refund, payment = fresh(refund), fresh(payment)
    assert len(standin.refunds_for(payment.payment_intent_id)) == 1
    assert refund.status == RefundStatus.SUCCEEDED and refund.attempts == attempts + 1
    assert payment.refunded_cents == 5000 and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert len(emails("payment_refunded", "ana@example.com")) == 1


def test_both_money_events_racing_for_a_hold_that_lost_its_slot_refund_once(
        app: Any, standin: Any, world: Any, frozen_clock: Any) -> None:
    booking = place(world, world.partner_a, frozen_clock())
    assert services.start_checkout(db.session, booking, world.partner_a, frozen_clock()).kind == "redirect"
    payment = services.payment_for_booking(db.session, booking.id)
    frozen_clock.advance(hours=1)  # the hold (session + grace) has ended
    rival = place(world, world.other, frozen_clock())  # sweeps the stale hold and takes the slot
    session = standin.complete(payment.checkout_session_id)
    events = [make_event("checkout.session.completed", session),
              make_event("checkout.session.async_payment_succeeded", session)]

    outcomes = at_once(app, [lambda e=e: post(app, standin, e).get_json()["outcome"] for e in events])

    assert sorted(outcomes) == ["already paid", "hold gone: refunded"]
    refunds.send_pending_refunds(db.session)
    payment = fresh(payment)
    assert count(StripeEvent) == 2 and count(Refund, Refund.payment_id == payment.id) == 1
    assert len(standin.refunds_for(payment.payment_intent_id)) == 1
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_cents == 12000
    assert len(emails("payment_unplaced", "ana@example.com")) == 1
    assert fresh(booking).status == BookingStatus.EXPIRED and fresh(rival).status == BookingStatus.HELD


# --- manual provider: one owed refund, two admins ---------------------------------------------


@pytest.mark.parametrize("config_overrides", [{}], ids=["manual"])
def test_two_admins_recording_one_owed_refund_at_once_record_it_once(
        app: Any, world: Any, admin: User, frozen_clock: Any, config_overrides: dict[str, object],
        monkeypatch: pytest.MonkeyPatch) -> None:
    booking = place(world, world.partner_a, frozen_clock())
    assert services.start_checkout(db.session, booking, world.partner_a, frozen_clock()).kind == "invoice"
    payment = services.payment_for_booking(db.session, booking.id)
    ledger.record_manual_payment(db.session, payment.id, method="bank_transfer", reference="TANDEM-1",
                                 paid_on=frozen_clock().date(), admin=admin, now=frozen_clock())
    second = create_user_row("admin2@example.com", role=Role.ADMIN)
    db.session.commit()
    cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a, reason="Ill")
    refund_id = db.session.scalar(select(Refund.id))
    assert fresh(db.session.get(Refund, refund_id)).status == RefundStatus.OWED
    admin_ids = (admin.id, second.id)
    tell = refunds._tell_payer

    def slow_tell(*args: Any) -> None:  # the first admin lingers inside, so the second arrives meanwhile
        time.sleep(0.5)
        tell(*args)

    monkeypatch.setattr(refunds, "_tell_payer", slow_tell)

    def record(admin_id: int) -> Refund:
        return refunds.record_manual_refund(
            db.session, refund_id, method="bank_transfer", reference=f"by {admin_id}",
            sent_on=frozen_clock().date(), admin=db.session.get(User, admin_id), now=frozen_clock())

    outcomes = at_once(app, [lambda a=a: record(a) for a in admin_ids])

    assert sorted(type(o).__name__ for o in outcomes) == ["Refund", "RefundRefused"]
    refund, payment = fresh(db.session.get(Refund, refund_id)), fresh(payment)
    assert refund.status == RefundStatus.SUCCEEDED and refund.recorded_by_id in admin_ids
    assert payment.refunded_cents == 12000 and payment.status == PaymentStatus.REFUNDED
    assert len(emails("payment_refunded", "ana@example.com")) == 1
