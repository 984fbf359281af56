"""Homework pages over HTTP: who may open and post what, what each person sees, hostile input.

The privacy matrix of every route: partner A (Sam), partner B (Alex), the assigned coach, an
unassigned coach, a previous coach, an admin and a visitor. A 404 wherever the existence of a
session or summary is private; a role that never may use a page gets 403 (that reveals nothing).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.audit.models import AuditEvent
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, SharedSummary
from coaching.notify.models import OutboxMessage
from tests.mail import sent_emails
from tests.conftest import csrf_token, login
from tests.homework_data import EMAILS, build_world, publish

PEOPLE = ["sam", "alex", "coach", "other_coach", "previous_coach", "admin", "visitor"]


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        return build_world()


@pytest.fixture
def browser(app):
    """``browser(who)``: a test client logged in as ``who`` (a fresh one per person)."""
    clients = {}

    def _for(who: str):  # type: ignore[no-untyped-def]
        if who not in clients:
            clients[who] = app.test_client()
            if who != "visitor":
                assert login(clients[who], EMAILS[who]).status_code == 302
        return clients[who]

    return _for


def token(client) -> str:  # type: ignore[no-untyped-def]
    """A valid CSRF token for ``client``'s session (logged in: from the logout form of any page)."""
    html = client.get("/").get_data(as_text=True)
    return csrf_token(client, "/" if "logout-csrf_token" in html else "/account/login")


def published(app, world, booking, **kw):  # type: ignore[no-untyped-def]
    with app.app_context():
        shared = publish(world, booking, **kw)
        return shared.id, [item.id for item in shared.items]


def count(app, model) -> int:  # type: ignore[no-untyped-def]
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', 'value=""', html)


# --- the coach's share page ------------------------------------------------------------------

SHARE_GET = {"sam": 403, "alex": 403, "coach": 200, "other_coach": 404, "previous_coach": 404, "admin": 403,
             "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_assigned_coach_opens_the_share_page_of_a_session(app, world, browser, who):
    response = browser(who).get(f"/coach/bookings/{world.bookings['joint']}/share")
    assert response.status_code == SHARE_GET[who]
    if who == "visitor":
        assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize(("who", "booking"), [("previous_coach", "previous"), ("coach", "other"),
                                              ("other_coach", "joint"), ("coach", "missing")])
def test_a_coach_gets_404_for_a_session_that_is_not_theirs_to_share_now(app, world, browser, who, booking):
    booking_id = world.bookings.get(booking, 987_654)
    client = browser(who)
    assert client.get(f"/coach/bookings/{booking_id}/share").status_code == 404
    response = client.post(f"/coach/bookings/{booking_id}/share",
                           data={"csrf_token": token(client), "summary": "s", "homework": "h"})
    assert response.status_code == 404
    assert count(app, SharedSummary) == 0 and count(app, OutboxMessage) == 0


SHARE_POST = {"sam": 403, "alex": 403, "coach": 302, "other_coach": 404, "previous_coach": 404, "admin": 403,
              "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_assigned_coach_can_publish_a_summary(app, world, browser, who):
    client = browser(who)
    data = {"csrf_token": token(client), "summary": "We practised listening.", "homework": "Walk\nTalk"}
    response = client.post(f"/coach/bookings/{world.bookings['joint']}/share", data=data)
    assert response.status_code == SHARE_POST[who]
    assert count(app, SharedSummary) == (1 if who == "coach" else 0)


def test_the_coach_publishes_then_sees_the_summary_ticks_and_all_reflections(app, world, browser):
    coach = browser("coach")
    form = coach.get(f"/coach/bookings/{world.bookings['joint']}/share").get_data(as_text=True)
    assert "Both partners will see it" in form
    response = coach.post(f"/coach/bookings/{world.bookings['joint']}/share", follow_redirects=True,
                          data={"csrf_token": token(coach), "summary": "Line one\nLine two", "homework": "Walk\nTalk"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Shared." in page and "Line one\nLine two" in page
    assert "Sam: not yet" in page and "Alex: not yet" in page and "No reflections yet" in page


def test_a_session_not_yet_completed_shows_no_form_and_refuses_a_post_with_409(app, world, browser):
    coach = browser("coach")
    url = f"/coach/bookings/{world.bookings['upcoming']}/share"
    assert "once the session is marked completed" in coach.get(url).get_data(as_text=True)
    response = coach.post(url, data={"csrf_token": token(coach), "summary": "s", "homework": "h"})
    assert response.status_code == 409 and "marked completed" in response.get_data(as_text=True)
    assert count(app, SharedSummary) == 0


def test_publishing_the_same_session_twice_is_a_409_and_stores_nothing_more(app, world, browser):
    published(app, world, "joint")
    coach = browser("coach")
    response = coach.post(f"/coach/bookings/{world.bookings['joint']}/share",
                          data={"csrf_token": token(coach), "summary": "again", "homework": "again"})
    assert response.status_code == 409 and "already been shared" in response.get_data(as_text=True)
    assert count(app, SharedSummary) == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"summary": "x" * 10_001, "homework": "h"}, "too long"),
    ({"summary": "", "homework": "h"}, "Please write the summary"),
    ({"summary": "s", "homework": "\n".join(["h"] * 11)}, "At most 10 homework items"),
    ({"summary": "s\x00", "homework": "h"}, "control character"),  # the app-wide check answers first
    ({"summary": "s"}, "Please write the homework"),
])
def test_bad_summary_or_homework_is_a_400_with_a_clear_message_and_nothing_stored(app, world, browser, data, message):
    coach = browser("coach")
    response = coach.post(f"/coach/bookings/{world.bookings['joint']}/share", data={"csrf_token": token(coach), **data})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, SharedSummary) == 0 and count(app, HomeworkItem) == 0 and count(app, OutboxMessage) == 0


def test_a_publish_without_csrf_token_is_refused(app, world, browser):
    response = browser("coach").post(f"/coach/bookings/{world.bookings['joint']}/share",
                                     data={"summary": "s", "homework": "h"})
    assert response.status_code == 400 and count(app, SharedSummary) == 0


def test_the_emails_say_only_that_something_was_shared_and_go_to_the_audience(app, world, browser):
    published(app, world, "joint", summary="Talked about money worries", homework="Budget night")
    published(app, world, "solo_sam", summary="Sam's own worry", homework="Journal")
    with app.app_context():
        mail = sent_emails()
    assert [m.to_addr for m in mail] == [EMAILS["sam"], EMAILS["alex"], EMAILS["sam"]]
    for m in mail:
        body = m.subject + m.text_body + (m.html_body or "")
        assert "shared something with you" in body and "/homework" in body
        assert not any(secret in body for secret in ("money", "Budget", "worry", "Journal", "individual"))


# --- the partners' portal --------------------------------------------------------------------

PORTAL = {"sam": 200, "alex": 200, "coach": 403, "other_coach": 403, "previous_coach": 403, "admin": 403,
          "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_partners_open_the_homework_portal(app, world, browser, who):
    published(app, world, "joint", summary="Joint summary text")
    response = browser(who).get("/homework")
    assert response.status_code == PORTAL[who]
    if who in ("sam", "alex"):
        assert "Joint summary text" in response.get_data(as_text=True)


def test_the_client_home_links_to_the_homework_portal(app, world, browser):
    assert 'href="/homework"' in browser("alex").get("/home").get_data(as_text=True)


def test_a_partner_of_another_couple_sees_nothing_of_this_couple(app, world, browser):
    shared_id, items = published(app, world, "joint", summary="Joint summary text")
    kim = browser("kim")
    page = kim.get("/homework").get_data(as_text=True)
    assert "Joint summary text" not in page and "Nothing has been shared" in page
    assert kim.post(f"/homework/items/{items[0]}/done", data={"csrf_token": token(kim), "done": "1"}).status_code == 404
    response = kim.post(f"/homework/summaries/{shared_id}/reflections",
                        data={"csrf_token": token(kim), f"reflect-{shared_id}-text": "hi",
                              f"reflect-{shared_id}-audience": "coach"})
    assert response.status_code == 404
    assert count(app, HomeworkTick) == 0 and count(app, Reflection) == 0


def test_an_individual_session_with_sam_leaves_no_trace_in_alexs_pages_or_emails(app, world, browser):
    published(app, world, "joint", summary="Joint summary text")
    alex = browser("alex")
    before = {path: without_tokens(alex.get(path).get_data(as_text=True)) for path in ("/homework", "/home")}
    with app.app_context():
        mail_before = db.session.scalar(select(func.count()).where(OutboxMessage.to_addr == EMAILS["alex"]))
    solo_id, solo_items = published(app, world, "solo_sam", summary="Sam private summary", homework="Sam task")
    sam = browser("sam")
    sam.post(f"/homework/items/{solo_items[0]}/done", data={"csrf_token": token(sam), "done": "1"})
    sam.post(f"/homework/summaries/{solo_id}/reflections",
             data={"csrf_token": token(sam), f"reflect-{solo_id}-text": "Sam thinking", f"reflect-{solo_id}-audience": "coach"})
    assert "Sam private summary" in sam.get("/homework").get_data(as_text=True)
    after = {path: without_tokens(alex.get(path).get_data(as_text=True)) for path in ("/homework", "/home")}
    assert after == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxMessage.to_addr == EMAILS["alex"])) == mail_before
    # and tampering with the ids gets Alex a plain 404
    assert alex.post(f"/homework/items/{solo_items[0]}/done",
                     data={"csrf_token": token(alex), "done": "1"}).status_code == 404
    response = alex.post(f"/homework/summaries/{solo_id}/reflections",
                         data={"csrf_token": token(alex), f"reflect-{solo_id}-text": "peek",
                               f"reflect-{solo_id}-audience": "coach"})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.scalars(select(Reflection.text)).all() == ["Sam thinking"]


DONE_POST = {"sam": 302, "alex": 302, "coach": 403, "other_coach": 403, "previous_coach": 403, "admin": 403,
             "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_partners_who_see_the_homework_can_tick_it(app, world, browser, who):
    _shared, items = published(app, world, "joint")
    client = browser(who)
    response = client.post(f"/homework/items/{items[0]}/done", data={"csrf_token": token(client), "done": "1"})
    assert response.status_code == DONE_POST[who]
    assert count(app, HomeworkTick) == (1 if who in ("sam", "alex") else 0)


def test_ticks_show_per_partner_on_joint_homework_and_can_be_undone(app, world, browser):
    _shared, items = published(app, world, "joint", homework="Walk")
    sam, alex = browser("sam"), browser("alex")
    sam.post(f"/homework/items/{items[0]}/done", data={"csrf_token": token(sam), "done": "1"})
    assert "You: done" in sam.get("/homework").get_data(as_text=True)
    assert "Sam: done" in alex.get("/homework").get_data(as_text=True)
    sam.post(f"/homework/items/{items[0]}/done", data={"csrf_token": token(sam), "done": "0"})
    assert "Sam: not yet" in alex.get("/homework").get_data(as_text=True)


@pytest.mark.parametrize("value", ["", "2", "yes", "1; DROP TABLE"])
def test_a_tampered_done_value_is_a_400(app, world, browser, value):
    _shared, items = published(app, world, "joint")
    sam = browser("sam")
    assert sam.post(f"/homework/items/{items[0]}/done", data={"csrf_token": token(sam), "done": value}).status_code == 400
    assert count(app, HomeworkTick) == 0


REFLECT_POST = {"sam": 302, "alex": 302, "coach": 403, "other_coach": 403, "previous_coach": 403, "admin": 403,
                "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_partners_who_see_the_summary_can_write_a_reflection(app, world, browser, who):
    shared_id, _ = published(app, world, "joint")
    client = browser(who)
    response = client.post(f"/homework/summaries/{shared_id}/reflections",
                           data={"csrf_token": token(client), f"reflect-{shared_id}-text": "My thoughts",
                                 f"reflect-{shared_id}-audience": "coach"})
    assert response.status_code == REFLECT_POST[who]
    assert count(app, Reflection) == (1 if who in ("sam", "alex") else 0)


def reflect(client, shared_id, text, audience):  # type: ignore[no-untyped-def]
    return client.post(f"/homework/summaries/{shared_id}/reflections",
                       data={"csrf_token": token(client), f"reflect-{shared_id}-text": text,
                             f"reflect-{shared_id}-audience": audience})


def test_a_coach_only_reflection_is_seen_by_the_coach_and_never_by_the_other_partner(app, world, browser):
    shared_id, _ = published(app, world, "joint")
    sam, alex, coach = browser("sam"), browser("alex"), browser("coach")
    assert reflect(sam, shared_id, "Only for Ana: I felt unheard", "coach").status_code == 302
    assert reflect(sam, shared_id, "For us both: thank you", "shared").status_code == 302
    alex_page = alex.get("/homework").get_data(as_text=True)
    assert "For us both: thank you" in alex_page and "I felt unheard" not in alex_page
    assert "for the coach only" not in alex_page  # not even a hint that a private one exists
    sam_page = sam.get("/homework").get_data(as_text=True)
    assert "I felt unheard" in sam_page and "for the coach only" in sam_page
    coach_page = coach.get(f"/coach/bookings/{world.bookings['joint']}/share").get_data(as_text=True)
    assert "I felt unheard" in coach_page and "thank you" in coach_page
    with app.app_context():
        assert db.session.scalars(select(OutboxMessage.to_addr).where(
            OutboxMessage.kind != "homework_shared")).all() == []  # no notification of any reflection
        entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reflection_read")).one()
        assert entry.actor_role == "coach" and entry.couple_id == world.couple_id


@pytest.mark.parametrize(("text", "audience", "message"), [
    ("x" * 5_001, "coach", "too long"),
    ("", "coach", "Please write the reflection"),
    ("fine", "everyone", "choose who may read"),
    ("fine", "", "choose who may read"),
])
def test_a_bad_reflection_is_a_400_with_a_clear_message_and_nothing_stored(app, world, browser, text, audience, message):
    shared_id, _ = published(app, world, "joint")
    response = reflect(browser("alex"), shared_id, text, audience)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(app, Reflection) == 0


def test_a_reflection_on_an_individual_summary_cannot_be_shared_with_the_partner(app, world, browser):
    solo_id, _ = published(app, world, "solo_sam")
    sam = browser("sam")
    page = sam.get("/homework").get_data(as_text=True)
    assert "For my coach only" in page and "For my coach and my partner" not in page
    response = reflect(sam, solo_id, "tell Alex", "shared")
    assert response.status_code == 400 and count(app, Reflection) == 0


def test_html_and_script_are_shown_escaped_everywhere(app, world, browser):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    shared_id, _ = published(app, world, "joint", summary=evil, homework=evil)
    sam = browser("sam")
    reflect(sam, shared_id, evil, "shared")
    for page in (sam.get("/homework"), browser("alex").get("/homework"),
                 browser("coach").get(f"/coach/bookings/{world.bookings['joint']}/share")):
        html = page.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3


@pytest.mark.parametrize("path", ["/homework/items/abc/done", "/homework/summaries/-1/reflections",
                                  "/homework/summaries/99999999999999999999/reflections",
                                  "/coach/bookings/99999999999999999999/share"])
def test_malformed_or_huge_ids_are_a_404_not_a_500(app, world, browser, path):
    client = browser("coach" if path.startswith("/coach") else "sam")
    assert client.post(path, data={"csrf_token": token(client)}).status_code == 404


def test_the_record_partial_lists_shared_summaries_reflections_and_sessions_still_to_share(app, world):
    from flask import render_template_string

    from coaching.homework import services

    shared_id, _ = published(app, world, "joint", summary="Joint <b>summary</b>")
    published(app, world, "solo_sam", summary="Sam's own")
    with app.app_context():
        services.add_reflection(db.session, world.user("alex"), shared_id, text="Alex for Ana", audience="coach")
    with app.test_request_context():
        shared = services.shared_for_couple(db.session, world.couple_id, world.user("coach"))
        html = render_template_string('{% include "homework/_record.html" %}', shared=shared)
    assert "Joint &lt;b&gt;summary&lt;/b&gt;" in html and "Sam&#39;s own" in html
    assert "Individual session: shared with Sam" in html and "Alex for Ana" in html and "for the coach only" in html
    assert f'/coach/bookings/{world.bookings["solo_alex"]}/share' in html  # completed, not yet shared
    assert f'/coach/bookings/{world.bookings["previous"]}/share' not in html  # the previous coach's session


COACH_COUPLE = {"sam": 403, "alex": 403, "coach": 200, "other_coach": 404, "previous_coach": 404, "admin": 403,
                "visitor": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_assigned_coach_opens_the_couples_shared_page(app, world, browser, who):
    published(app, world, "joint", summary="Joint summary text")
    response = browser(who).get(f"/coach/couples/{world.couple_id}/shared")
    assert response.status_code == COACH_COUPLE[who]
    if who == "coach":
        assert "Joint summary text" in response.get_data(as_text=True)
    unknown = browser(who).get("/coach/couples/987654/shared").status_code
    assert unknown == (404 if who == "coach" else COACH_COUPLE[who])  # a missing couple looks like another's


def _many_summaries(app, world, n):  # type: ignore[no-untyped-def]
    import uuid
    from datetime import timedelta

    from coaching.homework import services
    from coaching.scheduling.models import Booking, BookingStatus

    with app.app_context():
        joint = db.session.get(Booking, world.bookings["joint"])
        for i in range(n):
            start = joint.starts_at - timedelta(days=10 + i)
            copy = Booking(coach_id=joint.coach_id, couple_id=joint.couple_id, session_type_id=joint.session_type_id,
                           booked_by_id=joint.booked_by_id, starts_at=start, ends_at=start + timedelta(minutes=50),
                           status=BookingStatus.COMPLETED, ical_uid=f"{uuid.uuid4()}@test")
            db.session.add(copy)
            db.session.commit()
            services.publish(db.session, world.user("coach"), copy.id, summary=f"Summary number {i:02d}.",
                             homework="h")


def test_summaries_come_ten_to_a_page_newest_first_for_partners_and_the_coach(app, world, browser):
    _many_summaries(app, world, 12)
    for client, path in ((browser("alex"), "/homework"), (browser("coach"), f"/coach/couples/{world.couple_id}/shared")):
        first = client.get(path).get_data(as_text=True)
        assert re.findall(r"Summary number (\d\d)\.", first) == [f"{i:02d}" for i in range(10)]
        assert "Older summaries" in first and "Newer summaries" not in first
        second = client.get(path + "?page=2").get_data(as_text=True)
        assert re.findall(r"Summary number (\d\d)\.", second) == ["10", "11"]
        assert "Newer summaries" in second and "Older summaries" not in second


@pytest.mark.parametrize("page", ["abc", "-5", "0", "99999999999999999999999"])
def test_a_nonsense_page_number_is_never_an_error(app, world, browser, page):
    published(app, world, "joint")
    assert browser("sam").get(f"/homework?page={page}").status_code == 200
    assert browser("coach").get(f"/coach/couples/{world.couple_id}/shared?page={page}").status_code == 200
