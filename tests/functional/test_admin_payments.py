"""The admin payments page: filters, totals, CSV, the SVG chart, detail, refunds, policy, packages."""

from __future__ import annotations

import csv
import io

import pytest

from coaching import db
from coaching.accounts.models import Role
from coaching.payments import services
from coaching.payments.models import Package, Refund
from coaching.payments.states import PaymentStatus
from tests.conftest import csrf_token
from tests.payment_data import fresh, place, standin, world_fixture, stripe_config_overrides  # noqa: F401 (fixtures)
from tests.stripe_standin import make_event


@pytest.fixture
def paid(client, standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    payment = services.payment_for_booking(db.session, booking.id)
    body, headers = standin.signed(make_event("checkout.session.completed",
                                              standin.complete(payment.checkout_session_id), "evt_paid_1"))
    client.post("/webhooks/stripe", data=body, headers=headers)
    return fresh(payment)


@pytest.fixture
def admin(client, create_user, login_as):
    user = create_user(role=Role.ADMIN)
    login_as(user)
    return user


def test_clients_and_coaches_cannot_see_payments(client, login_as, world):
    login_as(world.partner_a)
    assert client.get("/admin/payments").status_code == 403
    assert client.get("/admin/payments.csv").status_code == 403


def test_admin_home_links_the_payments_page(client, admin):
    assert "/admin/payments" in client.get("/admin/").get_data(as_text=True)


def test_payments_list_shows_totals_a_chart_and_filters(client, paid, admin):
    page = client.get("/admin/payments").get_data(as_text=True)
    assert "<svg" in page and "Net revenue by month" in page and "<script" not in page
    assert "$120.00" in page and "2026-11: $120.00" in page
    assert f"/admin/payments/{paid.id}" in page

    assert f"/admin/payments/{paid.id}\"" in client.get("/admin/payments?status=paid&provider=stripe").get_data(
        as_text=True)
    filtered = client.get("/admin/payments?status=refunded").get_data(as_text=True)
    assert "No payments match" in filtered
    assert "No payments match" in client.get("/admin/payments?date_from=2026-12-01").get_data(as_text=True)
    assert "No payments match" in client.get(f"/admin/payments?coach={paid.coach_id + 1}").get_data(as_text=True)


def test_csv_export_lists_the_filtered_payments(client, paid, admin):
    response = client.get("/admin/payments.csv?status=paid")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["id"], r["amount"], r["status"]) for r in rows] == [(str(paid.id), "120.00", "paid")]
    assert rows[0]["checkout_session_id"] == paid.checkout_session_id


def test_detail_shows_provider_ids_and_events_and_refunds_in_part_with_a_reason(client, standin, paid, admin):
    page = client.get(f"/admin/payments/{paid.id}").get_data(as_text=True)
    assert paid.checkout_session_id in page and paid.payment_intent_id in page and "evt_paid_1" in page

    token = csrf_token(client, f"/admin/payments/{paid.id}")
    bad = client.post(f"/admin/payments/{paid.id}/refund", data={"csrf_token": token, "amount": "500",
                                                                   "reason": "too much"})
    assert bad.status_code == 422 and "At most" in bad.get_data(as_text=True)
    assert standin.refunds == {}
    assert client.post(f"/admin/payments/{paid.id}/refund", data={"csrf_token": token, "amount": "12.345",
                                                                   "reason": "x"}).status_code == 422

    ok = client.post(f"/admin/payments/{paid.id}/refund", data={"csrf_token": token, "amount": "20.00",
                                                                  "reason": "Goodwill"})
    assert ok.status_code == 303
    payment = fresh(paid)
    assert payment.refunded_cents == 2000 and payment.status == PaymentStatus.PARTIALLY_REFUNDED
    [refund] = standin.refunds.values()
    assert refund["amount"] == 2000
    assert db.session.query(Refund).one().reason == "Admin: Goodwill"


def test_refund_policy_is_an_admin_setting(client, admin):
    token = csrf_token(client, "/admin/payments/settings")
    bad = client.post("/admin/payments/settings", data={"csrf_token": token, "refund_hours": "12",
                                                        "late_percent": "150"})
    assert bad.status_code == 422
    client.post("/admin/payments/settings", data={"csrf_token": token, "refund_hours": "48", "late_percent": "0"})
    policy = services.refund_policy(db.session)
    assert (policy.refund_hours, policy.late_percent) == (48, 0)


def test_admin_defines_a_package_with_its_discounted_price(client, world, admin):
    token = csrf_token(client, "/admin/packages")
    response = client.post("/admin/packages", data={
        "csrf_token": token, "name": "Four sessions", "session_type_id": str(world.session_type.id),
        "sessions": "4", "discount_percent": "10", "valid_months": "6"})
    assert response.status_code == 303
    assert "$432.00" in client.get("/admin/packages").get_data(as_text=True)
    assert db.session.query(Package).one().sessions == 4


def test_couple_ledger_lists_payments_and_refunds(client, paid, admin):
    page = client.get(f"/admin/payments/couples/{paid.couple_id}").get_data(as_text=True)
    assert "payment (paid)" in page and "$120.00" in page
