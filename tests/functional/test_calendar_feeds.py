"""Add to calendar and private feeds over HTTP: download ownership, links, the feed's URL life
cycle, conditional GET, hostile tokens, rate limits and the access log."""

from __future__ import annotations

import html
import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from coaching import db
from coaching.access_log import REDACTED
from coaching.feeds.models import CalendarFeed
from coaching.scheduling import invitations, services
from coaching.scheduling.models import Booking, SessionKind
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def world(app, frozen_clock):
    """Ana and Ben (a couple) with Casey; Cy and Di (another couple) with Casey; a second coach.
    Bookings: a joint one, Ana's own, Ben's own, the other couple's; ids by name."""
    with app.app_context():
        joint = create_session_type("consultation")
        solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
        coach = create_coach(name="Casey Coach", session_types=[joint, solo])
        create_coach("other@example.com", name="Olly Other", session_types=[joint])
        create_couple("ana@example.com", "ben@example.com")
        create_couple("cy@example.com", "di@example.com")

        def book(slug, start, email):
            return services.place_hold(db.session, user=user_by_email(email), coach_id=coach.id,
                                       session_type_slug=slug, start=start, now=NOW).id

        return {"joint": book("consultation", NOW + DAY, "ana@example.com"),
                "ana": book("individual-session", NOW + DAY + timedelta(hours=2), "ana@example.com"),
                "ben": book("individual-session", NOW + DAY + timedelta(hours=4), "ben@example.com"),
                "other couple": book("consultation", NOW + 2 * DAY, "cy@example.com")}


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def uids(body: bytes) -> set[str]:
    return {str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT")}


def make_feed(client) -> str:
    made = client.post("/account/calendar/new", data={"csrf_token": csrf_token(client, "/account/calendar")})
    assert made.status_code == 303 and made.headers["Location"] == "/account/calendar"
    url = re.search(r'<code id="feed-url">([^<]+)</code>', client.get("/account/calendar").get_data(as_text=True)).group(1)
    return urlsplit(url).path


# --- one booking: the .ics download and the links ----------------------------------------------


def test_the_download_is_the_booking_as_the_viewer_sees_it_and_only_for_who_may_see_it(app, world):
    ana = signed_in(app, "ana@example.com")
    with app.app_context():
        joint = db.session.get(Booking, world["joint"])
        uid = joint.ical_uid
    got = ana.get(f"/bookings/{world['joint']}/calendar.ics")
    assert got.status_code == 200 and got.mimetype == "text/calendar"
    assert got.headers["Content-Disposition"] == 'attachment; filename="tandem-appointment.ics"'
    cal = Calendar.from_ical(got.data)
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "PUBLISH" and str(event["UID"]) == uid
    assert str(event["SUMMARY"]) == "Tandem appointment"
    assert str(event["ORGANIZER"]) == "mailto:hello@tandem.localhost"
    assert {str(a) for a in event["ATTENDEE"]} == {"mailto:coach@example.com", "mailto:ana@example.com",
                                                   "mailto:ben@example.com"}
    assert ana.get(f"/bookings/{world['ana']}/calendar.ics").status_code == 200
    # Ben's individual session is Ben's alone; another couple's booking is not Ana's either.
    assert ana.get(f"/bookings/{world['ben']}/calendar.ics").status_code == 404
    assert ana.get(f"/bookings/{world['other couple']}/calendar.ics").status_code == 404
    assert ana.get("/bookings/999999/calendar.ics").status_code == 404
    coach = signed_in(app, "coach@example.com")
    coach_view = Calendar.from_ical(coach.get(f"/bookings/{world['ben']}/calendar.ics").data)
    assert str(coach_view.walk("VEVENT")[0]["SUMMARY"]) == "Individual session: Ben"
    assert signed_in(app, "other@example.com").get(f"/bookings/{world['joint']}/calendar.ics").status_code == 404
    anonymous = app.test_client().get(f"/bookings/{world['joint']}/calendar.ics")
    assert anonymous.status_code == 302 and "/account/login" in anonymous.headers["Location"]


def test_a_hold_has_nothing_to_add_to_a_calendar_yet(app, world):
    with app.app_context():
        paid = create_session_type("couples-session", price_cents=9000)
        coach = db.session.scalar(select(Booking.coach_id).where(Booking.id == world["joint"]))
        from coaching.coaches.models import CoachProfile

        profile = db.session.get(CoachProfile, coach)
        profile.session_types.append(paid)
        db.session.commit()
        held = services.place_hold(db.session, user=user_by_email("ana@example.com"), coach_id=coach,
                                   session_type_slug="couples-session", start=NOW + 3 * DAY, now=NOW).id
    ana = signed_in(app, "ana@example.com")
    assert ana.get(f"/bookings/{held}/calendar.ics").status_code == 404
    assert "Add to calendar" not in ana.get(f"/bookings/{held}").get_data(as_text=True)


def test_google_and_outlook_links_carry_utc_times_a_neutral_title_and_the_details(app, world):
    ana = signed_in(app, "ana@example.com")
    page = ana.get(f"/bookings/{world['joint']}").get_data(as_text=True)
    assert "Add to calendar" in page and f'href="/bookings/{world["joint"]}/calendar.ics"' in page
    hrefs = [html.unescape(h) for h in re.findall(r'href="(https://[^"]+)"', page)]
    google = next(h for h in hrefs if h.startswith("https://calendar.google.com/"))
    parts = urlsplit(google)
    query = parse_qs(parts.query)
    assert parts.path == "/calendar/render" and query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Tandem appointment"]
    assert query["dates"] == ["20261103T150000Z/20261103T155000Z"]
    with app.app_context():
        video = db.session.get(Booking, world["joint"]).video_url
    assert query["location"] == [video]
    assert "With Casey Coach" in query["details"][0] and f"Video room: {video}" in query["details"][0]
    assert "To reschedule or cancel: http://127.0.0.1:5000/bookings/manage/" in query["details"][0]
    for host in ("outlook.live.com", "outlook.office.com"):
        outlook = next(h for h in hrefs if urlsplit(h).netloc == host)
        parts, query = urlsplit(outlook), parse_qs(urlsplit(outlook).query)
        assert parts.path == "/calendar/0/action/compose"
        assert query["rru"] == ["addevent"] and query["path"] == ["/calendar/action/compose"]
        assert query["subject"] == ["Tandem appointment"]
        assert query["startdt"] == ["2026-11-03T15:00:00Z"] and query["enddt"] == ["2026-11-03T15:50:00Z"]
        assert query["location"] == [video] and "With Casey Coach" in query["body"][0]
    # The same links on the client's home, the emailed manage page and the coach's week.
    assert "calendar.google.com" in ana.get("/home").get_data(as_text=True)
    coach_week = signed_in(app, "coach@example.com").get("/coach/calendar?week=2026-11-02").get_data(as_text=True)
    assert f"/bookings/{world['ben']}/calendar.ics" in coach_week
    assert "text=Individual+session%3A+Ben" in coach_week


def test_the_link_builders_encode_every_field():
    event = invitations.CalendarEvent(uid="u", sequence=0, start=datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
                                      end=datetime(2026, 3, 29, 1, 20, tzinfo=UTC), summary="A & B?",
                                      description="line 1\nline 2 & more", location="https://v.example/x?y=1")
    google = parse_qs(urlsplit(invitations.google_calendar_url(event)).query)
    assert google == {"action": ["TEMPLATE"], "text": ["A & B?"], "dates": ["20260329T003000Z/20260329T012000Z"],
                      "details": ["line 1\nline 2 & more"], "location": ["https://v.example/x?y=1"]}
    outlook = parse_qs(urlsplit(invitations.outlook_url(event, "office")).query)
    assert outlook["startdt"] == ["2026-03-29T00:30:00Z"] and outlook["subject"] == ["A & B?"]


# --- the feed ---------------------------------------------------------------------------------


def test_a_partner_makes_a_feed_it_is_shown_once_and_holds_only_what_they_may_see(app, world):
    ana = signed_in(app, "ana@example.com")
    assert "/account/calendar" in ana.get("/account/settings").get_data(as_text=True)
    assert "You have no calendar feed" in ana.get("/account/calendar").get_data(as_text=True)
    path = make_feed(ana)
    page = ana.get("/account/calendar").get_data(as_text=True)
    assert path.rsplit("/", 1)[1].removesuffix(".ics") not in page and "Your feed is on since" in page
    feed = app.test_client().get(path)  # a calendar program: no cookies
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    with app.app_context():
        expected = {db.session.get(Booking, world[k]).ical_uid for k in ("joint", "ana")}
        bens = db.session.get(Booking, world["ben"])
        assert bens.ical_uid not in feed.get_data(as_text=True) and bens.video_url not in feed.get_data(as_text=True)
    assert uids(feed.data) == expected
    assert "A calendar last fetched it" in ana.get("/account/calendar").get_data(as_text=True)


def test_renewing_ends_the_old_address_and_revoking_ends_the_feed(app, world):
    ben = signed_in(app, "ben@example.com")
    first = make_feed(ben)
    second = make_feed(ben)
    calendar_app = app.test_client()
    assert first != second
    assert calendar_app.get(first).status_code == 404 and calendar_app.get(second).status_code == 200
    revoked = ben.post("/account/calendar/revoke", data={"csrf_token": csrf_token(ben, "/account/calendar")})
    assert revoked.status_code == 302
    assert calendar_app.get(second).status_code == 404
    assert "You have no calendar feed" in ben.get("/account/calendar").get_data(as_text=True)
    assert ben.post("/account/calendar/new").status_code == 400  # no CSRF token
    with app.app_context():
        assert db.session.scalar(select(CalendarFeed)) is None


def test_conditional_get_answers_304_until_the_feed_changes(app, world, frozen_clock):
    path = make_feed(signed_in(app, "coach@example.com"))
    calendar_app = app.test_client()
    first = calendar_app.get(path)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.status_code == 200 and etag.startswith('"') and modified == "Mon, 02 Nov 2026 15:00:00 GMT"
    frozen_clock.advance(hours=1)
    same = calendar_app.get(path, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.data == b"" and same.headers["ETag"] == etag
    assert calendar_app.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    assert calendar_app.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    with app.app_context():  # the coach blocks an hour: the feed changes
        from coaching.coaches.models import CoachProfile

        coach = db.session.scalar(select(CoachProfile).where(CoachProfile.id == db.session.scalar(
            select(Booking.coach_id).where(Booking.id == world["joint"]))))
        services.block_time(db.session, coach, start=NOW + 5 * DAY, end=NOW + 5 * DAY + timedelta(hours=1),
                            now=frozen_clock())
    changed = calendar_app.get(path, headers={"If-None-Match": etag, "If-Modified-Since": modified})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] == "Mon, 02 Nov 2026 16:00:00 GMT"
    assert "Blocked time" in changed.get_data(as_text=True)


@pytest.mark.parametrize("token", [
    "x", "a" * 43, "a" * 5000, "../../etc/passwd", "%2e%2e%2f", "' OR 1=1 --", "тайна" * 10, "a.b.c.ics",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.ics", "%ff%fe", "<script>", "%20" * 30,
    "abc%00def.ics", "a" * 42 + "%00",
])
def test_hostile_and_unknown_tokens_are_a_404_never_a_500(app, world, token):
    assert app.test_client().get(f"/calendar/feed/{token}").status_code == 404


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True, "CALENDAR_FEED_LIMIT": "3 per minute",
                                               "CALENDAR_FEED_LIMIT_PER_IP": "5 per minute"}])
def test_feed_fetches_are_rate_limited_per_feed_and_per_address(app, world, config_overrides):
    from coaching.extensions import limiter

    limiter.reset()
    path = make_feed(signed_in(app, "ana@example.com"))
    calendar_app = app.test_client()
    assert [calendar_app.get(path).status_code for _ in range(4)] == [200, 200, 200, 429]
    # Guessing tokens from one address runs into the per-address limit.
    statuses = [calendar_app.get(f"/calendar/feed/{'g' * 30}{n}.ics").status_code for n in range(3)]
    assert statuses[-1] == 429 and 404 in statuses


def test_the_feed_token_never_reaches_the_access_log(app, caplog):
    secret = "S3CRETfeedTOKEN_abcdefghijklmnopqrstuvwxyz"
    caplog.set_level(logging.INFO, logger="werkzeug")
    logging.getLogger("werkzeug").info('127.0.0.1 - - [date] "%s" %s -', f"GET /calendar/feed/{secret}.ics HTTP/1.1", 200)
    logging.getLogger("werkzeug").info('127.0.0.1 - - [date] "%s" %s -', f"GET /calendar/feed/{secret} HTTP/1.1", 404)
    lines = [r.getMessage() for r in caplog.records]
    assert all(secret not in line for line in lines) and all(f"/calendar/feed/{REDACTED}" in line for line in lines)


def test_a_feed_built_from_kept_event_texts_is_what_icalendar_builds_whole():
    stamp = datetime(2026, 11, 2, tzinfo=UTC)
    events = [invitations.CalendarEvent(uid=f"u{n}", sequence=n, start=stamp + timedelta(hours=n),
                                        end=stamp + timedelta(hours=n, minutes=50), summary=f"Session {n}",
                                        description="With Casey Coach\nVideo room: https://v.example/" + "x" * 80,
                                        stamp=stamp, organizer=invitations.Person("Tandem", "hello@example.com"),
                                        attendees=(invitations.Person("Ana", "ana@example.com"),))
              for n in range(3)]
    invitations.calendar(events[:2], stamp=stamp)  # the first two are now kept
    whole = Calendar()
    for key, value in Calendar.from_ical(invitations.calendar([], stamp=stamp, name="T")).items():
        whole[key] = value
    for event in events:
        whole.add_component(invitations.vevent(event, stamp))
    assert invitations.calendar(events, stamp=stamp, name="T") == whole.to_ical().decode()
