"""In the browser at phone width (390 px): coach and admin pages, full of data, never scroll sideways;
wide tables scroll inside their own box and the revenue chart stays legible. Every page visited is
also checked with axe-core (see conftest)."""

from __future__ import annotations

from datetime import timedelta

from coaching import clock, db
from coaching.payments.models import Package, Payment, Provider, Refund, RefundStatus
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import SessionType
from tests.e2e.pages import PHONE, log_in, open_offer, scroll_width
from tests.notes_data import build_world
COACH_PAGES = ["/coach", "/coach/calendar", "/coach/hours", "/coach/overrides", "/coach/time-off",
               "/coach/session-types", "/coach/profile", "/coach/notes/search?q=listening"]
ADMIN_PAGES = ["/admin/", "/admin/payments", "/admin/coaches", "/admin/packages", "/admin/payments/settings",
               "/admin/matching", "/admin/safety", "/admin/access-log", "/admin/emails/failed"]


def _payments(world) -> int:
    """A year of paid, refunded and invoiced payments with long descriptions, and two packages."""
    now = clock.now()
    session_type = db.session.query(SessionType).filter_by(slug="couples-session").one()
    first = None
    for month in range(12):
        paid_at = now - timedelta(days=30 * month + 1)
        payment = Payment(provider=Provider.STRIPE if month % 2 else Provider.MANUAL, status=PaymentStatus.PAID,
                          amount_cents=15000 + 250 * month, currency="usd", couple_id=world.couple_id,
                          coach_id=world.cora_id, payer_id=world.sam.id, paid_at=paid_at, created_at=paid_at,
                          description="Joint session with Cora Current, a long description",
                          receipt_number=f"R-2026-{month:04d}")
        db.session.add(payment)
        db.session.flush()
        first = first or payment.id
    owed = db.session.get(Payment, first)
    owed.status, owed.refunded_cents = PaymentStatus.PARTIALLY_REFUNDED, 5000
    db.session.add(Refund(payment_id=owed.id, amount_cents=5000, reason="Cancelled inside the policy window",
                          status=RefundStatus.PENDING, idempotency_key="refund-owed-1"))
    db.session.add(Payment(provider=Provider.MANUAL, status=PaymentStatus.INVOICED, amount_cents=15000,
                           currency="usd", couple_id=world.couple_id, coach_id=world.cora_id,
                           description="Invoice for a joint session"))
    db.session.add_all([Package(name="Four joint sessions", session_type_id=session_type.id, sessions=4,
                                discount_percent=10),
                        Package(name="Eight joint sessions over a season", session_type_id=session_type.id,
                                sessions=8, discount_percent=15, valid_months=12)])
    db.session.commit()
    return owed.id


def _visit(page, base: str, paths: list[str]) -> dict[str, int]:
    widths = {}
    for path in paths:
        response = page.goto(base + path)
        assert response.status == 200, path
        widths[path] = scroll_width(page)
    return widths


def test_coach_and_admin_pages_fit_a_390_px_phone_without_sideways_scrolling(app, live_server, new_page,
                                                                             frozen_clock):
    with app.app_context():
        world = build_world(frozen_clock)
        payment_id = _payments(world)

    coach = new_page(viewport=PHONE)
    log_in(coach, live_server, world.cora.email)
    coach_paths = COACH_PAGES + [f"/coach/couples/{world.couple_id}", f"/coach/couples/{world.couple_id}/checkins",
                                 f"/coach/bookings/{world.bookings['open']}/note"]
    widths = _visit(coach, live_server, coach_paths)

    admin = new_page(viewport=PHONE)
    log_in(admin, live_server, world.root.email)
    admin_paths = ADMIN_PAGES + [f"/admin/payments/{payment_id}", f"/admin/payments/couples/{world.couple_id}",
                                 f"/admin/coaches/{world.cora_id}", f"/admin/matching/{world.couple_id}"]
    widths |= _visit(admin, live_server, admin_paths)

    too_wide = {path: width for path, width in widths.items() if width > PHONE["width"]}
    assert too_wide == {}


def test_the_revenue_chart_keeps_readable_labels_on_a_phone(app, live_server, new_page, frozen_clock):
    with app.app_context():
        world = build_world(frozen_clock)
        _payments(world)
    admin = new_page(viewport=PHONE)
    log_in(admin, live_server, world.root.email)
    admin.goto(live_server + "/admin/payments")
    chart = admin.locator("figure svg").first
    sizes = chart.evaluate("svg => [...svg.querySelectorAll('text')].map(t => t.getBoundingClientRect().height)")
    assert sizes and min(sizes) >= 11, sizes  # rendered label height in CSS px
    assert chart.evaluate("svg => svg.getBoundingClientRect().right") <= PHONE["width"]


def test_outlined_time_buttons_show_a_solid_focus_ring_to_keyboard_users(app, live_server, new_page, frozen_clock):
    from tests.scheduling_data import create_coach, create_couple, create_session_type

    with app.app_context():
        consultation = create_session_type("consultation", duration_min=20, min_notice_hours=12)
        create_coach("ana@example.com", timezone="Europe/London", name="Ana Ruiz", session_types=[consultation])
        create_couple("robin@example.com", "sam@example.com")
    client = new_page()
    log_in(client, live_server, "robin@example.com")
    open_offer(client, live_server, "Consultation with Ana Ruiz")
    button = client.locator("form.slot button.outline").first
    button.focus()
    client.keyboard.press("Shift+Tab")
    client.keyboard.press("Tab")
    ring = button.evaluate("b => { const s = getComputedStyle(b); "
                           "return [b.matches(':focus-visible'), s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor]; }")
    assert ring[:2] == [True, "solid"] and ring[2] >= 2.5, ring
    assert ring[3] == "rgb(29, 53, 87)", ring
