"""A partner books a paid session in the browser; the Checkout page is the Stripe stand-in's,
whose "Pay" button delivers the signed webhook to the live server and returns to Tandem."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coaching import db
from coaching.payments.models import Payment
from coaching.scheduling.models import Booking, BookingStatus
from tests.e2e.pages import log_in
from tests.payment_data import create_world, standin, stripe_config  # noqa: F401
from tests.smtp import text_of


@pytest.fixture
def config_overrides(server_port, smtp_server, standin):
    return {"TANDEM_BASE_URL": f"http://127.0.0.1:{server_port}", "SMTP_URL": smtp_server.url,
            **stripe_config(standin)}


def test_partner_pays_on_the_checkout_page_and_sees_the_booking_confirmed(app, live_server, page, standin,
                                                                         smtp_server):
    standin.webhook_url = live_server + "/webhooks/stripe"
    with app.app_context():
        world = create_world()
        coach_id, slug = world.coach.id, world.session_type.slug

    log_in(page, live_server, "ana@example.com", lands_on="/home")

    page.goto(f"{live_server}/book/{coach_id}/{slug}")
    page.locator("form.slot button").first.click()
    page.wait_for_url(re.compile(r".*/pay/\d+$"))
    page.get_by_role("button", name="Pay $120.00").click()

    page.wait_for_url(re.compile(re.escape(standin.base) + r"/pay/cs_test_\w+"))
    expect(page.get_by_role("heading", name="Pay 12000 usd")).to_be_visible()
    page.get_by_role("button", name="Pay").click()

    page.wait_for_url(re.compile(r".*/pay/\d+/done\?session_id=cs_test_\w+"))
    expect(page.get_by_role("heading", name="Your session is confirmed")).to_be_visible()

    with app.app_context():
        booking = db.session.scalar(select(Booking))
        payment = db.session.scalar(select(Payment))
        assert booking.status == BookingStatus.CONFIRMED and payment.status.value == "paid"
        receipt_number = payment.receipt_number
    receipts = [m for m in smtp_server.inbox.wait_for("ana@example.com", count=2)
                if "receipt" in m["Subject"].lower()]
    assert receipts and receipt_number in text_of(receipts[0])
