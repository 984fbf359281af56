"""Reaching for someone else's booking by id: every route that takes a booking id, called by the
other partner (for an individual session), a partner of another couple and another coach, with
a valid CSRF token or API token, answers exactly as for an id that does not exist and changes
nothing (no status, no version, no email). Each route is first shown to work for its owner, so
a refusal here is the ownership rule, not a broken request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.notify.models import OutboxMessage
from coaching.scheduling import services
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)
MISSING = 999_999


@pytest.fixture
def world(app: Any, frozen_clock: Any) -> dict[str, int]:
    """Casey coaches Ana and Ben (a joint session, Ana's individual session) and Cy and Di;
    Olly is another coach. Booking ids by name."""
    with app.app_context():
        joint = create_session_type("consultation")
        solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
        coach = create_coach(name="Casey Coach", session_types=[joint, solo])
        create_coach("other@example.com", name="Olly Other", session_types=[joint, solo])
        create_couple("ana@example.com", "ben@example.com")
        create_couple("cy@example.com", "di@example.com")

        def book(slug: str, start: datetime, email: str) -> int:
            return services.place_hold(db.session, user=user_by_email(email), coach_id=coach.id,
                                       session_type_slug=slug, start=start, now=NOW).id

        ids = {"joint": book("consultation", NOW + DAY, "ana@example.com"),
               "ana": book("individual-session", NOW + DAY + timedelta(hours=2), "ana@example.com")}
        assert db.session.get(Booking, ids["ana"]).status == BookingStatus.CONFIRMED
        return ids


def signed_in(app: Any, email: str) -> tuple[Any, str]:
    """A test client signed in as ``email`` and its CSRF token."""
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client, csrf_token(client, "/account/calendar")


def client_calls(token: str, api_token: str) -> dict[str, Any]:
    """Every client route that takes a booking id, as a call of (client, booking id)."""
    return {
        "booking page": lambda c, i: c.get(f"/bookings/{i}"),
        "calendar download": lambda c, i: c.get(f"/bookings/{i}/calendar.ics"),
        "checkout page": lambda c, i: c.get(f"/pay/{i}"),
        "checkout post": lambda c, i: c.post(f"/pay/{i}", data={"csrf_token": token}),
        "payment done": lambda c, i: c.get(f"/pay/{i}/done"),
        "api cancel": lambda c, i: c.application.test_client().post(  # bearer only, no cookie
            f"/api/v1/bookings/{i}/cancel", json={"reason": "mine now"},
            headers={"Authorization": f"Bearer {api_token}"}),
    }


def coach_calls(token: str, api_token: str) -> dict[str, Any]:
    """Every coach route that takes a booking id (and the API's cancel)."""
    return {
        "coach cancel": lambda c, i: c.post(f"/coach/bookings/{i}/cancel",
                                            data={"cancel-csrf_token": token, "cancel-reason": "mine now"}),
        "attendance": lambda c, i: c.post(f"/coach/bookings/{i}/attendance",
                                          data={"att-csrf_token": token, "att-outcome": "no_show"}),
        "note": lambda c, i: c.get(f"/coach/bookings/{i}/note"),
        "share": lambda c, i: c.get(f"/coach/bookings/{i}/share"),
        "api cancel": lambda c, i: c.application.test_client().post(  # bearer only, no cookie
            f"/api/v1/bookings/{i}/cancel", json={"reason": "mine now"},
            headers={"Authorization": f"Bearer {api_token}"}),
    }


def state(app: Any) -> tuple[list[tuple[int, str, int]], int]:
    """Every booking's (id, status, version) and how many emails were queued."""
    with app.app_context():
        rows = [(b.id, b.status.value, b.version) for b in db.session.scalars(select(Booking).order_by(Booking.id))]
        return rows, int(db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def api_token_of(app: Any, email: str) -> str:
    with app.app_context():
        return create_api_token(db.session, user_by_email(email), "t")


def test_the_owner_reaches_every_client_route_of_their_own_individual_session(app: Any, world: dict[str, int]) -> None:
    ana, token = signed_in(app, "ana@example.com")
    calls = client_calls(token, api_token_of(app, "ana@example.com"))
    for name in ("booking page", "calendar download", "payment done"):
        assert calls[name](ana, world["ana"]).status_code == 200, name
    assert calls["checkout page"](ana, world["ana"]).status_code in (200, 302)


@pytest.mark.parametrize("intruder, booking", [
    ("ben@example.com", "ana"),  # the other partner: Ana's individual session is hers alone
    ("cy@example.com", "ana"),  # a partner of another couple
    ("cy@example.com", "joint"),
])
def test_a_partner_reaching_for_a_booking_not_theirs_meets_a_missing_id_and_changes_nothing(
        app: Any, world: dict[str, int], intruder: str, booking: str) -> None:
    client, token = signed_in(app, intruder)
    before = state(app)
    for name, call in client_calls(token, api_token_of(app, intruder)).items():
        missing = call(client, MISSING)
        reached = call(client, world[booking])
        assert missing.status_code == 404, name
        assert (reached.status_code, reached.get_data()) == (missing.status_code, missing.get_data()), name
    assert state(app) == before


@pytest.mark.parametrize("booking", ["ana", "joint"])
def test_another_coach_reaching_for_a_booking_meets_a_missing_id_and_changes_nothing(
        app: Any, world: dict[str, int], booking: str) -> None:
    olly, token = signed_in(app, "other@example.com")
    before = state(app)
    for name, call in coach_calls(token, api_token_of(app, "other@example.com")).items():
        missing = call(olly, MISSING)
        reached = call(olly, world[booking])
        assert missing.status_code == 404, name
        assert (reached.status_code, reached.get_data()) == (missing.status_code, missing.get_data()), name
    assert state(app) == before


def test_the_assigned_coach_cancels_through_the_same_routes(app: Any, world: dict[str, int]) -> None:
    """The control for the coach routes: the same call by the booking's coach does cancel."""
    casey, token = signed_in(app, "coach@example.com")
    response = coach_calls(token, "")["coach cancel"](casey, world["ana"])
    assert response.status_code in (302, 303)
    with app.app_context():
        assert db.session.get(Booking, world["ana"]).status == BookingStatus.CANCELLED
