"""The check-ins privacy matrix, and the other partner's two worlds.

Who: partner A, partner B, the assigned coach, an unassigned coach, an admin, a visitor, and a
partner of another couple. Every check-in route and email is tried by each. Then partner B is
walked through everything B can reach in two worlds that differ only in A's re-screen
(positive or negative): pages, redirects, status codes and emails must be identical.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit
from collections import deque
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coaching import clock, create_app, db
from coaching import config as tandem_config
from coaching.intake.models import SafetyFlag
from coaching.notify.models import OutboxMessage
from tests import mail
from tests.checkin_data import NEGATIVE, POSITIVE, add_checkin, client_for, create_world, emails_to
from tests.conftest import csrf_token, sqlite_url
from tests.export_data import export_through_pages
from tests.functional import checkin_steps as steps
from tests.scheduling_data import create_couple


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        w = create_world()
        stranger = create_couple("stranger@example.com", "stranger2@example.com")
        w.emails["stranger"] = "stranger@example.com"
        w.stranger_checkin = add_checkin(stranger.id)  # another couple's check-in
        w.checkin = add_checkin(w.couple, clock.now() - timedelta(days=30))
    return w


def clients(app, world) -> dict[str, Any]:
    out = {who: client_for(app, world.emails[who]) for who in ("a", "b", "coach", "other", "admin", "stranger")}
    out["visitor"] = app.test_client()
    return out


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/account/login" in response.headers["Location"]


# who -> expected status of GET /coach/couples/<id>/checkins
STAFF_PAGE = {"a": 404, "b": 404, "coach": 200, "other": 404, "admin": 200, "stranger": 404}
# who -> expected status of POST /coach/couples/<id>/checkins (send)
SEND = {"a": 404, "b": 404, "coach": 302, "other": 404, "admin": 403, "stranger": 404}


def test_the_coach_trend_page_is_for_the_assigned_coach_and_admins_only(app, world):
    for who, client in clients(app, world).items():
        response = client.get(f"/coach/couples/{world.couple}/checkins")
        if who == "visitor":
            assert is_login_redirect(response)
            continue
        assert response.status_code == STAFF_PAGE[who], who
        if response.status_code == 200:
            assert "Sam Rivera" in response.get_data(as_text=True)
    with app.app_context():  # the reads are logged; the refused attempts revealed nothing and are not
        from coaching.audit.models import AuditEvent

        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "checkin_read")).all()
        assert sorted(r.actor_role for r in rows) == ["admin", "coach"]


def test_a_couple_that_does_not_exist_looks_the_same_as_one_you_may_not_see(app, world):
    other = client_for(app, world.emails["other"])
    assert other.get("/coach/couples/999999/checkins").status_code == 404
    assert other.get(f"/coach/couples/{world.couple}/checkins").status_code == 404


def test_only_the_assigned_coach_can_send_a_check_in(app, world):
    for who, client in clients(app, world).items():
        path = f"/coach/couples/{world.couple}/checkins"
        token = csrf_token(client, "/account/login") if who == "visitor" else csrf_token(client, "/account")
        response = client.post(path, data={"csrf_token": token})
        if who == "visitor":
            assert is_login_redirect(response)
            continue
        assert response.status_code == SEND[who], who
    with app.app_context():
        # one check-in from the fixture, one from the coach; nobody else made one
        assert len(emails_to(world.emails["a"], "checkin_requested")) == 1


def test_staff_and_visitors_cannot_open_a_partners_check_in_pages(app, world):
    c = clients(app, world)
    for who in ("coach", "other", "admin"):
        for path in ("/checkins", f"/checkins/{world.checkin}", f"/checkins/{world.checkin}/done"):
            assert c[who].get(path).status_code == 403, (who, path)
    for path in ("/checkins", f"/checkins/{world.checkin}", f"/checkins/{world.checkin}/done"):
        assert is_login_redirect(c["visitor"].get(path)), path


def test_a_partner_cannot_open_or_answer_another_couples_check_in(app, world):
    a = client_for(app, world.emails["a"])
    assert a.get(f"/checkins/{world.stranger_checkin}").status_code == 404
    assert a.get(f"/checkins/{world.stranger_checkin}/done").status_code == 404
    assert a.get("/checkins/999999").status_code == 404
    response = a.post(f"/checkins/{world.stranger_checkin}/answers",
                      data={"csrf_token": csrf_token(a, "/checkins"), "version": "1",
                            **{f"csi{i}": "3" for i in range(1, 5)}, **NEGATIVE})
    assert response.status_code == 404
    with app.app_context():
        from coaching.checkins.models import CheckInResponse

        assert db.session.scalars(select(CheckInResponse)).all() == []


def test_the_done_page_exists_only_after_your_own_answer(app, world):
    a, b = client_for(app, world.emails["a"]), client_for(app, world.emails["b"])
    assert a.get(f"/checkins/{world.checkin}/done").status_code == 404
    steps.answer(a, world.checkin, screen=POSITIVE)
    assert a.get(f"/checkins/{world.checkin}/done").status_code == 200
    assert b.get(f"/checkins/{world.checkin}/done").status_code == 404  # A's answer is not B's


def test_each_partner_sees_only_their_own_scores(app, world):
    a, b = client_for(app, world.emails["a"]), client_for(app, world.emails["b"])
    steps.answer(a, world.checkin, items=(1, 0, 1, 0))  # 2
    steps.answer(b, world.checkin, items=(6, 5, 5, 4))  # 20
    page_a, page_b = a.get("/checkins").get_data(as_text=True), b.get("/checkins").get_data(as_text=True)
    assert ": 2</title>" in page_a and ": 20</title>" not in page_a and "Alex" not in page_a
    assert ": 20</title>" in page_b and ": 2</title>" not in page_b and "Sam" not in page_b
    # intake: A 8, B 17
    assert ": 8</title>" in page_a and ": 17</title>" not in page_a
    assert ": 17</title>" in page_b and ": 8</title>" not in page_b


def test_check_in_emails_go_to_the_partners_only_and_say_the_same_to_both(app, world):
    coach = client_for(app, world.emails["coach"])
    assert steps.send(coach, world.couple).status_code == 302
    with app.app_context():
        (to_a,), (to_b,) = emails_to(world.emails["a"], "checkin_requested"), emails_to(world.emails["b"], "checkin_requested")
        assert to_a.subject == to_b.subject
        assert to_a.text_body.replace("Sam Rivera", "X") == to_b.text_body.replace("Alex Rivera", "X")
        for who in ("coach", "other", "admin"):
            assert emails_to(world.emails[who], "checkin_requested") == []


# --- B's two worlds --------------------------------------------------------------------------

SKIP = ("/static/", "/account/logout", "https://", "http://", "mailto:", "#")


def normalise(text: str) -> str:
    text = text.replace("\r\n ", "")  # unfold iCalendar lines (downloads, feeds) before masking tokens
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)  # calendar UIDs
    text = re.sub(r'value="[^"]*"', 'value=""', text)     # CSRF tokens
    text = re.sub(r"/\d+", "/N", text)                     # ids in links
    text = re.sub(r"tandem-[\w-]{16,}", "tandem-ROOM", text)  # random video room names
    text = re.sub(r'<svg role="img" aria-label="QR code.*?</svg>|<code id="totp-secret"[^>]*>[A-Z2-7 ]+</code>',
                  "TOTP-KEY", text, flags=re.S)  # a fresh random key on the two-step sign-in enrolment page
    text = re.sub(r"[A-Za-z0-9_\-]{32,}", "TOKEN", text)     # one-time link tokens (data exports)
    return text


def links(html: str) -> list[str]:
    found = re.findall(r'(?:href|action)="(/[^"]*)"', html)
    return [url for url in found if not url.startswith(SKIP) and not url.startswith("//")]


def crawl(client, starts: list[str], limit: int = 60) -> dict[str, tuple[int, str, str]]:
    """GET every same-site link reachable from ``starts``: url -> (status, location, body)."""
    seen: dict[str, tuple[int, str, str]] = {}
    queue = deque(starts)
    while queue and len(seen) < limit:
        url = queue.popleft()
        key = re.sub(r"\d{4}-\d{2}-\d{2}", "D", normalise(url))  # one page of a paged calendar is enough
        if key in seen:
            continue
        response = client.get(url)
        body = response.get_data(as_text=True)
        seen[key] = (response.status_code, normalise(response.headers.get("Location", "")), normalise(body))
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(links(body))
    return seen


def try_joint_booking(client) -> tuple[int, str]:
    """B holds the first free consultation slot offered on the booking page (a joint session)."""
    home = client.get("/home").get_data(as_text=True)
    page = client.get(re.search(r'href="(/book/\d+/[^"?]+)"', home).group(1)).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="inline-form slot">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
    response = client.post(form.group(1), data=fields)
    return response.status_code, normalise(response.headers.get("Location", ""))


def try_joint_series(client) -> tuple[int, str, str]:
    """B holds a weekly series of two on the first free time of the same session type (``coaching.series``)."""
    home = client.get("/home").get_data(as_text=True)
    url = re.search(r'href="(/book/\d+/[^"?]+)"', home).group(1) + "/series?every=1&count=2"
    page = client.get(url).get_data(as_text=True)
    form = re.search(r'<form method="post" action="([^"]+)" class="inline-form slot">(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)"[^>]*value="([^"]*)"', form.group(2)))
    response = client.post(html.unescape(form.group(1)), data=fields)
    target = client.get(response.headers["Location"]) if response.status_code in (302, 303) else response
    return response.status_code, normalise(response.headers.get("Location", "")), normalise(target.get_data(as_text=True))


def b_in_a_world(tmp_path: Path, template: Path, a_screen: dict[str, str]) -> dict[str, Any]:
    """Build a fresh database; A answers a check-in with ``a_screen``; record all B sees."""
    app = create_app(tandem_config.TestConfig(DATABASE_URL=sqlite_url(template, tmp_path), RATELIMIT_ENABLED=False))
    mail.clear()  # each world starts with no delivered email
    with app.app_context():
        w = create_world()
    coach, a, b = (client_for(app, w.emails[k]) for k in ("coach", "a", "b"))
    assert steps.send(coach, w.couple).status_code == 302
    with app.app_context():
        checkin_id = db.session.scalar(select(db_checkin_id()))
    seen: dict[str, Any] = {}
    answered = steps.answer(a, checkin_id, screen=a_screen)
    seen["a-answer-status"] = answered.status_code
    seen["pages-before"] = crawl(b, ["/home", "/checkins", f"/checkins/{checkin_id}", "/intake", "/intake/support"])
    gate = steps.open_questions(b, checkin_id)
    seen["gate"] = (gate.status_code, normalise(gate.get_data(as_text=True)))
    answer = steps.answer(b, checkin_id, items=(4, 4, 3, 3))
    seen["b-answer"] = (answer.status_code, normalise(answer.headers.get("Location", "")))
    seen["pages-after"] = crawl(b, ["/home", "/checkins", answer.headers["Location"], "/intake"])
    seen["joint-booking"] = try_joint_booking(b)
    seen["joint-series"] = try_joint_series(b)
    seen["after-booking"] = crawl(b, ["/home", "/account/notifications"])
    seen["account-pages"] = crawl(b, ["/account/profile", "/account/data"])
    statuses, files = export_through_pages(app, b, w.emails["b"])
    seen["export"] = (statuses, {name: normalise(body) for name, body in files.items()})
    assert files and "your_checkins" in files["tandem-export/data.json"], "B's export was not taken"
    b.post("/account/calendar/new", data={"csrf_token": re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', b.get("/account/calendar").get_data(as_text=True)).group(1)})
    feed_url = re.search(r'<code id="feed-url">([^<]+)</code>', b.get("/account/calendar").get_data(as_text=True)).group(1)
    feed = app.test_client().get(urlsplit(feed_url).path)  # B's private feed, fetched as a calendar app would
    seen["calendar-feed"] = (feed.status_code, normalise(feed.get_data(as_text=True)))
    with app.app_context():
        from coaching.reminders.services import dispatch_due
        from coaching.scheduling.models import Booking

        start = db.session.scalar(select(Booking.starts_at).order_by(Booking.id.desc()))
        dispatch_due(db.session, start - timedelta(hours=1))  # B's reminder, as the worker sends it
        seen["emails"] = [(m.kind, m.subject, normalise(m.text_body), normalise(m.html_body or ""))
                          for m in mail.sent_emails(to=w.emails["b"])]
        assert seen["emails"], "B received no email: the comparison would prove nothing"
        seen["flags"] = db.session.scalars(select(SafetyFlag.partner_id)).all()
        seen["a"] = w.partner_a
    db.session.remove()
    return seen


def db_checkin_id():
    from coaching.checkins.models import CheckIn

    return CheckIn.id


def test_partner_b_sees_exactly_the_same_whether_as_re_screen_is_positive_or_negative(
        sqlite_template, tmp_path, frozen_clock):
    (tmp_path / "pos").mkdir(), (tmp_path / "neg").mkdir()
    positive = b_in_a_world(tmp_path / "pos", sqlite_template, POSITIVE)
    negative = b_in_a_world(tmp_path / "neg", sqlite_template, NEGATIVE)
    # the worlds really differ for A and the staff ...
    assert positive["flags"] == [positive["a"]] and negative["flags"] == []
    # ... and not at all for B
    assert positive["pages-before"].keys() == negative["pages-before"].keys()
    assert len(positive["pages-before"]) > 5
    for key in ("pages-before", "gate", "b-answer", "pages-after", "joint-booking", "joint-series", "after-booking", "emails",
                "a-answer-status", "account-pages", "export", "calendar-feed"):
        assert positive[key] == negative[key], key
    assert positive["joint-series"][0] == 303  # a series of two, confirmed at once (a free session type)
    assert [kind for kind, *_ in positive["emails"]] == (["checkin_requested"] + ["booking_confirmed"] * 3
                                                         + ["export_ready", "booking_reminder"])
    assert positive["calendar-feed"][0] == 200 and "BEGIN:VEVENT" in positive["calendar-feed"][1]
    assert "/account/notifications" in " ".join(positive["after-booking"])
