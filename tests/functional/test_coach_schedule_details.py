"""What a coach reads and may do in the week view, the date overrides, a reschedule and an intake summary."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.intake.models import Couple
from coaching.scheduling.models import Booking, BookingStatus, DateOverride, SessionKind
from tests.conftest import csrf_token, login
from tests.functional import intake_steps as steps
from tests.mail import sent_emails
from tests.scheduling_data import create_coach, create_couple, create_session_type


@pytest.fixture
def coach_id(app, frozen_clock):  # frozen at Mon 2 Nov 2026 15:00 UTC (10:00 in New York)
    with app.app_context():
        joint = create_session_type("consultation")
        single = create_session_type("individual", kind=SessionKind.INDIVIDUAL)
        coach = create_coach(session_types=[joint, single])
        couple = create_couple("riley@example.com", "sky@example.com")
        couple.coach_id = coach.id
        db.session.commit()
        return coach.id


def coach_client(app):
    client = app.test_client()
    assert login(client, "coach@example.com").status_code == 302
    return client


def book(client, coach_id, slug, start):
    path = f"/book/{coach_id}/{slug}"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "start": start})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def test_the_week_view_says_which_partner_booked_and_links_the_video_room_and_the_couples_record(
        app, client, coach_id):
    login(client, "sky@example.com")
    book(client, coach_id, "individual", "2026-11-05T14:00:00+00:00")
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        couple_id, video = booking.couple_id, booking.video_url
    assert video
    week = coach_client(app).get("/coach/calendar?week=2026-11-05").get_data(as_text=True)
    row = week.split('<section aria-label="Thursday 05 November">')[1].split("<tbody>")[1].split("</tr>")[0]
    assert "Individual" in row and "Booked by Sky" in row and "Riley" not in row.split("Booked by")[1]
    assert f'href="{video}"' in row
    assert f'href="/coach/couples/{couple_id}"' in row


def test_a_blocked_time_reads_as_blocked_not_confirmed(app, coach_id):
    coach = coach_client(app)
    token = csrf_token(coach, "/coach/calendar")
    response = coach.post("/coach/blocks", data={"block-csrf_token": token, "block-on_date": "2026-11-06",
                                                 "block-start": "09:00", "block-end": "10:00"})
    assert response.status_code == 302
    week = coach.get("/coach/calendar?week=2026-11-06").get_data(as_text=True)
    row = week.split('<section aria-label="Friday 06 November">')[1].split("<tbody>")[1].split("</tr>")[0]
    cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
    assert cells[1].strip() == "Blocked time" and cells[2].strip() == "blocked"
    assert "confirmed" not in row


def test_a_date_override_in_the_past_is_refused_with_a_clear_message_and_nothing_stored(app, coach_id):
    coach = coach_client(app)
    response = coach.post("/coach/overrides", data={"csrf_token": csrf_token(coach, "/coach/overrides"),
                                                    "on_date": "2026-11-01", "closed": "y"})
    assert response.status_code == 422
    assert "01 November 2026 is in the past" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(DateOverride)).all() == []
    today = coach.post("/coach/overrides", data={"csrf_token": csrf_token(coach, "/coach/overrides"),
                                                 "on_date": "2026-11-02", "closed": "y"})
    assert today.status_code == 302


def manage_link(app, address):
    with app.app_context():
        message = sent_emails(to=address)[-1]
    return re.search(r"http://[^/]+(/bookings/manage/\S+)", message.text_body).group(1)


def test_the_reschedule_page_does_not_offer_the_time_the_booking_already_has(app, client, coach_id):
    login(client, "riley@example.com")
    book(client, coach_id, "consultation", "2026-11-05T14:00:00+00:00")
    link = manage_link(app, "riley@example.com")
    anonymous = app.test_client()
    page = anonymous.get(link).get_data(as_text=True)
    offered = re.findall(r'name="move-start"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="move-start"', page)
    values = {a or b for a, b in offered}
    assert values, "the page offers other times"
    assert not any(v.startswith("2026-11-05T14:00") for v in values)
    assert any(v.startswith("2026-11-05T15:00") for v in values)
    token = re.search(r'name="move-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    same = anonymous.post(link, data={"move-csrf_token": token, "action": "move",
                                      "move-start": "2026-11-05T14:00:00+00:00"})
    assert same.status_code == 422 and "already at that time" in same.get_data(as_text=True)
    with app.app_context():
        assert [b.status for b in db.session.scalars(select(Booking))] == [BookingStatus.CONFIRMED]


def test_the_intake_summary_lists_free_times_monday_to_sunday(app, create_user):
    partner = steps.logged_in(app, create_user(name="Robin Hart"))
    steps.start(partner)
    steps.shared(partner)
    steps.personal(partner, blocks=("sun-evening", "fri-evening", "mon-evening", "wed-morning"))
    admin = steps.logged_in(app, create_user(role=Role.ADMIN))
    with app.app_context():
        couple_id = db.session.scalar(select(Couple.id))
    html = admin.get(f"/intake/couples/{couple_id}/summary").get_data(as_text=True)
    days = re.findall(r"(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d\d:\d\d-", html)
    assert days == ["Monday", "Wednesday", "Friday", "Sunday"]
