"""Owed manual refunds in the admin pages: listed on /admin/payments, counted on the admin home,
recorded as sent with method, reference and date (CSRF, admins only)."""

from __future__ import annotations

import re

import pytest

from coaching import db
from coaching.accounts.models import Role
from coaching.payments import ledger, services
from coaching.payments.models import Refund, RefundStatus
from coaching.scheduling.services import cancel_booking
from tests.conftest import csrf_token, login
from tests.payment_data import emails, fresh, place, world_fixture  # noqa: F401 (fixtures)


@pytest.fixture
def admin(create_user):
    return create_user("admin@example.com", role=Role.ADMIN)


@pytest.fixture
def owed(world, admin, frozen_clock):
    """A manually paid booking cancelled in the refund window: its refund is owed."""
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    payment = services.payment_for_booking(db.session, booking.id)
    ledger.record_manual_payment(db.session, payment.id, method="bank_transfer", reference="T-1",
                                 paid_on=frozen_clock().date(), admin=admin, now=frozen_clock())
    cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a)
    refund = db.session.query(Refund).one()
    assert refund.status == RefundStatus.OWED
    return refund


def form_token(html: str, refund_id: int) -> str:
    match = re.search(rf'name="refund-{refund_id}-csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no record-as-sent form for the refund"
    return match.group(1)


def record(client, refund, **fields):
    page = client.get(f"/admin/payments/{refund.payment_id}").get_data(as_text=True)
    data = {f"refund-{refund.id}-csrf_token": form_token(page, refund.id), f"refund-{refund.id}-method": "bank_transfer",
            f"refund-{refund.id}-reference": "RF-9", f"refund-{refund.id}-sent_on": "2026-11-02"}
    data.update({f"refund-{refund.id}-{k}": v for k, v in fields.items()})
    return client.post(f"/admin/payments/refunds/{refund.id}/sent", data=data)


def test_owed_refunds_are_listed_on_the_payments_page_and_counted_on_the_admin_home(client, admin, owed):
    login(client, admin.email)

    listing = client.get("/admin/payments").get_data(as_text=True)
    home = client.get("/admin/").get_data(as_text=True)

    assert "Refunds owed" in listing and "$120.00" in listing and f"#sent-{owed.id}" in listing
    assert "1 refund owed" in home


def test_an_admin_records_how_the_refund_was_sent(client, admin, owed):
    login(client, admin.email)

    response = record(client, owed)

    assert response.status_code == 303
    assert fresh(owed).status == RefundStatus.SUCCEEDED and fresh(owed).manual_reference == "RF-9"
    assert "No refunds to send" in client.get("/admin/payments").get_data(as_text=True)
    assert "refund owed" not in client.get("/admin/").get_data(as_text=True)
    assert len(emails("payment_refunded", "ana@example.com")) == 1


def test_a_bad_date_is_a_422_with_a_message_and_changes_nothing(client, admin, owed):
    login(client, admin.email)

    future = record(client, owed, sent_on="2026-12-25")
    garbage = record(client, owed, sent_on="yesterday")

    assert future.status_code == 422 and "cannot be in the future" in future.get_data(as_text=True)
    assert garbage.status_code == 422 and "Enter the date it was sent" in garbage.get_data(as_text=True)
    assert fresh(owed).status == RefundStatus.OWED


def test_recording_needs_the_csrf_token(client, admin, owed):
    login(client, admin.email)

    response = client.post(f"/admin/payments/refunds/{owed.id}/sent", data={
        f"refund-{owed.id}-method": "cash", f"refund-{owed.id}-sent_on": "2026-11-02"})

    assert response.status_code in (400, 422)
    assert fresh(owed).status == RefundStatus.OWED


def test_only_admins_record_refunds(client, world, owed):
    login(client, world.partner_a.email)

    response = client.post(f"/admin/payments/refunds/{owed.id}/sent", data={
        "csrf_token": csrf_token(client, "/account/settings"),
        f"refund-{owed.id}-method": "cash", f"refund-{owed.id}-sent_on": "2026-11-02"})

    assert response.status_code == 403
    assert fresh(owed).status == RefundStatus.OWED


def test_an_unknown_refund_is_404(client, admin, owed):
    login(client, admin.email)
    token = form_token(client.get(f"/admin/payments/{owed.payment_id}").get_data(as_text=True), owed.id)
    assert client.post("/admin/payments/refunds/99999/sent", data={"csrf_token": token}).status_code == 404


def test_a_reference_that_is_not_one_line_of_printable_text_is_refused_and_changes_nothing(client, admin, owed):
    login(client, admin.email)

    # A line break passes the app-wide character check (free text keeps them) but not this field.
    response = record(client, owed, reference="RF\n-9")
    assert response.status_code == 422 and "Use letters, digits and punctuation only" in response.get_data(as_text=True)
    # A NUL byte never reaches the form: the request-validation layer answers 400 first.
    assert record(client, owed, reference="RF\x00-9").status_code == 400
    assert fresh(owed).status == RefundStatus.OWED
