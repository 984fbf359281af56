"""Packages: bought through Checkout or by invoice, credits granted once, used by either
partner instead of Checkout, returned by a cancellation within policy; the manual provider."""

from __future__ import annotations

from datetime import timedelta

import pytest

from coaching import db
from coaching.payments import credits, ledger, packages, services
from coaching.payments.models import CreditEntry, PackagePurchase, Payment
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import BookingStatus
from tests.payment_data import SLOT, count, emails, fresh, place, standin, stripe_config, world_fixture  # noqa: F401 (fixtures)
from tests.stripe_standin import make_event


def define_package(world):
    return packages.create_package(db.session, name="Four sessions", session_type_id=world.session_type.id,
                                   sessions=4, discount_percent=10, valid_months=6)


class TestWithStripe:
    @pytest.fixture
    def config_overrides(self, standin):
        return stripe_config(standin)

    def buy(self, client, standin, world, frozen_clock):
        package = define_package(world)
        outcome = packages.buy_package(db.session, package.id, world.partner_a, world.couple.id, frozen_clock())
        [session] = standin.sessions.values()
        assert outcome.url == session["url"] and session["amount_total"] == 43200  # 4 x 120.00 less 10%
        event = make_event("checkout.session.completed", standin.complete(session["id"]))
        body, headers = standin.signed(event)
        for _ in range(2):  # a replay grants nothing more
            client.post("/webhooks/stripe", data=body, headers=headers)
        return db.session.query(PackagePurchase).one()

    def test_bought_package_grants_its_credits_once(self, client, standin, world, frozen_clock):
        purchase = self.buy(client, standin, world, frozen_clock)
        assert credits.balance(db.session, purchase.id) == 4
        assert count(CreditEntry) == 1 and len(emails("receipt", "ana@example.com")) == 1
        assert fresh(purchase).valid_until == frozen_clock().replace(month=5, year=2027)

    def test_either_partner_books_with_a_credit_instead_of_checkout(self, client, standin, world, frozen_clock):
        purchase = self.buy(client, standin, world, frozen_clock)
        sessions_before = len(standin.sessions)
        booking = place(world, world.partner_b, frozen_clock())

        outcome = services.start_checkout(db.session, booking, world.partner_b, frozen_clock())

        assert outcome.kind == "credit" and len(standin.sessions) == sessions_before
        assert fresh(booking).status == BookingStatus.CONFIRMED
        assert credits.balance(db.session, purchase.id) == 3

    def test_cancellation_within_policy_returns_the_credit_once(self, client, standin, world, frozen_clock, app):
        from coaching.scheduling.services import cancel_booking

        purchase = self.buy(client, standin, world, frozen_clock)
        booking = place(world, world.partner_a, frozen_clock())
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
        cutoff = timedelta(hours=app.config["CANCEL_REFUND_HOURS"])
        frozen_clock.set(booking.starts_at - cutoff)  # exactly at the cutoff

        cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a)

        assert credits.balance(db.session, purchase.id) == 4
        assert credits.give_back(db.session, booking.id, "again") is False

    def test_late_cancellation_keeps_the_credit_used(self, client, standin, world, frozen_clock, app):
        from coaching.scheduling.services import cancel_booking

        app.config["CANCEL_MIN_HOURS"] = 1
        purchase = self.buy(client, standin, world, frozen_clock)
        booking = place(world, world.partner_a, frozen_clock())
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
        cutoff = timedelta(hours=app.config["CANCEL_REFUND_HOURS"])
        frozen_clock.set(booking.starts_at - cutoff + timedelta(minutes=1))

        cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a)

        assert credits.balance(db.session, purchase.id) == 3

    def test_credit_used_by_a_rescheduled_booking_follows_it(self, client, standin, world, frozen_clock):
        from coaching.scheduling.services import cancel_booking, reschedule_booking

        purchase = self.buy(client, standin, world, frozen_clock)
        booking = place(world, world.partner_a, frozen_clock())
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
        new = reschedule_booking(db.session, fresh(booking), new_start=SLOT + timedelta(days=2),
                                 now=frozen_clock(), by_user=world.partner_a)
        cancel_booking(db.session, new, now=frozen_clock(), by_user=world.partner_a)
        assert credits.balance(db.session, purchase.id) == 4


class TestManualProvider:
    def test_manual_booking_is_confirmed_with_an_invoice_and_paid_by_the_admin(self, world, frozen_clock,
                                                                             create_user):
        from coaching.accounts.models import Role

        booking = place(world, world.partner_a, frozen_clock())
        outcome = services.start_checkout(db.session, booking, world.partner_a, frozen_clock())

        assert outcome.kind == "invoice" and fresh(booking).status == BookingStatus.CONFIRMED
        payment = services.payment_for_booking(db.session, booking.id)
        assert payment.status == PaymentStatus.INVOICED and payment.provider.value == "manual"
        assert len(emails("payment_invoice", "ana@example.com")) == 1

        admin = create_user(role=Role.ADMIN)
        ledger.record_manual_payment(db.session, payment.id, method="bank_transfer", reference="BT-77",
                                     paid_on=frozen_clock().date(), admin=admin, now=frozen_clock())

        payment = fresh(payment)
        assert payment.status == PaymentStatus.PAID and payment.manual_reference == "BT-77"
        assert payment.receipt_number and len(emails("receipt", "ana@example.com")) == 1
        with pytest.raises(services.PaymentError):
            ledger.record_manual_payment(db.session, payment.id, method="cash", reference="",
                                         paid_on=frozen_clock().date(), admin=admin, now=frozen_clock())

    def test_manual_package_grants_credits_when_the_admin_records_payment(self, world, frozen_clock, create_user):
        from coaching.accounts.models import Role

        package = define_package(world)
        assert packages.buy_package(db.session, package.id, world.partner_b, world.couple.id,
                                    frozen_clock()).kind == "invoice"
        payment = db.session.query(Payment).one()
        assert credits.couple_balances(db.session, world.couple.id, frozen_clock()) == []

        ledger.record_manual_payment(db.session, payment.id, method="cash", reference="", now=frozen_clock(),
                                     paid_on=frozen_clock().date(), admin=create_user(role=Role.ADMIN))

        [(purchase, left)] = credits.couple_balances(db.session, world.couple.id, frozen_clock())
        assert left == 4 and purchase.price_cents == 43200

    def test_cancelling_an_unpaid_invoice_in_time_voids_it(self, world, frozen_clock):
        from coaching.scheduling.services import cancel_booking

        booking = place(world, world.partner_a, frozen_clock())
        services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
        cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a)
        assert services.payment_for_booking(db.session, booking.id).status == PaymentStatus.VOID
