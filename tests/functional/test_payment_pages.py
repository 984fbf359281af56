"""The client's payment pages over HTTP: checkout, the success page, ownership, provider errors."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from coaching import db
from coaching.payments import services
from coaching.payments.models import Payment
from coaching.scheduling.models import BookingStatus, SessionKind
from coaching.scheduling.services import place_hold
from tests.conftest import csrf_token
from tests.payment_data import (  # noqa: F401 (fixtures)
    SLOT, count, fresh, place, standin, stripe_config_overrides, world_fixture)
from tests.scheduling_data import create_session_type
from tests.stripe_standin import make_event


def test_paying_redirects_to_checkout_and_the_success_page_waits_for_the_webhook(client, login_as, standin, world,
                                                                              frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    login_as(world.partner_a)
    page = client.get(f"/pay/{booking.id}")
    assert page.status_code == 200 and "Pay $120.00" in page.get_data(as_text=True)
    assert standin.base in page.headers["Content-Security-Policy"].split("form-action")[1]

    response = client.post(f"/pay/{booking.id}", data={"csrf_token": csrf_token(client, f"/pay/{booking.id}")})

    assert response.status_code == 303
    [session] = standin.sessions.values()
    assert response.headers["Location"] == session["url"]
    success = session["success_url"].replace("{CHECKOUT_SESSION_ID}", session["id"])
    path = success.split("://", 1)[1].split("/", 1)[1]
    waiting = client.get("/" + path)
    text = waiting.get_data(as_text=True)
    assert "Confirming your payment" in text and 'http-equiv="refresh"' in text  # the redirect proves nothing

    body, headers = standin.signed(make_event("checkout.session.completed", standin.complete(session["id"])))
    assert client.post("/webhooks/stripe", data=body, headers=headers).status_code == 200

    done = client.get("/" + path).get_data(as_text=True)
    assert "Your session is confirmed" in done and 'http-equiv="refresh"' not in done


def test_another_couple_cannot_open_or_pay_for_the_hold(client, login_as, standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    login_as(world.other)
    assert client.get(f"/pay/{booking.id}").status_code == 404
    assert client.get(f"/pay/{booking.id}/done").status_code == 404
    token = csrf_token(client, "/account/settings")
    assert client.post(f"/pay/{booking.id}", data={"csrf_token": token}).status_code == 404
    assert standin.sessions == {}


@pytest.mark.parametrize("failure", ["500", "timeout"])
def test_provider_failure_shows_a_clear_message_and_keeps_the_hold(client, login_as, standin, world, frozen_clock,
                                                                   failure):
    booking = place(world, world.partner_a, frozen_clock())
    login_as(world.partner_a)
    token = csrf_token(client, f"/pay/{booking.id}")
    if failure == "500":
        standin.fail_with = 500
    else:
        standin.hang_seconds = 3

    response = client.post(f"/pay/{booking.id}", data={"csrf_token": token})

    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "You have not been charged" in text and "Traceback" not in text
    assert re.search(r'<button type="submit">Pay \$120.00</button>', text)  # a way to retry
    assert count(Payment) == 0 and fresh(booking).status == BookingStatus.HELD


def test_expired_hold_gets_a_conflict_and_a_way_back(client, login_as, standin, world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    login_as(world.partner_a)
    token = csrf_token(client, f"/pay/{booking.id}")
    frozen_clock.advance(hours=1)
    response = client.post(f"/pay/{booking.id}", data={"csrf_token": token})
    assert response.status_code == 409 and "Please choose a time again" in response.get_data(as_text=True)
    assert standin.sessions == {}


def test_webhook_is_the_only_route_without_csrf(app):
    from coaching.extensions import csrf

    exempt = {name for name in csrf._exempt_views}
    assert exempt == {"coaching.payments.views.stripe_webhook"}



class TestManual:
    @pytest.fixture
    def config_overrides(self):
        return {}

    def test_manual_provider_books_with_an_invoice(self, client, login_as, world, frozen_clock):
        booking = place(world, world.partner_b, frozen_clock())
        login_as(world.partner_b)
        page = client.get(f"/pay/{booking.id}").get_data(as_text=True)
        assert "Book and pay by invoice" in page
        response = client.post(f"/pay/{booking.id}", data={"csrf_token": csrf_token(client, f"/pay/{booking.id}")})
        assert response.status_code == 303
        done = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Your session is confirmed" in done and "invoice" in done
        assert services.payment_for_booking(db.session, booking.id).status.value == "invoiced"

    def test_the_invoice_and_confirmation_emails_have_their_own_subjects_and_the_invoice_the_practices_terms(
            self, app, client, login_as, world, frozen_clock):
        from tests.payment_data import emails

        app.config.update(INVOICE_PAYMENT_INSTRUCTIONS="Pay to IBAN GB00 TEST 1234, quoting the reference.",
                          INVOICE_DUE_DAYS=10)
        booking = place(world, world.partner_b, frozen_clock())
        login_as(world.partner_b)
        client.post(f"/pay/{booking.id}", data={"csrf_token": csrf_token(client, f"/pay/{booking.id}")})
        invoice = emails("payment_invoice", world.partner_b.email)[-1]
        assert invoice.subject == "Your Tandem invoice is due"
        due = (frozen_clock() + timedelta(days=10)).astimezone(ZoneInfo(world.partner_b.timezone))
        assert "Pay to IBAN GB00 TEST 1234, quoting the reference." in invoice.text_body
        assert f"Due by: {due.strftime('%A %d %B %Y')}" in invoice.text_body
        assert emails("booking_confirmed", world.partner_b.email)[-1].subject == "Your Tandem appointment is confirmed"

    def test_manual_provider_has_no_webhook(self, client, world):
        assert client.post("/webhooks/stripe", data="{}").status_code == 404


def test_an_individual_session_is_paid_and_seen_only_by_the_partner_who_booked_it(client, login_as, world,
                                                                                    frozen_clock):
    individual = create_session_type("individual-session", price_cents=9000)
    individual.kind = SessionKind.INDIVIDUAL
    world.coach.session_types = [*world.coach.session_types, individual]
    db.session.commit()
    booking = place_hold(db.session, user=world.partner_a, coach_id=world.coach.id,
                         session_type_slug="individual-session", start=SLOT, now=frozen_clock())
    login_as(world.partner_b)
    assert client.get(f"/pay/{booking.id}").status_code == 404
    assert client.get(f"/pay/{booking.id}/done").status_code == 404
    client.post("/account/logout", data={"logout-csrf_token": csrf_token(client, "/home")})
    login_as(world.partner_a)
    assert client.get(f"/pay/{booking.id}").status_code == 200
