"""In the browser: a client books, and "Add to calendar" downloads a valid .ics of that session."""

from __future__ import annotations

from icalendar import Calendar
from playwright.sync_api import expect

from tests.e2e.pages import PHONE, log_in, open_offer, scroll_width
from tests.scheduling_data import create_coach, create_couple, create_session_type


def test_a_client_books_and_downloads_the_session_for_their_calendar(app, live_server, new_page, frozen_clock):
    with app.app_context():
        consultation = create_session_type("consultation", duration_min=50)
        create_coach("ana@example.com", timezone="Europe/London", name="Ana Ruiz", session_types=[consultation])
        create_couple("robin@example.com", "sam@example.com", timezones=("Europe/London", "Europe/London"))

    page = new_page(timezone_id="Europe/London")
    log_in(page, live_server, "robin@example.com")
    open_offer(page, live_server, "Consultation with Ana Ruiz")
    page.get_by_role("button", name="Wednesday 04 November, 10:00 GMT").click()
    expect(page.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
    google = page.get_by_role("link", name="Google Calendar").get_attribute("href")
    assert google.startswith("https://calendar.google.com/calendar/render?action=TEMPLATE")
    assert "dates=20261104T100000Z%2F20261104T105000Z" in google

    with page.expect_download() as info:
        page.get_by_role("link", name="Download (.ics)").click()
    download = info.value
    assert download.suggested_filename == "tandem-appointment.ics"
    calendar = Calendar.from_ical(open(download.path(), "rb").read())
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Tandem appointment" and str(event["STATUS"]) == "CONFIRMED"
    assert event.decoded("DTSTART").isoformat() == "2026-11-04T10:00:00+00:00"
    assert event.decoded("DTEND").isoformat() == "2026-11-04T10:50:00+00:00"
    assert str(event["ORGANIZER"]).startswith("mailto:")
    assert {str(a) for a in event["ATTENDEE"]} == {"mailto:ana@example.com", "mailto:robin@example.com",
                                                   "mailto:sam@example.com"}

    # The private feed: made on the account's calendar page, shown once, and it holds the session.
    page.goto(live_server + "/account/settings")
    page.get_by_role("link", name="Your sessions in your calendar (private feed)").click()
    page.get_by_role("button", name="Make my feed address").click()
    feed_url = page.locator("#feed-url").inner_text()
    assert feed_url.startswith(live_server + "/calendar/feed/") and feed_url.endswith(".ics")
    fetched = page.context.request.get(feed_url)
    assert fetched.status == 200
    [in_feed] = Calendar.from_ical(fetched.body()).walk("VEVENT")
    assert str(in_feed["UID"]) == str(event["UID"])
    page.reload()
    assert page.locator("#feed-url").count() == 0  # shown once: a reload is a plain GET of the page

    # On a phone the page (with a freshly shown address) does not scroll sideways.
    page.set_viewport_size(PHONE)
    page.get_by_role("button", name="Make a new address").click()
    expect(page.locator("#feed-url")).to_have_count(1)
    assert scroll_width(page) <= PHONE["width"]
