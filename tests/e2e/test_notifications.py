"""In the browser at phone width: a partner turns reminders off from their account page (axe-core
checks each page visited, see conftest)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.pages import PHONE, log_in, scroll_width
from tests.scheduling_data import create_couple


def test_a_partner_turns_reminders_off_on_a_phone(app, live_server, new_page, frozen_clock):
    with app.app_context():
        create_couple("robin@example.com", "sam@example.com")
    page = new_page(viewport=PHONE)
    log_in(page, live_server, "robin@example.com")
    page.goto(live_server + "/account/settings")
    page.get_by_role("link", name="Email reminders and notifications").click()
    reminders = page.get_by_label("Email me a reminder before each session")
    assert reminders.is_checked()
    reminders.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your email choices are saved.")).to_be_visible()
    assert not page.get_by_label("Email me a reminder before each session").is_checked()
    assert page.get_by_label("Email me when my coach shares a session summary or homework").is_checked()
    assert scroll_width(page) <= PHONE["width"]
