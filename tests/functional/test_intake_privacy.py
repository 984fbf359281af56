"""The privacy matrix: who can read a partner's private answers, scores and safety screen.

Setup: Sam (A) and Alex (B) complete the intake; Sam's screen is positive. Then every intake
page and every email is checked from each side: partner B, partner A, an unassigned coach,
a logged-out visitor, and form tampering and id guessing by the partners.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.admin.services import create_coach
from coaching.intake.models import Couple, Partner, PrivateAnswer, SafetyFlag, SafetyScreen
from tests.mail import sent_emails
from tests.conftest import PASSWORD, login
from tests.functional import intake_steps as steps

CLIENT_PAGES = ["/home", "/intake", "/intake/consent", "/intake/shared", "/intake/shared/about",
                "/intake/shared/concerns", "/intake/shared/infidelity", "/intake/shared/goals",
                "/intake/shared/preferences", "/intake/you", "/intake/private/view",
                "/intake/private/satisfaction", "/intake/safety", "/intake/invite"]
# Words that would give the screen away on the other partner's pages or in any client email.
SCREEN_WORDS = ["safety flag", "Help is available now", "799-7233", "0808 2000 247", "text 988", "Quick exit", "quick-exit",
                "individual session", "positive", "Thank you for telling us"]


@pytest.fixture
def couple(app, create_user):
    """Sam screened positive, Alex negative; returns (app, sam, alex, sam_client, alex_client, ids)."""
    sam, alex = create_user(name="Sam Rivera"), create_user(name="Alex Rivera")
    a, b = steps.full_couple(app, sam, alex, screen_a=steps.POSITIVE, screen_b=steps.NEGATIVE)
    a.get("/intake"), b.get("/intake")  # show (and so clear) the last "Saved." message
    with app.app_context():
        couple = db.session.scalar(select(Couple))
        ids = {"couple": couple.id, "flag": db.session.scalar(select(SafetyFlag.id)),
               "a": couple.partners[0].id, "b": couple.partners[1].id}
    return sam, alex, a, b, ids


def body(response) -> str:
    """The page without its (per-request) CSRF tokens, to compare two responses."""
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def pages(client, paths):
    return {path: client.get(path) for path in paths}


def test_partner_b_reads_none_of_as_private_answers_or_screen_on_any_page(couple):
    _sam, _alex, a, b, _ids = couple
    for path, response in pages(b, CLIENT_PAGES).items():
        html = response.get_data(as_text=True)
        assert steps.A_PRIVATE not in html, path
        for word in SCREEN_WORDS:
            assert word.lower() not in html.lower(), (path, word)
    # The Support page is linked for everyone and is the same page for both partners.
    assert b.get("/support").status_code == a.get("/support").status_code == 200
    assert body(b.get("/support")).replace("Alex Rivera", "X") == body(a.get("/support")).replace("Sam Rivera", "X")


def test_partner_a_reads_none_of_bs_private_answers_on_any_page(couple):
    _sam, _alex, a, _b, _ids = couple
    for path, response in pages(a, CLIENT_PAGES).items():
        assert steps.B_PRIVATE not in response.get_data(as_text=True), path


def test_both_partners_are_shown_the_same_next_step_choosing_a_coach(couple):
    _sam, _alex, a, b, _ids = couple
    for path in ("/home", "/intake"):
        for client in (a, b):
            assert "Next: choose the coach who fits you both" in client.get(path).get_data(as_text=True)


def test_the_partner_who_screened_positive_finds_resources_and_the_quick_exit_only_behind_support(couple):
    _sam, _alex, a, _b, _ids = couple
    support = a.get("/support").get_data(as_text=True)
    assert "1-800-799-7233" in support and "0808 2000 247" in support and "988" in support
    assert 'data-quick-exit' in support and 'href="https://www.google.com/"' in support
    assert a.get("/intake/support").headers["Location"] == "/support"
    for path in ["/home", "/intake", "/intake/shared", "/intake/you", "/intake/private/view",
                 "/intake/private/satisfaction", "/intake/shared/goals"]:
        html = a.get(path).get_data(as_text=True)
        assert '<a href="/support">Support</a>' in html, path
        for word in ("799-7233", "0808 2000 247", "Help is available", "data-quick-exit"):
            assert word not in html, (path, word)


def test_no_client_email_mentions_the_screen_or_anyones_private_answers(app, couple):
    sam, alex, *_ = couple
    with app.app_context():
        messages = sent_emails(to=sam.email) + sent_emails(to=alex.email)
        assert {m.kind for m in messages} == {"invite_partner", "intake_complete"}
        for m in messages:
            text = f"{m.subject}\n{m.text_body}\n{m.html_body}".lower()
            assert steps.A_PRIVATE.lower() not in text and steps.B_PRIVATE.lower() not in text
            for word in SCREEN_WORDS + ["safety", "screen", "flag", "review"]:
                assert word.lower() not in text, (m.kind, word)


def test_the_admin_email_about_a_flag_is_neutral_and_goes_to_admins_only(app, create_user, couple):
    sam, alex, *_ = couple
    with app.app_context():
        messages = sent_emails(kind="intake_review_needed")
        assert all(m.to_addr not in (sam.email, alex.email) for m in messages)
        for m in messages:
            assert "Sam" not in m.text_body and "positive" not in m.text_body.lower()


def test_form_tampering_with_ids_only_ever_changes_the_senders_own_answers(app, couple):
    _sam, _alex, _a, b, ids = couple
    tamper = {"partner_id": ids["a"], "slot": "a", "couple_id": ids["couple"], "user_id": 1}
    response = steps.post(b, "/intake/private/view", {"what_is_happening": "tampered", "hopes": "x",
                                                      "commitment": "stay", **tamper})
    assert response.status_code == 302
    with app.app_context():
        rows = {r.partner_id: r.answers for r in db.session.scalars(select(PrivateAnswer))}
        assert rows[ids["a"]]["what_is_happening"] == steps.A_PRIVATE
        assert rows[ids["b"]]["what_is_happening"] == "tampered"
        screens = {s.partner_id for s in db.session.scalars(select(SafetyScreen))}
        assert screens == {ids["a"], ids["b"]}


def test_partner_b_cannot_send_or_replace_the_invitation(couple):
    *_, b, _ids = couple
    assert b.get("/intake/invite").status_code == 404
    assert steps.post(b, "/intake/invite", {"email": "someone@example.com"}, page="/intake").status_code == 404


@pytest.mark.parametrize("role", ["partner_a", "partner_b", "coach", "client_outsider"])
def test_the_staff_summary_is_a_404_for_partners_unassigned_coaches_and_others(app, create_user, couple, role):
    sam, alex, a, b, ids = couple
    if role == "partner_a":
        client = a
    elif role == "partner_b":
        client = b
    else:
        with app.app_context():
            if role == "coach":
                profile, _ = create_coach(db.session, email="coach@example.com", name="Una Ssigned", timezone="UTC")
            email = "coach@example.com" if role == "coach" else create_user().email
        if role == "coach":
            from coaching.accounts import passwords
            from coaching.accounts.models import User
            with app.app_context():
                user = db.session.scalar(select(User).where(User.email == email))
                user.password_hash = passwords.hash_password(PASSWORD)
                db.session.commit()
        client = app.test_client()
        assert login(client, email).status_code == 302
    existing = client.get(f"/intake/couples/{ids['couple']}/summary")
    missing = client.get(f"/intake/couples/{ids['couple'] + 999}/summary")
    assert existing.status_code == missing.status_code == 404
    assert body(existing) == body(missing)
    for path in (f"/admin/safety/{ids['flag']}", "/admin/safety"):
        response = client.get(path)
        assert response.status_code == 403 and steps.A_PRIVATE not in response.get_data(as_text=True)
    assert body(client.get(f"/admin/safety/{ids['flag']}")) == body(client.get("/admin/safety/99999"))


def test_the_assigned_coach_and_admins_see_both_private_parts_scores_and_the_flag(app, create_user, couple):
    _sam, _alex, _a, _b, ids = couple
    with app.app_context():
        profile, _ = create_coach(db.session, email="ana@example.com", name="Ana Ruiz", timezone="UTC")
        from coaching.accounts import passwords
        profile.user.password_hash = passwords.hash_password(PASSWORD)
        db.session.get(Couple, ids["couple"]).coach_id = profile.id
        db.session.commit()
    admin = create_user(role=Role.ADMIN)
    for email in ("ana@example.com", admin.email):
        client = app.test_client()
        assert login(client, email).status_code == 302
        html = client.get(f"/intake/couples/{ids['couple']}/summary").get_data(as_text=True)
        assert steps.A_PRIVATE in html and steps.B_PRIVATE in html
        assert "CSI-4: <strong>8</strong> / 21 (notable dissatisfaction" in html
        assert "CSI-4: <strong>17</strong> / 21 (not in the distressed range" in html
        assert "Safety flag" in html and "<strong>positive</strong>" in html


def test_a_logged_out_visitor_is_sent_to_log_in_from_every_intake_page(app, couple):
    *_, ids = couple
    visitor = app.test_client()
    paths = [p for p in CLIENT_PAGES if p != "/home"] + [
        f"/intake/couples/{ids['couple']}/summary", "/admin/safety", f"/admin/safety/{ids['flag']}"]
    for path in paths:
        response = visitor.get(path)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], path
        assert steps.A_PRIVATE not in response.get_data(as_text=True)
    for path in ("/intake/safety/answers", "/intake/private/view", f"/admin/safety/{ids['flag']}/resolve"):
        assert visitor.post(path, data=steps.POSITIVE).status_code in (302, 400), path
    with app.app_context():
        assert len(db.session.scalars(select(SafetyScreen)).all()) == 2


def test_partners_private_steps_have_no_ids_to_guess(app, couple):
    *_, b, ids = couple
    for path in (f"/intake/private/view/{ids['a']}", f"/intake/private/{ids['a']}", f"/intake/partners/{ids['a']}",
                 "/intake/private/safety", "/intake/private/../safety"):
        response = b.get(path)
        assert response.status_code in (404, 308) and steps.A_PRIVATE not in response.get_data(as_text=True), path


def test_a_coach_cannot_fill_in_or_read_a_client_questionnaire(app, couple):
    with app.app_context():
        create_coach(db.session, email="c2@example.com", name="Coach Two", timezone="UTC")
        from coaching.accounts import passwords
        from coaching.accounts.models import User
        user = db.session.scalar(select(User).where(User.email == "c2@example.com"))
        user.password_hash = passwords.hash_password(PASSWORD)
        db.session.commit()
    client = app.test_client()
    assert login(client, "c2@example.com").status_code == 302
    for path in ("/intake", "/intake/shared", "/intake/private/view"):
        response = client.get(path)
        assert response.status_code == 403 and steps.A_PRIVATE not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Partner).where(Partner.user_id == user.id)) is None
