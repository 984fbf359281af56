"""Refunds with the manual provider: nobody sends money automatically, so a refund is owed (an
admin to-do) until an admin records how it was sent; the couple is told it is on its way,
then that it was sent (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coaching import db
from coaching.accounts.models import Role
from coaching.payments import ledger, refunds, services
from coaching.payments.models import Refund, RefundStatus
from coaching.payments.states import PaymentStatus
from coaching.scheduling.services import cancel_booking
from tests.payment_data import count, emails, fresh, place, world_fixture  # noqa: F401 (fixtures)
from tests.scheduling_data import create_user_row


@pytest.fixture
def admin(world):
    user = create_user_row("admin@example.com", role=Role.ADMIN)
    db.session.commit()
    return user


@pytest.fixture
def paid_manually(world, admin, frozen_clock):
    """A booking paid by invoice ($120.00), the payment recorded by an admin."""
    booking = place(world, world.partner_a, frozen_clock())
    assert services.start_checkout(db.session, booking, world.partner_a, frozen_clock()).kind == "invoice"
    payment = services.payment_for_booking(db.session, booking.id)
    ledger.record_manual_payment(db.session, payment.id, method="bank_transfer", reference="TANDEM-1",
                                 paid_on=frozen_clock().date(), admin=admin, now=frozen_clock())
    return fresh(booking), fresh(payment)


def cancel_in_the_refund_window(world, booking, frozen_clock):
    # The session is three days away; the default policy refunds in full up to 48 hours before.
    cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a, reason="Ill")


def test_a_manual_refund_after_a_cancellation_is_owed_not_marked_sent(world, paid_manually, frozen_clock):
    booking, payment = paid_manually

    cancel_in_the_refund_window(world, booking, frozen_clock)
    refunds.send_pending_refunds(db.session)  # the periodic sender must not settle it either

    [refund] = db.session.query(Refund).all()
    assert fresh(refund).status == RefundStatus.OWED and refund.amount_cents == 12000
    payment = fresh(payment)
    assert payment.status == PaymentStatus.PAID and payment.refunded_cents == 0
    assert emails("payment_refunded") == []
    [notice] = emails("payment_refund_owed", "ana@example.com")
    assert "$120.00" in notice.text_body and "on its way" in notice.text_body
    assert "We have refunded" not in notice.text_body and "on its way" in notice.subject
    assert refunds.owed_count(db.session) == 1
    assert [r.id for r in refunds.owed_refunds(db.session)] == [refund.id]


def test_recording_how_an_owed_refund_was_sent_completes_it_and_tells_the_couple(
        world, admin, paid_manually, frozen_clock):
    booking, payment = paid_manually
    cancel_in_the_refund_window(world, booking, frozen_clock)
    refund = db.session.query(Refund).one()

    refunds.record_manual_refund(db.session, refund.id, method="bank_transfer", reference=" RF-77 ",
                                 sent_on=frozen_clock().date(), admin=admin, now=frozen_clock())

    refund, payment = fresh(refund), fresh(payment)
    assert refund.status == RefundStatus.SUCCEEDED and refund.completed_at == frozen_clock()
    assert (refund.manual_method, refund.manual_reference, refund.manual_sent_on, refund.recorded_by_id) == (
        "bank_transfer", "RF-77", frozen_clock().date(), admin.id)
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_cents == 12000
    [sent] = emails("payment_refunded", "ana@example.com")
    assert "$120.00" in sent.text_body and "bank transfer" in sent.text_body and "2026-11-02" in sent.text_body
    assert "RF-77" in sent.text_body
    assert refunds.owed_count(db.session) == 0


def test_an_owed_refund_is_recorded_once(world, admin, paid_manually, frozen_clock):
    booking, payment = paid_manually
    cancel_in_the_refund_window(world, booking, frozen_clock)
    refund = db.session.query(Refund).one()
    record = dict(method="cash", reference="", sent_on=frozen_clock().date(), admin=admin, now=frozen_clock())
    refunds.record_manual_refund(db.session, refund.id, **record)

    with pytest.raises(refunds.RefundRefused):
        refunds.record_manual_refund(db.session, refund.id, **record)

    assert fresh(payment).refunded_cents == 12000 and len(emails("payment_refunded")) == 1


def test_a_refund_cannot_be_recorded_as_sent_in_the_future(world, admin, paid_manually, frozen_clock):
    booking, payment = paid_manually
    cancel_in_the_refund_window(world, booking, frozen_clock)
    refund = db.session.query(Refund).one()

    with pytest.raises(refunds.RefundRefused, match="future"):
        refunds.record_manual_refund(db.session, refund.id, method="cash", reference="",
                                     sent_on=frozen_clock().date() + timedelta(days=2), admin=admin,
                                     now=frozen_clock())

    assert fresh(refund).status == RefundStatus.OWED and fresh(payment).refunded_cents == 0


def test_an_admins_refund_of_a_manual_payment_is_owed_too(world, admin, paid_manually, frozen_clock):
    booking, payment = paid_manually

    refund = refunds.admin_refund(db.session, payment.id, 2000, "Goodwill", admin)

    assert fresh(refund).status == RefundStatus.OWED
    assert fresh(payment).refunded_cents == 0 and refunds.refundable_cents(db.session, fresh(payment)) == 10000
    assert len(emails("payment_refund_owed")) == 1 and emails("payment_refunded") == []


def test_a_pending_manual_refund_left_from_before_becomes_owed_when_sent(world, paid_manually, frozen_clock):
    booking, payment = paid_manually
    legacy = Refund(payment_id=payment.id, amount_cents=500, reason="old", idempotency_key="legacy-1",
                    status=RefundStatus.PENDING)
    db.session.add(legacy)
    db.session.commit()

    refunds.send_pending_refunds(db.session)

    assert fresh(legacy).status == RefundStatus.OWED and fresh(payment).refunded_cents == 0
    assert count(Refund) == 1 and len(emails("payment_refund_owed")) == 1 and emails("payment_refunded") == []
