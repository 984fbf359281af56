"""In the browser: a partner books a weekly series across a clock change, one date clashes,
they pick an alternative, pay by invoice, and see the series on their home page."""

from __future__ import annotations

from datetime import UTC, datetime

from playwright.sync_api import expect

from coaching import db
from coaching.scheduling.services import place_hold
from tests.e2e.pages import log_in
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email


def test_partner_books_a_weekly_series_resolves_a_clash_and_pays(app, live_server, new_page, frozen_clock):
    frozen_clock.set(datetime(2026, 10, 19, 12, 0, tzinfo=UTC))  # New York's clocks go back on 1 November
    with app.app_context():
        session = create_session_type("couples-session", price_cents=12000)
        coach = create_coach("ana@example.com", name="Ana Ruiz", session_types=[session])
        create_couple("robin@example.com", "sam@example.com", timezones=("America/New_York", "America/New_York"))
        create_couple("lee@example.com", "kim@example.com")
        # Another couple already has Tue 3 Nov 10:00 EST (the series' second date)
        place_hold(db.session, user=user_by_email("lee@example.com"), coach_id=coach.id,
                   session_type_slug="couples-session", start=datetime(2026, 11, 3, 15, tzinfo=UTC),
                   now=frozen_clock())
        coach_id = coach.id

    page = new_page(timezone_id="America/New_York")
    log_in(page, live_server, "robin@example.com")
    page.goto(f"{live_server}/book/{coach_id}/couples-session")
    page.get_by_label("Repeat").select_option(label="Every week")
    page.get_by_label("Number of sessions").select_option("3")
    page.get_by_role("button", name="Show times for a series").click()
    expect(page.get_by_role("heading", name="Couples session with Ana Ruiz: 3 sessions, every week")).to_be_visible()
    page.get_by_role("button", name="Tuesday 27 October, 10:00 EDT").click()

    expect(page.get_by_role("heading", name="Some dates of your series clash")).to_be_visible()
    clash = page.get_by_role("group", name="Tue 03 Nov 2026, 10:00 EST: already taken")
    clash.get_by_label("Tue 03 Nov 2026, 11:00 EST").check()
    page.get_by_role("button", name="Hold these times").click()

    dates = page.get_by_role("region", name="Sessions of this series")
    for when in ("Tue 27 Oct 2026, 10:00 EDT", "Tue 03 Nov 2026, 11:00 EST", "Tue 10 Nov 2026, 10:00 EST"):
        expect(dates.get_by_text(when)).to_be_visible()
    page.get_by_role("button", name="Pay and confirm").click()
    expect(page.get_by_text("Your sessions are booked. We have emailed you the invoices.")).to_be_visible()
    assert dates.get_by_text("confirmed").count() == 3

    page.goto(live_server + "/home")
    expect(page.get_by_role("link", name="Series, session 3 of 3")).to_be_visible()
