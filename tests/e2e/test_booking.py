"""In the browser: a client books a free consultation in their own zone; the coach sees it in theirs."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.pages import log_in, open_offer
from tests.scheduling_data import create_coach, create_couple, create_session_type


def test_client_books_in_their_zone_and_coach_sees_it_in_theirs(app, live_server, new_page, frozen_clock):
    with app.app_context():
        consultation = create_session_type("consultation", duration_min=20, buffer_after_min=10, min_notice_hours=12)
        coach = create_coach("ana@example.com", timezone="Europe/London", name="Ana Ruiz",
                             session_types=[consultation])
        create_couple("robin@example.com", "sam@example.com",
                      timezones=("America/Los_Angeles", "America/Los_Angeles"))
        coach_id = coach.id

    client = new_page(timezone_id="America/Los_Angeles")
    log_in(client, live_server, "robin@example.com")
    open_offer(client, live_server, "Consultation with Ana Ruiz")
    expect(client.get_by_text("America/Los Angeles").first).to_be_visible()
    # Wed 4 Nov 09:00 in London is 01:00 in Los Angeles
    client.get_by_role("button", name="Wednesday 04 November, 01:00 PST").click()
    expect(client.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
    expect(client.get_by_text("Wed 04 Nov 2026, 01:00 PST")).to_be_visible()

    coach_page = new_page(timezone_id="Europe/London")
    log_in(coach_page, live_server, "ana@example.com")
    coach_page.goto(live_server + "/coach")
    coach_page.get_by_role("link", name="Your week").click()
    day = coach_page.get_by_role("region", name="Wednesday 04 November")
    expect(day.get_by_text("09:00 GMT-09:20 GMT")).to_be_visible()
    expect(day.get_by_role("link", name="Robin & Sam")).to_be_visible()  # to the couple's record
    expect(day.get_by_text("Booked by Robin")).to_be_visible()
    assert coach_id
