"""The subscription fetch refuses internal addresses (without CALENDAR_ALLOW_PRIVATE_ADDRESSES),
bounds time and size, and follows redirects only to allowed addresses."""

from __future__ import annotations

import ipaddress

import pytest

from coaching.calendars import fetch
from coaching.calendars.models import ExternalCalendar
from tests.calendar_http import CalendarHTTP
from tests.scheduling_data import create_coach

BODY = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
GUARDED = fetch.address_check(False)


@pytest.fixture
def http_server():
    with CalendarHTTP() as server:
        yield server


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/cal.ics", "http://10.1.2.3/cal.ics", "http://192.168.0.5/cal.ics", "http://172.16.0.1/x",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/cal.ics", "http://[fd00::1]/x",
    "http://[::ffff:127.0.0.1]/x", "http://0.0.0.0/x", "http://localhost/cal.ics", "http://LOCALHOST:8080/x",
    "http://100.64.0.1/x",
])
def test_internal_addresses_are_refused(url):
    with pytest.raises(fetch.FetchRefused, match="private network"):
        fetch.fetch(url, allowed=GUARDED, timeout=2)


@pytest.mark.parametrize("url", ["ftp://example.com/x.ics", "file:///etc/passwd", "gopher://x", "http:///x", "", "x"])
def test_other_schemes_are_refused(url):
    with pytest.raises(fetch.FetchRefused, match="must start with"):
        fetch.fetch(url, allowed=GUARDED, timeout=2)


def test_public_address_rule():
    assert fetch.public_address(ipaddress.ip_address("93.184.216.34"))
    assert fetch.public_address(ipaddress.ip_address("2606:2800:220:1::"))
    for internal in ("127.0.0.1", "10.0.0.1", "::1", "fe80::1", "::ffff:10.0.0.1", "224.0.0.1", "192.0.2.1"):
        assert not fetch.public_address(ipaddress.ip_address(internal)), internal


def test_a_local_server_is_refused_without_the_setting_and_fetched_with_it(http_server):
    url = http_server.ics("/cal.ics", BODY)
    with pytest.raises(fetch.FetchRefused):
        fetch.fetch(url, allowed=GUARDED, timeout=2)
    assert http_server.hits == {}  # refused before connecting
    assert fetch.fetch(url, allowed=fetch.address_check(True), timeout=2) == BODY.encode()
    assert fetch.fetch(url.replace("http://", "webcal://").replace("webcal://", "http://"),
                       allowed=fetch.any_address) == BODY.encode()


def test_a_redirect_to_an_internal_address_is_refused(http_server):
    # 127.0.0.1 stands for a public server here; whatever it redirects to is checked by the real rule
    first_hop_public = lambda ip: str(ip) == "127.0.0.1" or fetch.public_address(ip)  # noqa: E731
    for target in ("http://10.0.0.7/cal.ics", "http://[::1]/cal.ics", "http://192.168.1.1:8080/cal.ics",
                   "http://127.0.0.2/cal.ics"):
        url = http_server.redirect("/moved", target)
        with pytest.raises(fetch.FetchRefused, match="private network"):
            fetch.fetch(url, allowed=first_hop_public, timeout=2)
    allowed_target = http_server.ics("/cal.ics", BODY)
    url = http_server.redirect("/moved-ok", allowed_target)
    assert fetch.fetch(url, allowed=first_hop_public, timeout=2) == BODY.encode()


def test_redirect_loops_size_and_time_are_bounded(http_server):
    http_server.redirect("/loop", http_server.url("/loop"))
    with pytest.raises(fetch.FetchRefused, match="too many"):
        fetch.fetch(http_server.url("/loop"), allowed=fetch.any_address, timeout=5)
    big = http_server.ics("/big.ics", b"x" * 5000)
    with pytest.raises(fetch.FetchRefused, match="larger"):
        fetch.fetch(big, allowed=fetch.any_address, max_bytes=4000)
    http_server.routes["/error"] = (500, {}, b"oops")
    with pytest.raises(fetch.FetchRefused, match="500"):
        fetch.fetch(http_server.url("/error"), allowed=fetch.any_address)
    http_server.delay = 2
    with pytest.raises(fetch.FetchRefused, match="too long"):
        fetch.fetch(http_server.ics("/slow.ics", BODY), allowed=fetch.any_address, timeout=0.5)


def _coach_client(app, client):
    from tests.conftest import login

    with app.app_context():
        coach = create_coach("ana@example.com")
        coach_id = coach.id
    login(client, "ana@example.com")
    return coach_id


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/cal.ics", "http://10.0.0.1/cal.ics", "http://[::1]/x",
                                 "http://localhost/x", "file:///etc/passwd"])
def test_the_coach_page_refuses_internal_addresses_without_the_setting(app, client, dbs, url):
    from tests.conftest import csrf_token

    _coach_client(app, client)
    token = csrf_token(client, "/coach/calendar/connect")
    response = client.post("/coach/calendar/connect/subscription", data={"ics-url": url, "ics-csrf_token": token})
    assert response.status_code == 422
    assert "not allowed" in response.get_data(as_text=True) or "must start with" in response.get_data(as_text=True)
    response = client.post("/coach/calendar/connect/caldav", data={
        "caldav-url": url, "caldav-username": "ana", "caldav-password": "pw", "caldav-csrf_token": token})
    assert response.status_code == 422
    assert dbs.query(ExternalCalendar).count() == 0
