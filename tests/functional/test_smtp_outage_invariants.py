"""A mail server that is down degrades email, never a request: with nothing listening on the
SMTP port, the requests that send mail (booking a session, asking for a password reset) answer
as usual, their emails wait in the outbox, and once the server is up each arrives exactly once.
(The outbox's own retries are in ``tests/integration/test_outbox.py``; these are the requests.)"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.tasks import deliver_now
from tests.conftest import csrf_token
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email
from tests.smtp import SMTPServer

START = datetime(2026, 11, 5, 15, 0, tzinfo=UTC)  # Thursday 10:00 in New York


@pytest.fixture
def later() -> SMTPServer:
    """A mail server with a port of its own, not listening until a test starts it."""
    return SMTPServer()


@pytest.fixture
def config_overrides(later: SMTPServer) -> dict[str, Any]:
    return {"SMTP_URL": later.url}


@pytest.fixture
def couple_token(app: Any, frozen_clock: Any) -> tuple[int, str]:
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        create_couple("ana@example.com", "ben@example.com")
        return coach.id, create_api_token(db.session, user_by_email("ana@example.com"), "t")


def waiting(app: Any) -> Counter[str]:
    """Emails not yet sent, by recipient; each must have been tried and refused by the dead port."""
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status != OutboxStatus.SENT)).all()
        assert all(r.attempts >= 1 and r.last_error for r in rows)
        return Counter(r.to_addr for r in rows)


def test_a_booking_and_a_password_reset_answer_as_usual_while_smtp_is_down_and_mail_arrives_once_later(
        app: Any, client: Any, frozen_clock: Any, later: SMTPServer, couple_token: tuple[int, str]) -> None:
    coach_id, token = couple_token
    booked = client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"},
                         json={"coach_id": coach_id, "session_type": "consultation", "start": START.isoformat()})
    assert booked.status_code == 201 and booked.get_json()["booking"]["status"] == "confirmed"
    asked = client.post("/account/forgot", data={"email": "ben@example.com",
                                                  "csrf_token": csrf_token(client, "/account/forgot")})
    assert asked.status_code in (200, 302, 303)
    queued = waiting(app)
    assert set(queued) == {"ana@example.com", "ben@example.com", "coach@example.com"}

    with later:
        frozen_clock.advance(hours=1)  # past every back-off
        with app.app_context():
            assert deliver_now() == sum(queued.values())
            assert deliver_now() == 0  # sent once: a second run finds nothing left
        assert waiting(app) == Counter()
        for to, n in queued.items():
            assert len(later.inbox.wait_for(to, n)) == n
