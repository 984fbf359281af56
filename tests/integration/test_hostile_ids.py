"""Hostile ids, bytes and dates on both databases: PostgreSQL's ``integer`` and its refusal of NUL
bytes are where the audit's 500s came from, so these run there as well as on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching import db
from coaching.accounts.models import Role
from coaching.scheduling import services
from coaching.validation import MAX_DATABASE_ID
from tests.conftest import csrf_token, login
from tests.route_data import int_routes, url_with_ids
from tests.scheduling_data import create_coach, create_couple, create_session_type


@pytest.fixture
def coach(app, frozen_clock):
    with app.app_context():
        free = create_session_type("consultation")
        found = create_coach("coach@example.com", session_types=[free])
        create_couple("ana@example.com", "ben@example.com")
        return found.id


@pytest.mark.parametrize("value", [MAX_DATABASE_ID + 1, 2**63, 10**30])
def test_ids_beyond_the_integer_column_are_a_404_on_every_int_route(app, client, create_user, value):
    admin = create_user("admin@example.com", role=Role.ADMIN)
    login(client, admin.email)
    for rule, method in int_routes(app):
        response = client.open(url_with_ids(rule, value), method=method)
        assert response.status_code == 404, (rule.rule, method, response.status_code)


def test_the_largest_integer_id_reaches_the_views_and_is_never_a_500(app, client, create_user):
    admin = create_user("admin@example.com", role=Role.ADMIN)
    login(client, admin.email)
    for rule, method in int_routes(app):
        response = client.open(url_with_ids(rule, MAX_DATABASE_ID), method=method)
        assert response.status_code < 500, (rule.rule, method, response.status_code)


def test_a_nul_byte_in_the_login_email_is_a_400_not_a_database_error(client, create_user):
    create_user("ana@example.com")
    response = client.post("/account/login", data={"email": "ana\x00@example.com", "password": "x",
                                                    "csrf_token": csrf_token(client)})
    assert response.status_code == 400


def test_a_nul_byte_in_a_slug_is_refused_before_the_database(client, coach):
    response = client.get(f"/api/v1/coaches/{coach}/slots", query_string={
        "session_type": "consultation\x00", "start": "2026-11-03", "end": "2026-11-03"})
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_characters"
    login(client, "ana@example.com")
    assert client.get(f"/book/{coach}/consultation%00").status_code == 404


@pytest.mark.parametrize(("start", "end"), [
    (datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC) + timedelta(days=1)),
    (datetime.max.replace(tzinfo=UTC) - timedelta(days=1), datetime.max.replace(tzinfo=UTC)),
])
def test_calendar_loaders_clamp_windows_at_the_ends_of_time_instead_of_overflowing(app, coach, start, end):
    with app.app_context():
        availability = services.availabilities_of(db.session, {coach: "Pacific/Kiritimati"}, start, end)
        assert availability[coach].weekly
        assert services.busy_by_coach(db.session, [coach], None, start, end, start) == {coach: []}
        session_type = services.bookable_session_type(db.session, coach, "consultation")[1]
        now = datetime(2026, 11, 2, 15, tzinfo=UTC)
        assert services.free_slots(db.session, coach, session_type, start, end, now) == []


@pytest.mark.parametrize("query", [
    {"couple_id": str(10**30), "booking_id": str(MAX_DATABASE_ID + 1), "coach": str(2**63)},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
])
def test_payment_filters_with_hostile_ids_or_dates_never_fail(client, create_user, query):
    admin = create_user("admin@example.com", role=Role.ADMIN)
    login(client, admin.email)
    assert client.get("/admin/payments", query_string=query).status_code == 200
    assert client.get("/admin/payments.csv", query_string=query).status_code == (400 if "date_to" in query else 200)


def test_choosing_a_coach_by_an_id_beyond_integer_is_a_400(client, coach):
    login(client, "ana@example.com")
    token = csrf_token(client, "/account/settings")
    response = client.post("/match/choose", data={"csrf_token": token, "coach_id": str(10**30)})
    assert response.status_code == 400


def test_a_nul_byte_in_any_path_segment_is_never_a_500(app, client, coach):
    login(client, "ana@example.com")
    rules = [rule for rule in app.url_map.iter_rules()
             if any(type(c).__name__ == "UnicodeConverter" for c in rule._converters.values())]
    assert len(rules) >= 6
    for rule in rules:
        path = url_with_ids(rule, 1).replace("consultation", "x%00y")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code < 500, (path, method, response.status_code)
