"""Check-ins end to end over HTTP: sending, answering, the trends, the every-N-sessions rule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from coaching import clock, db
from coaching.audit.models import AuditEvent
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.intake.models import Couple, SafetyFlag
from tests.checkin_data import POSITIVE, add_checkin, client_for, create_world, emails_to
from tests.conftest import csrf_token
from tests.functional import checkin_steps as steps


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        return create_world()


def test_the_coach_sends_a_check_in_and_each_partner_is_emailed_neutrally(app, world):
    coach = client_for(app, world.emails["coach"])
    response = steps.send(coach, world.couple)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 1
        for who in ("a", "b"):
            (mail,) = emails_to(world.emails[who], "checkin_requested")
            assert "/checkins" in mail.text_body
            assert "CSI" not in mail.text_body and "safety" not in mail.text_body.lower()


def test_a_partner_answers_a_check_in_and_sees_it_in_their_own_trend(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    assert f"/checkins/{checkin_id}" in a.get("/checkins").get_data(as_text=True)
    response = steps.answer(a, checkin_id, items=(4, 4, 4, 3))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/checkins/{checkin_id}/done")
    assert "Thank you" in a.get(response.headers["Location"]).get_data(as_text=True)
    mine = a.get("/checkins").get_data(as_text=True)
    assert "No check-in is waiting for you" in mine
    assert "<svg" in mine and ">15<" in mine.replace(" (below cutoff)", "") and ">8" in mine


def test_the_coach_sees_both_partners_trend_with_cutoff_and_divergence(app, world, frozen_clock):
    with app.app_context():
        first = add_checkin(world.couple)
    a, b = client_for(app, world.emails["a"]), client_for(app, world.emails["b"])
    assert steps.answer(a, first, items=(3, 3, 3, 3)).status_code == 302   # 12: below 13.5
    assert steps.answer(b, first, items=(4, 3, 3, 4)).status_code == 302   # 14: above
    html = client_for(app, world.emails["coach"]).get(f"/coach/couples/{world.couple}/checkins").get_data(as_text=True)
    assert "13.5 distress cutoff" in html and 'class="cutoff"' in html
    assert html.count('class="divergence"') == 2  # intake 8 vs 17 and 12 vs 14 across the cutoff
    assert "Sam Rivera" in html and "Alex Rivera" in html
    assert "<table>" in html and "<caption>" in html and ">12 (below cutoff)<" in html.replace("\n", "")


def test_a_positive_re_screen_raises_a_flag_for_staff_and_shows_resources_to_that_partner_only(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    with app.app_context():
        before = couple_state(world.couple)
    response = steps.answer(a, checkin_id, screen=POSITIVE)
    assert response.status_code == 302
    done = a.get(response.headers["Location"]).get_data(as_text=True)
    assert "Help is available now" in done and "799-7233" in done
    with app.app_context():
        (flag,) = db.session.scalars(select(SafetyFlag)).all()
        assert flag.partner_id == world.partner_a and flag.couple_id == world.couple
        assert couple_state(world.couple) == before  # the coach decides; nothing changes on its own
        assert emails_to(world.emails["admin"], "intake_review_needed")
    html = client_for(app, world.emails["coach"]).get(f"/coach/couples/{world.couple}/checkins").get_data(as_text=True)
    assert "safety re-screen positive (flag raised)" in html


def couple_state(couple_id):
    couple = db.session.get(Couple, couple_id)
    db.session.refresh(couple)
    return {c.key: getattr(couple, c.key) for c in Couple.__table__.columns}


def test_a_second_answer_is_refused_and_the_first_scores_stay(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    assert steps.answer(a, checkin_id, items=(1, 1, 1, 1)).status_code == 302
    # the gate now leads to the done page, and a replayed POST is refused
    assert a.get(f"/checkins/{checkin_id}").status_code == 302
    page = a.get(f"/checkins/{checkin_id}/done").get_data(as_text=True)
    replay = a.post(f"/checkins/{checkin_id}/answers",
                    data={"csrf_token": csrf_token(a, "/checkins"), "version": "1",
                          **{f"csi{i}": "5" for i in range(1, 5)}, **POSITIVE})
    assert replay.status_code == 303
    assert "already answered" in a.get(replay.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        (row,) = db.session.scalars(select(CheckInResponse)).all()
        assert row.csi_items == {"csi1": 1, "csi2": 1, "csi3": 1, "csi4": 1}
        assert row.safety_result["positive"] is False
        assert db.session.scalar(select(func.count(SafetyFlag.id))) == 0
    assert "Thank you" in page


def test_intake_scores_are_the_first_point_and_a_check_in_never_changes_them(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    steps.answer(a, checkin_id, items=(6, 5, 5, 5))
    html = a.get("/checkins").get_data(as_text=True)
    rows = [line for line in html.splitlines() if "<th scope=\"row\">" in line]
    assert "Intake" in rows[0]
    assert ">8 (below cutoff)" in html and ">21<" in html.replace("\n", "").replace("</td>", "<")


@pytest.mark.parametrize("config_overrides", [{"CHECKIN_EVERY_SESSIONS": 2}])
def test_the_practice_sends_a_check_in_after_every_second_completed_joint_session(app, world, frozen_clock,
                                                                                  config_overrides):
    from coaching.scheduling.models import Booking, BookingStatus, SessionKind
    from tests.scheduling_data import create_session_type

    with app.app_context():
        joint = create_session_type("couples-session")
        alone = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
        couple = db.session.get(Couple, world.couple)
        ids = []
        for i, st in enumerate((joint, alone, joint, joint, joint)):
            start = clock.now() - timedelta(days=10 - i)
            booking = Booking(coach_id=world.coach, session_type_id=st.id, couple_id=couple.id,
                              booked_by_id=couple.partners[0].user_id, starts_at=start,
                              ends_at=start + timedelta(minutes=50), status=BookingStatus.CONFIRMED,
                              ical_uid=f"t{i}@tandem")
            db.session.add(booking)
            db.session.flush()
            ids.append(booking.id)
        db.session.commit()
    coach = client_for(app, world.emails["coach"])
    counts = []
    for booking_id in ids:
        path = f"/coach/bookings/{booking_id}/attendance"
        response = coach.post(path, data={"att-csrf_token": csrf_token(coach, "/coach/calendar"),
                                          "att-outcome": "complete"})
        assert response.status_code in (302, 303), (path, response.status_code)
        with app.app_context():
            counts.append(db.session.scalar(select(func.count(CheckIn.id))))
    # joint sessions 1, (individual), 2 -> check-in, 3, 4 -> check-in
    assert counts == [0, 0, 1, 1, 2]
    with app.app_context():
        assert sorted(db.session.scalars(select(CheckIn.after_sessions))) == [2, 4]
        assert len(emails_to(world.emails["b"], "checkin_requested")) == 2


def test_coach_and_admin_reads_of_scores_are_in_the_access_log(app, world):
    for who in ("coach", "admin"):
        assert client_for(app, world.emails[who]).get(f"/coach/couples/{world.couple}/checkins").status_code == 200
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "checkin_read")
                                  .order_by(AuditEvent.id)).all()
        assert [(r.actor_role, r.couple_id, r.object_type) for r in rows] == [
            ("coach", world.couple, "checkin_trend"), ("admin", world.couple, "checkin_trend")]


@pytest.mark.parametrize(("extra", "field"), [
    ({"csi1": "9"}, "csi1"),
    ({"csi4": "<script>alert(1)</script>"}, "csi4"),
    ({"threats": "perhaps"}, "threats"),
    ({"fear": ""}, "fear"),
])
def test_tampered_answers_get_a_clear_422_and_nothing_is_stored(app, world, extra, field):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    response = steps.answer(a, checkin_id, **extra)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nothing was saved yet" in html and f'id="q-{field}-error"' in html
    assert "<script>alert(1)</script>" not in html
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 0


def test_a_tampered_questionnaire_version_is_refused_with_a_message(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    response = steps.answer(a, checkin_id, version="99")
    assert response.status_code == 302
    assert "questionnaire has changed" in a.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 0


def test_an_answer_without_its_csrf_token_is_refused(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    response = a.post(f"/checkins/{checkin_id}/answers", data={"version": "1", "csi1": "3"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 0


def test_saying_you_cannot_answer_privately_saves_nothing(app, world):
    with app.app_context():
        checkin_id = add_checkin(world.couple)
    a = client_for(app, world.emails["a"])
    response = a.post(f"/checkins/{checkin_id}", data={"csrf_token": csrf_token(a, f"/checkins/{checkin_id}"),
                                                       "private": "no"})
    assert response.status_code == 200 and "Nothing has been saved" in response.get_data(as_text=True)
    assert f"/checkins/{checkin_id}" in a.get("/checkins").get_data(as_text=True)


def test_a_check_in_cannot_be_sent_before_both_partners_have_joined(app, frozen_clock):
    from tests.scheduling_data import create_coach, create_couple

    with app.app_context():
        coach = create_coach("solo-coach@example.com")
        couple = create_couple("solo@example.com")
        couple.coach_id = coach.id
        db.session.commit()
        couple_id = couple.id
    client = client_for(app, "solo-coach@example.com")
    response = steps.send(client, couple_id)
    assert response.status_code == 302
    assert "Both partners need to have joined" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 0


def test_the_client_home_links_to_check_ins(app, world):
    assert 'href="/checkins"' in client_for(app, world.emails["b"]).get("/home").get_data(as_text=True)


def test_a_second_check_in_within_a_day_is_refused_and_emails_nobody(app, world, frozen_clock):
    coach = client_for(app, world.emails["coach"])
    assert steps.send(coach, world.couple).status_code == 302
    again = steps.send(coach, world.couple)
    assert "less than a day ago" in coach.get(again.headers["Location"]).get_data(as_text=True)
    frozen_clock.advance(days=1, seconds=1)
    coach = client_for(app, world.emails["coach"])  # a day later: the idle sign-in has ended
    assert steps.send(coach, world.couple).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckIn.id))) == 2
        assert len(emails_to(world.emails["a"], "checkin_requested")) == 2


def test_the_record_partial_shows_scores_to_the_coach_and_nothing_to_a_previous_coach(app, world):
    from flask import render_template
    from flask_login import login_user
    from types import SimpleNamespace

    from coaching.accounts.models import User
    from coaching.checkins import services

    with app.test_request_context():
        couple = db.session.get(Couple, world.couple)
        coach = db.session.scalar(select(User).where(User.email == world.emails["coach"]))
        login_user(coach)
        html = render_template("checkins/_record.html", rec=SimpleNamespace(couple=couple),
                               checkin_trend=services.trend_for_record(db.session, couple, coach))
        assert 'id="record-checkins"' in html and "Sam Rivera: <strong>8</strong>" in html and "<svg" in html
        previous = db.session.scalar(select(User).where(User.email == world.emails["other"]))
        assert services.trend_for_record(db.session, couple, previous) is None
        html = render_template("checkins/_record.html", couple=couple, checkin_trend=None)
        assert "<svg" not in html and "Sam Rivera" not in html
        assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "checkin_read")) == 1
