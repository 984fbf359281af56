"""The coach's calendar connection page: coaches only, CSRF, hostile input is a 4xx."""

from __future__ import annotations

import pytest

from coaching.accounts.models import Role
from coaching.calendars.models import ExternalCalendar
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach

PAGE = "/coach/calendar/connect"


@pytest.fixture
def coach_client(app, client, dbs):
    create_coach("ana@example.com")
    login(client, "ana@example.com")
    return client


def test_only_coaches_reach_it(app, client, create_user, login_as):
    assert client.get(PAGE).status_code in (302, 401)
    login_as(create_user(role=Role.CLIENT))
    assert client.get(PAGE).status_code == 403
    for action in ("sync", "disconnect", "caldav", "subscription"):
        assert client.post(f"{PAGE}/{action}").status_code in (400, 403)


def test_the_page_lists_both_ways_and_nothing_connected(coach_client):
    html = coach_client.get(PAGE).get_data(as_text=True)
    assert "Connect a CalDAV calendar" in html and "secret address" in html
    assert "Sync now" not in html and "Disconnect" not in html


def test_posts_without_csrf_change_nothing(coach_client, dbs):
    response = coach_client.post(f"{PAGE}/subscription", data={"ics-url": "https://example.com/x.ics"})
    assert response.status_code in (400, 422)
    assert coach_client.post(f"{PAGE}/disconnect").status_code == 400
    assert dbs.query(ExternalCalendar).count() == 0


def test_sync_without_a_calendar_is_a_404(coach_client):
    token = csrf_token(coach_client, PAGE)
    assert coach_client.post(f"{PAGE}/sync", data={"action-csrf_token": token}).status_code == 404
    assert coach_client.post(f"{PAGE}/disconnect", data={"action-csrf_token": token}).status_code == 302


@pytest.mark.parametrize("data", [
    {"ics-url": "https://example.com/" + "x" * 3000},
    {"ics-url": "https://exa\x00mple.com/x.ics"},
    {"ics-url": "javascript:alert(1)"},
    {"ics-url": ""},
    {"ics-url": "https://[::1"},
    {"ics-url": "http://999.999.999.999/x"},
    {"ics-url": "https://example.com:99999/x.ics"},
    {"ics-url": "https://example.com/a b.ics"},
])
def test_hostile_subscription_addresses_are_a_4xx(coach_client, dbs, data):
    token = csrf_token(coach_client, PAGE)
    response = coach_client.post(f"{PAGE}/subscription", data={**data, "ics-csrf_token": token})
    assert 400 <= response.status_code < 500
    assert dbs.query(ExternalCalendar).count() == 0


def test_hostile_caldav_fields_are_a_4xx(coach_client, dbs):
    token = csrf_token(coach_client, PAGE)
    for data in ({"caldav-url": "https://example.com/dav/", "caldav-username": "u" * 500, "caldav-password": "p"},
                 {"caldav-url": "https://example.com/dav/", "caldav-username": "u", "caldav-password": "p" * 600},
                 {"caldav-url": "https://example.com/dav/", "caldav-username": "", "caldav-password": ""}):
        response = coach_client.post(f"{PAGE}/caldav", data={**data, "caldav-csrf_token": token})
        assert 400 <= response.status_code < 500
    assert dbs.query(ExternalCalendar).count() == 0
