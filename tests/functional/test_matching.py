"""Matching over HTTP: intake -> proposals with reasons -> choice -> free consultation booked."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import import_catalog, validate_catalog
from coaching.intake.models import Couple, SafetyFlag
from coaching.matching.services import propose
from coaching.matching.models import CoachAssignment, MatchFeedback
from coaching.notify.models import OutboxMessage
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from tests.conftest import csrf_token
from tests.functional import intake_steps as steps
from tests.matching_data import CATALOG

# Both partners free on weekday afternoons in New York: "afternoon" and "evening" blocks.
BLOCKS = tuple(f"{d}-{b}" for d in ("mon", "tue", "wed", "thu", "fri") for b in ("afternoon", "evening"))


@pytest.fixture
def coaches(app):
    with app.app_context():
        import_catalog(db.session, validate_catalog(db.session, CATALOG))
        return {c.user.email: c.id for c in db.session.scalars(select(CoachProfile))}


def couple_done(app, create_user, screen_a=None):
    a_user, b_user = create_user(timezone="America/New_York"), create_user(timezone="America/New_York")
    a = steps.logged_in(app, a_user)
    steps.start(a)
    steps.shared(a)
    steps.personal(a, zone="America/New_York", blocks=BLOCKS)
    token = steps.invite(a, app, b_user.email)
    b = steps.logged_in(app, b_user)
    assert steps.join(b, token).status_code == 302
    steps.consent(b)
    steps.personal(b, zone="America/New_York", blocks=BLOCKS)
    steps.private(a, steps.A_PRIVATE, screen=screen_a)
    steps.private(b, steps.B_PRIVATE)
    return a, b, a_user, b_user


def choose(client, coach_id):
    return client.post("/match/choose", data={"coach_id": str(coach_id), "csrf_token": csrf_token(client, "/match")})


def test_matching_waits_until_both_partners_finished(app, create_user, coaches, frozen_clock):
    a_user = create_user()
    a = steps.logged_in(app, a_user)
    steps.start(a)
    response = a.get("/match")
    assert response.status_code == 302 and response.headers["Location"] == "/home"


def test_couple_sees_three_proposals_with_reasons_and_each_partner_books_a_welcome_call(app, create_user, coaches,
                                                                                       frozen_clock):
    a, b, a_user, b_user = couple_done(app, create_user)
    page = a.get("/match").get_data(as_text=True)
    names = re.findall(r"Choose ([A-Z][a-z]+ [A-Z][a-z]+)", page)
    assert names[0] == "Ana Ruiz"
    assert not {"Closed Coach", "Solo Francais", "Tara Trained"} & set(names)
    assert "Works with affair recovery, your first concern" in page
    assert "in the next three weeks when you are both free" in page

    response = choose(b, coaches["ana@example.com"])
    assert response.status_code == 302
    assert response.headers["Location"] == f"/book/{coaches['ana@example.com']}/welcome"
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        assert couple.coach_id == coaches["ana@example.com"] and not couple.joint_sessions_open
        [assignment] = db.session.scalars(select(CoachAssignment)).all()
        assert assignment.method == "chosen" and "affair recovery" in assignment.reason
        told = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "match_chosen")).all()
        assert [m.to_addr for m in told] == [a_user.email]

    booking_page = b.get(response.headers["Location"]).get_data(as_text=True)
    start = re.search(r'name="start" value="([^"]+)"', booking_page).group(1)
    booked = b.post(response.headers["Location"], data={"start": start, "csrf_token": csrf_token(b, response.headers["Location"])})
    assert booked.status_code == 302
    with app.app_context():
        [booking] = db.session.scalars(select(Booking)).all()
        assert booking.status == BookingStatus.CONFIRMED and booking.booked_by_id == b_user.id
        assert booking.starts_at == datetime.fromisoformat(start)
        assert db.session.get(SessionType, booking.session_type_id).slug == "welcome"
    for client in (a, b):
        home = client.get("/home").get_data(as_text=True)
        assert "Your coach will open joint sessions after your welcome calls." in home
        assert f"/book/{coaches['ana@example.com']}/welcome" in home


def test_the_consultation_waits_until_the_coach_opens_joint_sessions(app, create_user, coaches, frozen_clock):
    a, b, *_ = couple_done(app, create_user)
    ana = coaches["ana@example.com"]
    assert choose(a, ana).status_code == 302
    page = steps_page(b, f"/book/{ana}/consultation")
    assert "Your coach will open joint sessions after your welcome calls." in page and 'name="start"' not in page
    start = re.search(r'name="start" value="([^"]+)"', steps_page(b, f"/book/{ana}/welcome")).group(1)
    refused = b.post(f"/book/{ana}/consultation", data={"start": start, "csrf_token": csrf_token(b, f"/book/{ana}/welcome")})
    assert refused.status_code == 403
    with app.app_context():
        assert db.session.scalars(select(Booking)).all() == []


def test_proposals_do_not_depend_on_either_partners_safety_screen(app, create_user, coaches, frozen_clock):
    couple_done(app, create_user)
    couple_done(app, create_user, screen_a=steps.POSITIVE)
    with app.app_context():
        first, flagged = db.session.scalars(select(Couple).order_by(Couple.id)).all()
        now = frozen_clock()
        assert flagged.partners[0].id and db.session.scalar(select(SafetyFlag.couple_id)) == flagged.id
        plain = [(m.coach_id, m.score, m.reasons) for m in propose(db.session, first, now).top]
        assert plain and plain == [(m.coach_id, m.score, m.reasons) for m in propose(db.session, flagged, now).top]


def steps_page(client, path):
    return client.get(path).get_data(as_text=True)


def test_choosing_a_coach_outside_the_proposals_changes_nothing(app, create_user, coaches, frozen_clock):
    a, *_ = couple_done(app, create_user)
    for coach_id in (coaches["closed@example.com"], coaches["french@example.com"], 99999):
        response = choose(a, coach_id)
        assert response.status_code == 302 and response.headers["Location"] == "/match"
    with app.app_context():
        assert db.session.scalar(select(Couple)).coach_id is None
        assert db.session.scalars(select(CoachAssignment)).all() == []


def test_a_client_without_a_couple_or_an_admin_route_cannot_choose_for_others(app, create_user, coaches,
                                                                             frozen_clock, login_as):
    couple_done(app, create_user)
    outsider = create_user()
    client = login_as(outsider)
    token = csrf_token(client, "/account/settings")
    assert client.post("/match/choose", data={"coach_id": coaches["ana@example.com"], "csrf_token": token}).status_code == 404
    with app.app_context():
        couple_id = db.session.scalar(select(Couple.id))
    assert client.post(f"/admin/matching/{couple_id}", data={"coach_id": coaches["ana@example.com"],
                                                             "reason": "x", "csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Couple)).coach_id is None


def test_none_of_these_fit_is_recorded_and_tells_admins(app, create_user, coaches, frozen_clock):
    admin = create_user(role=Role.ADMIN)
    a, *_ = couple_done(app, create_user)
    response = a.post("/match/none-fit", data={"missing": "Someone who works weekends",
                                               "csrf_token": csrf_token(a, "/match")})
    assert response.status_code == 302
    with app.app_context():
        [feedback] = db.session.scalars(select(MatchFeedback)).all()
        assert feedback.missing == "Someone who works weekends" and feedback.proposed_coach_ids
        assert db.session.scalar(select(OutboxMessage.to_addr).where(OutboxMessage.kind == "match_none_fit")) == admin.email


def test_rematch_needs_both_partners_and_keeps_the_history(app, create_user, coaches, frozen_clock):
    a, b, *_ = couple_done(app, create_user)
    assert choose(a, coaches["ana@example.com"]).status_code == 302
    a.post("/match/rematch", data={"reason": "", "csrf_token": csrf_token(a, "/match/rematch")})
    with app.app_context():
        assert db.session.scalar(select(Couple)).coach_id == coaches["ana@example.com"]
    b.post("/match/rematch", data={"reason": "", "csrf_token": csrf_token(b, "/match/rematch")})
    with app.app_context():
        assert db.session.scalar(select(Couple)).coach_id is None
        [old] = db.session.scalars(select(CoachAssignment)).all()
        assert old.ended_at is not None
    assert b.get("/match").status_code == 200


def test_admin_sees_the_explanation_and_assigns_with_a_written_reason(app, create_user, coaches, frozen_clock,
                                                                     login_as):
    couple_done(app, create_user)
    admin = create_user(role=Role.ADMIN)
    client = login_as(admin)
    with app.app_context():
        couple_id = db.session.scalar(select(Couple.id))
    queue = client.get("/admin/matching").get_data(as_text=True)
    assert f"Couple #{couple_id}" in queue
    page = client.get(f"/admin/matching/{couple_id}").get_data(as_text=True)
    assert "Closed Coach: not accepting new couples" in page
    missing_reason = client.post(f"/admin/matching/{couple_id}", data={
        "coach_id": coaches["james@example.com"], "reason": " ", "csrf_token": csrf_token(client, f"/admin/matching/{couple_id}")})
    assert missing_reason.status_code == 200
    ok = client.post(f"/admin/matching/{couple_id}", data={
        "coach_id": coaches["james@example.com"], "reason": "Asked for London hours",
        "csrf_token": csrf_token(client, f"/admin/matching/{couple_id}")})
    assert ok.status_code == 302
    with app.app_context():
        [assignment] = db.session.scalars(select(CoachAssignment)).all()
        assert (assignment.method, assignment.reason) == ("admin", "Asked for London hours")
