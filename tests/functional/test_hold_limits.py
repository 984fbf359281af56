"""Hold limits over HTTP: the cap on a couple's unpaid holds (409 with a clear message, in
pages and the API) and the per-person rate limit on placing holds (429, pages and API share it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from coaching import db
from coaching.accounts.services import create_api_token
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

DAY = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # 09:00 in New York, the coach's first hour
LIMIT = 3


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
            "HOLD_LIMIT_PER_USER": f"{LIMIT} per hour", "MAX_HOLDS_PER_COUPLE": 2}


@pytest.fixture
def coach_id(app, frozen_clock):
    with app.app_context():
        paid = create_session_type("couples-session", price_cents=15000)
        coach = create_coach(session_types=[paid])
        create_couple("ana@example.com", "ben@example.com")
        create_couple("cleo@example.com", "dev@example.com")
        return coach.id


def book_page(client, coach_id, hour):
    path = f"/book/{coach_id}/couples-session"
    return client.post(path, data={"csrf_token": csrf_token(client, path),
                                   "start": (DAY + timedelta(hours=hour)).isoformat()})


def book_api(client, token, coach_id, hour):
    return client.post("/api/v1/bookings", headers={"Authorization": f"Bearer {token}"}, json={
        "coach_id": coach_id, "session_type": "couples-session", "start": (DAY + timedelta(hours=hour)).isoformat()})


def token_for(app, email):
    with app.app_context():
        token = create_api_token(db.session, user_by_email(email), "t")
        db.session.commit()
        return token


def test_the_book_page_refuses_a_hold_beyond_the_cap_with_a_409_and_a_clear_message(app, client, coach_id):
    login(client, "ana@example.com")
    assert book_page(client, coach_id, 0).status_code == 302
    assert book_page(client, coach_id, 1).status_code == 302

    refused = book_page(client, coach_id, 2)

    assert refused.status_code == 409
    assert "You already have times held and waiting for payment" in refused.get_data(as_text=True)


def test_the_api_refuses_a_hold_beyond_the_cap_with_too_many_holds(app, client, coach_id):
    token = token_for(app, "ana@example.com")
    assert [book_api(client, token, coach_id, h).status_code for h in (0, 1)] == [201, 201]

    refused = book_api(client, token, coach_id, 2)

    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "too_many_holds"
    assert "waiting for payment" in refused.get_json()["error"]["message"]


def test_the_openapi_document_describes_the_cap_and_the_rate_limit(client):
    responses = client.get("/api/v1/openapi.json").get_json()["paths"]["/bookings"]["post"]["responses"]
    assert "too_many_holds" in responses["409"]["description"]
    assert "429" in responses and "Retry-After" in responses["429"]["headers"]


def test_placing_holds_is_rate_limited_per_person_across_pages_and_api(app, client, coach_id):
    token, api_client = token_for(app, "cleo@example.com"), app.test_client()
    login(client, "cleo@example.com")
    # Every attempt counts, refused or not: two holds, then one over the cap.
    attempts = [book_page(client, coach_id, 0).status_code, book_api(api_client, token, coach_id, 1).status_code,
                book_api(api_client, token, coach_id, 2).status_code]
    assert attempts == [302, 201, 409]

    page, api = book_page(client, coach_id, 3), book_api(api_client, token, coach_id, 3)

    assert page.status_code == 429 and "Too many attempts" in page.get_data(as_text=True)
    assert api.status_code == 429 and "Retry-After" in api.headers
    assert api.get_json()["error"]["message"]
    # Looking at the page is not an attempt, and another person has their own budget.
    assert client.get(f"/book/{coach_id}/couples-session").status_code == 200
    other = token_for(app, "ana@example.com")
    assert book_api(app.test_client(), other, coach_id, 4).status_code == 201
