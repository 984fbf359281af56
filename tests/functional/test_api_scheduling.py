"""The JSON API through HTTP: slots, bookings, cancellation, error bodies, authentication, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coaching import db
from coaching.accounts.services import create_api_token
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

SLOTS = "/api/v1/coaches/{}/slots"


@pytest.fixture
def setup(app, frozen_clock):
    with app.app_context():
        free = create_session_type("consultation")
        paid = create_session_type("couples-session", price_cents=15000)
        coach = create_coach(session_types=[free, paid])
        create_couple("ana@example.com", "ben@example.com")
        token = create_api_token(db.session, user_by_email("ana@example.com"), "t")
        return coach.id, token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_slots_are_listed_in_the_requested_zone_with_its_offset(client, setup):
    coach_id, _ = setup
    body = client.get(SLOTS.format(coach_id), query_string={
        "session_type": "consultation", "start": "2026-11-03", "end": "2026-11-03", "tz": "Europe/London"}).get_json()
    assert body["coach_id"] == coach_id and body["session_type"] == "consultation" and body["timezone"] == "Europe/London"
    assert body["slots"][0] == {"start": "2026-11-03T14:00:00+00:00", "end": "2026-11-03T14:50:00+00:00"}
    assert len(body["slots"]) == 8
    la = client.get(SLOTS.format(coach_id), query_string={
        "session_type": "consultation", "start": "2026-11-03", "end": "2026-11-03", "tz": "America/Los_Angeles"}).get_json()
    assert la["slots"][0]["start"] == "2026-11-03T06:00:00-08:00"


@pytest.mark.parametrize(("params", "status", "code", "field"), [
    ({"start": "2026-11-03", "end": "2026-11-04"}, 400, "missing_parameter", "session_type"),
    ({"session_type": "consultation", "end": "2026-11-04"}, 400, "missing_parameter", "start"),
    ({"session_type": "consultation", "start": "03/11/2026", "end": "2026-11-04"}, 400, "invalid_date", "start"),
    ({"session_type": "consultation", "start": "2026-11-03", "end": "2026-11-31"}, 400, "invalid_date", "end"),
    ({"session_type": "consultation", "start": "2026-11-03", "end": "2026-11-04", "tz": "Mars/Base"}, 422, "invalid_timezone", "tz"),
    ({"session_type": "consultation", "start": "2026-11-05", "end": "2026-11-04"}, 422, "invalid_range", "end"),
    ({"session_type": "consultation", "start": "2026-11-01", "end": "2027-02-02"}, 422, "range_too_long", "end"),
])
def test_bad_slot_queries_get_a_clear_error_body(client, setup, params, status, code, field):
    response = client.get(SLOTS.format(setup[0]), query_string=params)
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code and response.get_json()["error"]["field"] == field


def test_unknown_coach_or_session_type_is_404(client, setup):
    q = {"session_type": "consultation", "start": "2026-11-03", "end": "2026-11-03"}
    assert client.get(SLOTS.format(999), query_string=q).status_code == 404
    assert client.get(SLOTS.format(setup[0]), query_string={**q, "session_type": "nope"}).status_code == 404


def test_bearer_client_books_a_free_slot_and_it_is_confirmed(client, setup):
    coach_id, token = setup
    response = client.post("/api/v1/bookings", headers=bearer(token), json={
        "coach_id": coach_id, "session_type": "consultation", "start": "2026-11-03T10:00:00-05:00"})
    assert response.status_code == 201
    booking = response.get_json()["booking"]
    assert set(booking) == {"id", "status", "start", "end", "coach_id", "session_type"}
    assert booking["status"] == "confirmed" and booking["start"] == "2026-11-03T10:00:00-05:00"
    again = client.post("/api/v1/bookings", headers=bearer(token), json={
        "coach_id": coach_id, "session_type": "consultation", "start": "2026-11-03T15:00:00Z"})
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "slot_taken" and error["next_slots"][0]["start"] == "2026-11-03T11:00:00-05:00"


def test_paid_session_is_held(client, setup):
    coach_id, token = setup
    response = client.post("/api/v1/bookings", headers=bearer(token), json={
        "coach_id": coach_id, "session_type": "couples-session", "start": "2026-11-03T10:00:00-05:00"})
    assert response.status_code == 201 and response.get_json()["booking"]["status"] == "held"


@pytest.mark.parametrize(("payload", "status", "code", "field"), [
    ("not json", 400, "invalid_json", None),
    ({"coach_id": "1", "session_type": "consultation", "start": "2026-11-03T10:00:00-05:00"}, 422, "invalid_field", "coach_id"),
    ({"coach_id": 1, "session_type": 5, "start": "2026-11-03T10:00:00-05:00"}, 422, "invalid_field", "session_type"),
    ({"coach_id": 1, "session_type": "consultation", "start": "2026-11-03T10:00:00"}, 422, "invalid_datetime", "start"),
    ({"coach_id": 1, "session_type": "consultation", "start": "tomorrow"}, 422, "invalid_datetime", "start"),
    ({"coach_id": 1, "session_type": "consultation", "start": "2026-11-03T10:20:00-05:00"}, 422, "not_a_slot", None),
    ({"coach_id": 1, "session_type": "consultation", "start": "2026-11-03T23:00:00-05:00"}, 422, "not_a_slot", None),
    ({"coach_id": 1, "session_type": "gone", "start": "2026-11-03T10:00:00-05:00"}, 404, "not_found", None),
])
def test_bad_booking_requests_get_a_clear_error_body_and_change_nothing(client, setup, payload, status, code, field):
    _, token = setup
    kwargs = {"data": payload, "content_type": "application/json"} if isinstance(payload, str) else {"json": payload}
    response = client.post("/api/v1/bookings", headers=bearer(token), **kwargs)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error.get("field") == field and error["message"]


def test_anonymous_and_revoked_callers_are_401(client, setup):
    body = {"coach_id": setup[0], "session_type": "consultation", "start": "2026-11-03T10:00:00-05:00"}
    assert client.post("/api/v1/bookings", json=body).status_code == 401
    assert client.post("/api/v1/bookings", json=body, headers=bearer("wrong")).status_code == 401


def test_cookie_session_needs_the_csrf_header(app, client, setup):
    assert login(client, "ana@example.com").status_code == 302
    body = {"coach_id": setup[0], "session_type": "consultation", "start": "2026-11-03T10:00:00-05:00"}
    assert client.post("/api/v1/bookings", json=body).status_code == 400
    token = csrf_token(client, "/account/settings")
    assert client.post("/api/v1/bookings", json=body, headers={"X-CSRFToken": token}).status_code == 201


def test_partner_cancels_through_the_api_and_a_stranger_cannot(app, client, setup):
    coach_id, token = setup
    made = client.post("/api/v1/bookings", headers=bearer(token), json={
        "coach_id": coach_id, "session_type": "consultation", "start": "2026-11-05T10:00:00-05:00"}).get_json()
    booking_id = made["booking"]["id"]
    with app.app_context():
        create_couple("eve@example.com")
        stranger = create_api_token(db.session, user_by_email("eve@example.com"), "t")
        partner = create_api_token(db.session, user_by_email("ben@example.com"), "t")
    assert client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(stranger)).status_code == 404
    response = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(partner), json={"reason": "ill"})
    assert response.status_code == 200 and response.get_json()["booking"]["status"] == "cancelled"
    again = client.post(f"/api/v1/bookings/{booking_id}/cancel", headers=bearer(partner))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_changeable"


def test_client_cannot_cancel_inside_the_policy_window(client, setup):
    coach_id, token = setup
    made = client.post("/api/v1/bookings", headers=bearer(token), json={
        "coach_id": coach_id, "session_type": "consultation", "start": "2026-11-03T09:00:00-05:00"}).get_json()
    response = client.post(f"/api/v1/bookings/{made['booking']['id']}/cancel", headers=bearer(token))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "too_late"


def test_openapi_document_describes_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    routes = {str(r.rule).removeprefix("/api/v1").replace("<int:", "{").replace(">", "}")
              for r in app.url_map.iter_rules() if str(r.rule).startswith("/api/v1")}
    routes = {r.replace("{coach_id}", "{coach_id}") for r in routes}
    assert routes == set(doc["paths"])
    booking = doc["components"]["schemas"]["Booking"]
    assert booking["required"] == ["id", "status", "start", "end", "coach_id", "session_type"]
    assert set(doc["paths"]["/bookings"]["post"]["responses"]) >= {"201", "400", "401", "404", "409", "422"}
