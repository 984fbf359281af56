"""The client home is a portal: upcoming sessions with type, coach, video and change links;
past sessions; invoices and receipts; never the other partner's individual sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching import clock, db
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type


@pytest.fixture
def coach_id(app, frozen_clock):
    with app.app_context():
        joint = create_session_type("consultation")
        own = create_session_type("check-in-alone", kind=SessionKind.INDIVIDUAL)
        coach = create_coach(session_types=[joint, own], name="Casey Coach")
        couple = create_couple("ana@example.com", "ben@example.com")
        couple.coach_id = coach.id
        db.session.commit()
        return coach.id


def book(client, path: str, start: str):
    return client.post(path, data={"csrf_token": csrf_token(client, path), "start": start})


def test_home_lists_upcoming_sessions_with_type_coach_video_link_and_a_reschedule_or_cancel_link(app, client,
                                                                                                 coach_id):
    login(client, "ana@example.com")
    assert book(client, f"/book/{coach_id}/consultation", "2026-11-03T14:00:00+00:00").status_code == 302
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        booking.video_url = "https://video.example.com/room-1"
        db.session.commit()
    home = client.get("/home").get_data(as_text=True)
    upcoming = home.split("Upcoming sessions")[1]
    assert "Consultation with Casey Coach" in upcoming
    assert 'href="https://video.example.com/room-1"' in upcoming
    assert "/bookings/manage/" in upcoming and "Reschedule or cancel" in upcoming


def test_home_shows_past_sessions_once_they_have_ended(app, client, coach_id, frozen_clock):
    login(client, "ana@example.com")
    assert book(client, f"/book/{coach_id}/consultation", "2026-11-03T14:00:00+00:00").status_code == 302
    with app.app_context():
        booking = db.session.scalar(select(Booking))
        booking.status = BookingStatus.COMPLETED
        ends = booking.ends_at
        db.session.commit()
    frozen_clock.set(ends + timedelta(hours=1))
    login(client, "ana@example.com")
    home = client.get("/home").get_data(as_text=True)
    assert "Past sessions" in home and "Consultation with Casey Coach" in home.split("Past sessions")[1]
    assert "No sessions booked." in home.split("Upcoming sessions")[1]


def test_a_partner_never_sees_the_other_partners_individual_session_on_their_home(app, client, coach_id):
    login(client, "ana@example.com")
    assert book(client, f"/book/{coach_id}/check-in-alone", "2026-11-03T14:00:00+00:00").status_code == 302
    assert "Check in alone with Casey Coach" in client.get("/home").get_data(as_text=True)
    ben = app.test_client()
    login(ben, "ben@example.com")
    home = ben.get("/home").get_data(as_text=True)
    assert "Check in alone with" not in home and "No sessions booked." in home


def test_home_lists_the_partners_invoices_and_receipts(app, client, coach_id):
    from coaching.payments.models import Payment, Provider
    from coaching.payments.states import PaymentStatus
    from coaching.intake.models import Couple
    from tests.scheduling_data import user_by_email

    with app.app_context():
        couple = db.session.scalar(select(Couple))
        ana = user_by_email("ana@example.com")
        db.session.add(Payment(couple_id=couple.id, payer_id=ana.id, provider=Provider.MANUAL,
                               status=PaymentStatus.PAID, amount_cents=15000, currency="usd",
                               description="Package of 4 sessions", receipt_number="R-2026-0001",
                               paid_at=clock.now()))
        db.session.commit()
    login(client, "ana@example.com")
    home = client.get("/home").get_data(as_text=True)
    invoices = home.split("Invoices and receipts")[1]
    assert "Package of 4 sessions: $150.00" in invoices and "receipt R-2026-0001" in invoices
    ben = app.test_client()
    login(ben, "ben@example.com")
    assert "Package of 4 sessions" not in ben.get("/home").get_data(as_text=True)
