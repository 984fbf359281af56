"""In the browser: a coach connects their CalDAV calendar (a real Radicale); an appointment made
there removes the overlapping slot from the couple's booking page."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.e2e.pages import log_in, open_offer
from tests.radicale_server import PASSWORD as APP_PASSWORD, USER, radicale  # noqa: F401 - the fixture
from tests.scheduling_data import create_coach, create_couple, create_session_type


@pytest.fixture
def config_overrides(server_port, smtp_server):
    return {"TANDEM_BASE_URL": f"http://127.0.0.1:{server_port}", "SMTP_URL": smtp_server.url,
            "CALENDAR_ALLOW_PRIVATE_ADDRESSES": True}


def test_coach_connects_caldav_and_an_event_there_removes_a_slot(app, live_server, new_page, frozen_clock, radicale):
    with app.app_context():
        consultation = create_session_type("consultation", duration_min=50, slot_interval_min=60)
        create_coach("ana@example.com", name="Ana Ruiz", session_types=[consultation])  # 09-17 New York
        create_couple("robin@example.com", "sam@example.com", timezones=("America/New_York", "America/New_York"))
    calendar_url = radicale.new_calendar()

    coach = new_page()
    log_in(coach, live_server, "ana@example.com")
    coach.goto(live_server + "/coach/calendar")
    coach.get_by_role("link", name="Calendar elsewhere").click()
    coach.get_by_label("CalDAV server or calendar address").fill(calendar_url)
    coach.get_by_label("User name").fill(USER)
    coach.get_by_label("App password").fill(APP_PASSWORD)
    coach.get_by_role("button", name="Connect CalDAV calendar").click()
    expect(coach.get_by_text("Your calendar is connected.")).to_be_visible()
    status = coach.get_by_role("region", name="Connected calendar")
    expect(status).to_be_visible()
    expect(status.get_by_text("Not yet")).to_have_count(0)  # the first sync ran

    client = new_page()
    log_in(client, live_server, "robin@example.com")
    open_offer(client, live_server, "Consultation with Ana Ruiz")
    expect(client.get_by_role("button", name="Thursday 05 November, 10:00 EST")).to_be_visible()

    # Ana's dentist appointment, made in her own calendar app, Thursday 10:15-10:45 New York
    radicale.add_event(calendar_url, "dentist@elsewhere", datetime(2026, 11, 5, 15, 15, tzinfo=UTC),
                       datetime(2026, 11, 5, 15, 45, tzinfo=UTC))
    coach.get_by_role("button", name="Sync now").click()
    expect(coach.get_by_text("Your calendar is being read again.")).to_be_visible()

    client.reload()
    expect(client.get_by_role("button", name="Thursday 05 November, 11:00 EST")).to_be_visible()
    expect(client.get_by_role("button", name="Thursday 05 November, 10:00 EST")).to_have_count(0)
    expect(client.get_by_role("button", name="Thursday 05 November, 09:00 EST")).to_be_visible()
