"""The intake over HTTP: start, consent, shared part, invite, private parts, completion."""

from __future__ import annotations

from sqlalchemy import select

from coaching import db
from coaching.intake.models import SafetyFlag, Couple, Partner, SharedAnswerChange
from coaching.intake.services import matching_profile
from tests.mail import sent_emails
from tests.conftest import csrf_token
from tests.functional import intake_steps as steps


def test_a_client_without_a_couple_is_offered_the_questionnaire_on_home(app, create_user, login_as):
    client = login_as(create_user())
    html = client.get("/home").get_data(as_text=True)
    assert "Start the questionnaire" in html
    assert client.get("/intake").headers["Location"].endswith("/home")


def test_answers_cannot_be_saved_before_consent(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.post(a, "/intake/start", {}, page="/home")
    response = steps.post(a, "/intake/shared/goals", {"goals": "hello"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake")
    with app.app_context():
        assert db.session.scalars(select(SharedAnswerChange)).all() == []


def test_the_first_partner_is_led_step_by_step_and_can_resume(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    assert steps.post(a, "/intake/shared/about", {"partner_a_name": "Sam", "partner_b_name": "Alex",
                                                  "together_for": "lt1", "living_together": "no",
                                                  "children": "none"}).headers["Location"].endswith("/intake/shared/concerns")
    # Resume later: home and the status page point at the next unanswered step.
    html = a.get("/intake").get_data(as_text=True)
    assert "/intake/shared/concerns" in html
    assert 'value="Sam"' in a.get("/intake/shared/about").get_data(as_text=True)


def test_the_whole_intake_completes_and_tells_both_partners_neutrally(app, create_user):
    user_a, user_b = create_user(name="Sam Rivera"), create_user(name="Alex Rivera")
    a, b = steps.full_couple(app, user_a, user_b)
    for client in (a, b):
        assert "choose the coach who fits you both" in client.get("/intake").get_data(as_text=True)
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        assert couple.intake_completed_at is not None and couple.status.value == "matching"
        done = sent_emails(kind="intake_complete")
        assert sorted(m.to_addr for m in done) == sorted([user_a.email, user_b.email])
        assert done[0].text_body.replace("Sam Rivera", "X") == done[1].text_body.replace("Alex Rivera", "X")
        seats = {p.slot: p for p in db.session.scalars(select(Partner))}
        assert seats["a"].timezone == "America/Chicago"
        assert seats["a"].free_times == {"mon": [["17:00", "23:00"]]}
        assert seats["b"].free_times == {"tue": [["17:00", "20:00"]]}
        profile = matching_profile(db.session, couple)
        assert profile.concerns == ("infidelity", "trust", "communication")
        assert profile.budget_cents == 15000 and profile.format == "video"
        assert profile.languages == frozenset({"en", "es"}) and profile.complete


def test_the_second_partner_sees_and_amends_the_shared_part_and_the_change_is_attributed(app, create_user):
    user_a, user_b = create_user(name="Sam Rivera"), create_user(name="Alex Rivera")
    a = steps.logged_in(app, user_a)
    steps.start(a)
    steps.shared(a, goals="Talk without shouting")
    token = steps.invite(a, app, user_b.email)
    b = steps.logged_in(app, user_b)
    steps.join(b, token)
    steps.consent(b)
    assert "Talk without shouting" in b.get("/intake/shared").get_data(as_text=True)
    assert steps.post(b, "/intake/shared/goals", {"goals": "Rebuild trust slowly"}).status_code == 302
    page = a.get("/intake/shared").get_data(as_text=True)
    assert "Rebuild trust slowly" in page and "Alex Rivera changed goals" in page


def test_unticking_infidelity_removes_the_affair_follow_ups(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    steps.shared(a, infidelity=True)
    assert "Emotional" in a.get("/intake/shared").get_data(as_text=True)
    steps.post(a, "/intake/shared/concerns", {"concerns-trust": "1"})
    assert "About the affair" not in a.get("/intake/shared").get_data(as_text=True)
    assert a.get("/intake/shared/infidelity").status_code == 404


def test_the_safety_gate_answered_no_saves_nothing(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    response = a.post("/intake/safety", data={"csrf_token": csrf_token(a, "/intake/safety"), "private": "no"})
    assert response.status_code == 200 and "Nothing from this page has been saved" in response.get_data(as_text=True)
    with app.app_context():
        from coaching.intake.models import SafetyScreen
        assert db.session.scalars(select(SafetyScreen)).all() == []


def test_the_screen_is_answered_once(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    assert steps.answer_screen(a, steps.NEGATIVE).status_code == 302
    assert a.get("/intake/safety").status_code == 302
    form = {"csrf_token": csrf_token(a, "/intake/consent"), "version": "1", **steps.POSITIVE}
    a.post("/intake/safety/answers", data=form)
    with app.app_context():
        assert db.session.scalars(select(SafetyFlag)).all() == []


def test_intake_pages_work_without_javascript_and_label_every_input(app, create_user):
    import re

    a = steps.logged_in(app, create_user())
    steps.start(a)
    for path in ("/intake/shared/about", "/intake/shared/concerns", "/intake/you", "/intake/private/view",
                 "/intake/private/satisfaction", "/intake/safety", "/intake/consent", "/intake/invite"):
        html = a.get(path).get_data(as_text=True)
        assert "<script>" not in html and "onclick" not in html, path
        ids = re.findall(r'<(?:input(?![^>]*type="hidden")|select|textarea)[^>]*\sid="([^"]+)"', html)
        for input_id in ids:
            assert f'for="{input_id}"' in html, (path, input_id)


def test_each_questionnaire_step_shows_how_far_along_it_is(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    # Before anything is ticked: about, concerns, goals, preferences, you, view, satisfaction, safety.
    assert "Step 1 of 8" in a.get("/intake/shared/about").get_data(as_text=True)
    steps.shared(a, infidelity=True)  # the affair follow-ups now apply: one more step
    assert "Step 3 of 9" in a.get("/intake/shared/infidelity").get_data(as_text=True)
    assert "Step 6 of 9" in a.get("/intake/you").get_data(as_text=True)
    assert "Step 8 of 9" in a.get("/intake/private/satisfaction").get_data(as_text=True)
    gate = a.post("/intake/safety", data={"csrf_token": csrf_token(a, "/intake/safety"), "private": "yes"})
    assert "Step 9 of 9" in gate.get_data(as_text=True)


def test_every_coach_preference_is_optional_as_the_step_says(app, create_user):
    a = steps.logged_in(app, create_user())
    steps.start(a)
    page = a.get("/intake/shared/preferences").get_data(as_text=True)
    assert "All optional" in page and page.count("(optional)") == 7
    response = steps.post(a, "/intake/shared/preferences", {})
    assert response.status_code == 302
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        profile = matching_profile(db.session, couple)
    assert profile.gender is None and profile.budget_cents is None and profile.approach is None
