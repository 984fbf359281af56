"""Booking and calendar pages through HTTP: a client books, a link changes a booking once, a coach edits hours."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coaching import db
from coaching.scheduling.models import AvailabilityRule, Booking, BookingStatus
from tests.mail import sent_emails
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type

BOTH_FREE = ({"tue": [["09:00", "12:00"]]}, {"tue": [["14:00", "18:00"]]})  # New York and London


@pytest.fixture
def coach_id(app, frozen_clock):
    with app.app_context():
        st = create_session_type("consultation")
        coach = create_coach(session_types=[st])
        create_couple("ana@example.com", "ben@example.com", free_times=BOTH_FREE)
        return coach.id


def test_client_sees_slots_in_their_zone_with_both_free_times_first_and_books_one(app, client, coach_id):
    login(client, "ana@example.com")
    page = client.get(f"/book/{coach_id}/consultation").get_data(as_text=True)
    shared = page.split("Times that suit you both")[1].split("All free times")[0]
    # Tue 3 Nov: Ana free 09-12 New York, Ben free 14-18 London (09-13 New York) -> 09:00, 10:00, 11:00 EST
    assert re.findall(r'aria-label="Tuesday 03 November, (\d\d:\d\d) EST', shared) == ["09:00", "10:00", "11:00"]
    token = csrf_token(client, f"/book/{coach_id}/consultation")
    response = client.post(f"/book/{coach_id}/consultation",
                           data={"csrf_token": token, "start": "2026-11-03T14:00:00+00:00"})
    assert response.status_code == 302
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your appointment is confirmed" in confirmation and "Tue 03 Nov 2026, 09:00 EST" in confirmation


def test_a_taken_time_is_a_409_with_a_clear_message(app, client, coach_id):
    login(client, "ana@example.com")
    token = csrf_token(client, f"/book/{coach_id}/consultation")
    data = {"csrf_token": token, "start": "2026-11-03T14:00:00+00:00"}
    assert client.post(f"/book/{coach_id}/consultation", data=data).status_code == 302
    response = client.post(f"/book/{coach_id}/consultation", data=data)
    assert response.status_code == 409 and "just taken" in response.get_data(as_text=True)


def manage_link(app, address):
    with app.app_context():
        message = sent_emails(to=address)[-1]
    return re.search(r"http://[^/]+(/bookings/manage/\S+)", message.text_body).group(1)


def test_emailed_link_reschedules_once_and_then_refuses_reuse(app, client, coach_id):
    login(client, "ana@example.com")
    client.post(f"/book/{coach_id}/consultation", data={
        "csrf_token": csrf_token(client, f"/book/{coach_id}/consultation"), "start": "2026-11-05T14:00:00+00:00"})
    anonymous = app.test_client()
    link = manage_link(app, "ben@example.com")
    page = anonymous.get(link).get_data(as_text=True)
    assert "Thu 05 Nov 2026, 14:00 GMT" in page  # Ben's own zone
    token = re.search(r'name="move-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    moved = anonymous.post(link, data={"move-csrf_token": token, "action": "move",
                                       "move-start": "2026-11-05T16:00:00+00:00"})
    assert moved.status_code == 200 and "Your appointment has moved" in moved.get_data(as_text=True)
    with app.app_context():
        assert sent_emails(to="ben@example.com")[-1].subject == "Your Tandem appointment has moved"
    reuse = anonymous.post(link, data={"cancel-csrf_token": token, "action": "cancel"})
    assert reuse.status_code == 410
    assert anonymous.get(link).status_code == 410
    with app.app_context():
        statuses = sorted(str(b.status) for b in db.session.scalars(select(Booking)))
    assert statuses == ["cancelled", "confirmed"]
    newer = manage_link(app, "ben@example.com")
    assert newer != link and anonymous.get(newer).status_code == 200


def test_forged_link_is_refused(client, coach_id):
    assert client.get("/bookings/manage/eyJiIjoxLCJ2IjoxfQ.forged").status_code == 410


def coach_client(app, coach_id):
    client = app.test_client()
    assert login(client, "coach@example.com").status_code == 302
    return client


@pytest.mark.parametrize(("field", "value", "message"), [
    ("mon", "09:00-12:00, 11:00-13:00", "overlap"),
    ("tue", "17:00-09:00", "end must be after"),
    ("wed", "nine to five", "not a range"),
    ("timezone", "Mars/Olympus", "Choose a time zone"),
])
def test_weekly_hours_editor_refuses_mistakes_with_clear_errors_and_changes_nothing(app, coach_id, field, value, message):
    client = coach_client(app, coach_id)
    data = {"csrf_token": csrf_token(client, "/coach/hours"), "timezone": "America/New_York",
            "mon": "09:00-17:00", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "", "sun": ""}
    data[field] = value
    response = client.post("/coach/hours", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(AvailabilityRule)).all()) == 7


def test_weekly_hours_editor_saves_several_ranges_a_day(app, coach_id):
    client = coach_client(app, coach_id)
    response = client.post("/coach/hours", data={
        "csrf_token": csrf_token(client, "/coach/hours"), "timezone": "Europe/London",
        "mon": "09:00-12:00, 13:00-17:00", "tue": "13:00-23:00"})
    assert response.status_code == 302
    assert 'value="09:00-12:00, 13:00-17:00"' in client.get("/coach/hours").get_data(as_text=True)


def test_coach_week_view_shows_bookings_in_the_coachs_zone_and_cancels_with_a_reason(app, client, coach_id):
    login(client, "ana@example.com")
    client.post(f"/book/{coach_id}/consultation", data={
        "csrf_token": csrf_token(client, f"/book/{coach_id}/consultation"), "start": "2026-11-05T14:00:00+00:00"})
    coach = coach_client(app, coach_id)
    week = coach.get("/coach/calendar?week=2026-11-05").get_data(as_text=True)
    assert "09:00 EST-09:50 EST" in week and "Ana" in week
    with app.app_context():
        booking_id = db.session.scalar(select(Booking.id))
    token = csrf_token(coach, "/coach/calendar?week=2026-11-05")
    no_reason = coach.post(f"/coach/bookings/{booking_id}/cancel", data={"csrf_token": token, "cancel-reason": ""})
    assert no_reason.status_code == 302
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == BookingStatus.CONFIRMED
    coach.post(f"/coach/bookings/{booking_id}/cancel", data={"csrf_token": token, "cancel-reason": "Family emergency"})
    with app.app_context():
        assert db.session.get(Booking, booking_id).status == BookingStatus.CANCELLED


def test_coach_pages_are_for_coaches_only(client, coach_id):
    login(client, "ana@example.com")
    for path in ("/coach/hours", "/coach/calendar", "/coach/overrides", "/coach/time-off", "/coach/session-types"):
        assert client.get(path).status_code == 403


def test_override_and_time_off_editors_validate(app, coach_id):
    client = coach_client(app, coach_id)
    bad = client.post("/coach/overrides", data={"csrf_token": csrf_token(client, "/coach/overrides"),
                                                "on_date": "2026-11-10", "start": "15:00", "end": "10:00"})
    assert bad.status_code == 422 and "end must be after" in bad.get_data(as_text=True)
    assert client.post("/coach/overrides", data={"csrf_token": csrf_token(client, "/coach/overrides"),
                                                 "on_date": "2026-11-10", "closed": "y"}).status_code == 302
    bad = client.post("/coach/time-off", data={"csrf_token": csrf_token(client, "/coach/time-off"),
                                               "start_date": "2026-11-20", "end_date": "2026-11-19"})
    assert bad.status_code == 422 and "must not be before" in bad.get_data(as_text=True)


def test_times_that_suit_both_are_grouped_under_a_visible_date_heading_for_each_day(app, client, frozen_clock):
    with app.app_context():
        st = create_session_type("consultation")
        coach = create_coach(session_types=[st])
        create_couple("ana@example.com", "ben@example.com",
                      free_times=({"tue": [["09:00", "12:00"]], "thu": [["09:00", "11:00"]]},
                                  {"tue": [["14:00", "18:00"]], "thu": [["14:00", "18:00"]]}))
    login(client, "ana@example.com")
    page = client.get(f"/book/{coach.id}/consultation").get_data(as_text=True)
    shared = page.split("Times that suit you both")[1].split("All free times")[0]
    headings = re.findall(r"<h3[^>]*>([^<]+)</h3>", shared)
    assert headings[:2] == ["Tuesday 03 November", "Thursday 05 November"]
    tuesday = shared.split("<h3")[1]  # the first day's heading and its buttons, up to the next day's heading
    assert re.findall(r">\s*(\d\d:\d\d)[^<]*★", tuesday) == ["09:00", "10:00", "11:00"]


def test_cancelling_from_the_emailed_link_first_shows_the_refund_and_only_a_confirmation_cancels(
        app, client, coach_id):
    from coaching.payments.models import Payment, Provider
    from coaching.payments.states import PaymentStatus

    login(client, "ana@example.com")
    client.post(f"/book/{coach_id}/consultation", data={
        "csrf_token": csrf_token(client, f"/book/{coach_id}/consultation"), "start": "2026-11-05T14:00:00+00:00"})
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        db.session.add(Payment(booking_id=booking.id, couple_id=booking.couple_id, provider=Provider.MANUAL,
                               status=PaymentStatus.PAID, amount_cents=12000, currency="usd"))
        db.session.commit()
    anonymous = app.test_client()
    link = manage_link(app, "ana@example.com")
    page = anonymous.get(link).get_data(as_text=True)
    assert "We will refund <strong>$120.00</strong>" in page
    token = re.search(r'name="cancel-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    asked = anonymous.post(link, data={"cancel-csrf_token": token, "action": "cancel", "cancel-reason": "Ill"})
    text = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Cancel your appointment?" in text and "$120.00" in text
    assert 'name="confirm" value="yes"' in text and 'value="Ill"' in text
    with app.app_context():
        assert db.session.scalar(select(Booking)).status == BookingStatus.CONFIRMED  # nothing happened yet
    done = anonymous.post(link, data={"cancel-csrf_token": token, "action": "cancel", "confirm": "yes",
                                      "cancel-reason": "Ill"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Booking)).status == BookingStatus.CANCELLED
        assert sent_emails(to="ana@example.com")[-1].subject == "Your Tandem appointment is cancelled"


def test_cancelling_an_unpaid_appointment_says_nothing_is_refunded_or_charged(app, client, coach_id):
    login(client, "ana@example.com")
    client.post(f"/book/{coach_id}/consultation", data={
        "csrf_token": csrf_token(client, f"/book/{coach_id}/consultation"), "start": "2026-11-05T14:00:00+00:00"})
    link = manage_link(app, "ana@example.com")
    page = client.get(link).get_data(as_text=True)
    token = re.search(r'name="cancel-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    asked = client.post(link, data={"cancel-csrf_token": token, "action": "cancel"}).get_data(as_text=True)
    assert "Nothing was paid for this appointment, so nothing is refunded or charged." in asked
