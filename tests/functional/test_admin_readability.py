"""Admin pages read like money, names and local times: "$0.00" not "Free", "Ana & Ben" not "Couple 1"."""

from __future__ import annotations

import re

import pytest

from coaching import db
from coaching.accounts.models import Role, User
from coaching.payments import services
from tests.conftest import csrf_token
from tests.payment_data import fresh, place, standin, world_fixture, stripe_config_overrides  # noqa: F401 (fixtures)
from tests.stripe_standin import make_event


@pytest.fixture
def paid(client, standin, world, frozen_clock):  # paid at Mon 2 Nov 2026 15:00 UTC
    booking = place(world, world.partner_a, frozen_clock())
    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())
    payment = services.payment_for_booking(db.session, booking.id)
    body, headers = standin.signed(make_event("checkout.session.completed",
                                              standin.complete(payment.checkout_session_id), "evt_paid_1"))
    client.post("/webhooks/stripe", data=body, headers=headers)
    return fresh(payment)


@pytest.fixture
def admin(client, create_user, login_as):
    user = create_user(role=Role.ADMIN, timezone="UTC")
    login_as(user)
    return user


def totals_row(page):
    table = page.split("<h2>Totals</h2>")[1].split("</table>")[0]
    return re.findall(r"<td>(.*?)</td>", table.split("<tbody>")[1])


def test_zero_totals_read_as_money_in_the_currency_never_free(client, paid, admin):
    page = client.get("/admin/payments").get_data(as_text=True)
    assert totals_row(page) == ["USD", "1", "$120.00", "$0.00", "$120.00", "$0.00"]
    assert "Free" not in page


def test_the_charts_table_prints_money_not_raw_floats(client, paid, admin):
    page = client.get("/admin/payments").get_data(as_text=True)
    table = page.split("Revenue by month as a table")[1].split("</table>")[0]
    cells = re.findall(r"<td>(.*?)</td>", table)
    assert cells[-2:] == ["2026-11", "$120.00"] and cells[1] == "$0.00"
    assert "0.0<" not in table and "120.0<" not in table


def test_admin_pages_name_couples_by_their_partners(client, paid, admin):
    couple_id, other_id = paid.couple_id, paid.couple_id + 1  # the world's two couples, made in turn
    payments = client.get("/admin/payments").get_data(as_text=True)
    assert f"Ana &amp; Ben (Couple #{couple_id})" in payments
    detail = client.get(f"/admin/payments/{paid.id}").get_data(as_text=True)
    assert f"Ledger of Ana &amp; Ben (Couple #{couple_id})" in detail
    queue = client.get("/admin/matching").get_data(as_text=True)
    assert f"Ana &amp; Ben (Couple #{couple_id})" in queue and f"Cleo &amp; Dev (Couple #{other_id})" in queue


def test_an_admin_sees_times_in_the_zone_they_choose(app, client, paid, admin):
    assert "Mon 02 Nov 2026, 15:00 UTC" in client.get("/admin/payments").get_data(as_text=True)
    token = csrf_token(client, "/admin/")
    wrong = client.post("/admin/timezone", data={"zone-csrf_token": token, "zone-timezone": "Mars/Olympus"})
    assert wrong.status_code == 422 and "Choose a time zone from the list" in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).timezone == "UTC"
    saved = client.post("/admin/timezone", data={"zone-csrf_token": token, "zone-timezone": "America/Chicago"})
    assert saved.status_code == 302
    page = client.get("/admin/payments").get_data(as_text=True)
    assert "Mon 02 Nov 2026, 09:00 CST" in page and "15:00 UTC" not in page
    assert "Mon 02 Nov 2026, 09:00 CST" in client.get(f"/admin/payments/{paid.id}").get_data(as_text=True)


def test_the_safety_queue_and_flag_name_the_couple(app, create_user):
    from tests.functional import intake_steps as steps

    partner = steps.logged_in(app, create_user(name="Robin Hart"))
    steps.start(partner)
    steps.answer_screen(partner, steps.POSITIVE)
    staff = steps.logged_in(app, create_user(role=Role.ADMIN))
    queue = staff.get("/admin/safety").get_data(as_text=True)
    found = re.search(r'/admin/safety/(\d+)".*?>Robin Hart \(Couple #(\d+)\)</a>', queue, flags=re.S)
    assert found, queue
    flag_page = staff.get(f"/admin/safety/{found.group(1)}").get_data(as_text=True)
    assert f"Robin Hart (Couple #{found.group(2)}) ·" in flag_page
