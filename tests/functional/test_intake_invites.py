"""Invitation links over HTTP: register through the link, log in and join, refusals."""

from __future__ import annotations

from sqlalchemy import select

from coaching import db
from coaching.accounts.models import User
from coaching.intake.models import Partner
from tests.conftest import PASSWORD, csrf_token, login
from tests.functional import intake_steps as steps


def invited(app, create_user, email="alex@example.com"):
    a = steps.logged_in(app, create_user(name="Sam Rivera"))
    steps.start(a)
    steps.shared(a)
    steps.personal(a)
    return a, steps.invite(a, app, email)


def test_the_invited_partner_registers_through_the_link_and_lands_in_the_couple(app, create_user):
    _a, token = invited(app, create_user)
    b = app.test_client()
    page = b.get(f"/intake/join/{token}").get_data(as_text=True)
    assert "Sam Rivera invited you" in page and "a***@example.com" in page
    path = f"/intake/join/{token}/register"
    response = b.post(path, data={"csrf_token": csrf_token(b, path), "name": "Alex Rivera",
                                  "password": "a long enough password", "timezone": "Europe/London"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/intake")
    assert "/intake/consent" in b.get("/intake").get_data(as_text=True)
    with app.app_context():
        alex = db.session.scalar(select(User).where(User.email == "alex@example.com"))
        assert alex.is_verified
        assert db.session.scalar(select(Partner).where(Partner.user_id == alex.id)).slot == "b"
    reopened = b.get(f"/intake/join/{token}")  # used up; Alex, signed in, goes on to the questionnaire
    assert reopened.status_code == 302 and reopened.headers["Location"].endswith("/intake")


def test_a_partner_who_already_joined_and_reopens_the_invitation_is_told_so_and_offered_to_sign_in(app,
                                                                                                  create_user):
    _a, token = invited(app, create_user)
    b = app.test_client()
    path = f"/intake/join/{token}/register"
    b.post(path, data={"csrf_token": csrf_token(b, path), "name": "Alex Rivera",
                       "password": "a long enough password", "timezone": "Europe/London"})
    later = app.test_client()  # another day, signed out
    for page in (f"/intake/join/{token}", f"/intake/join/{token}/register"):
        response = later.get(page)
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and "You have already joined" in text
        assert "ask your partner to send a new one" not in text
        assert 'href="/account/login?next=/intake"' in text


def test_an_existing_account_logs_in_through_the_link_and_joins(app, create_user):
    _a, token = invited(app, create_user)
    create_user("alex@example.com")
    b = app.test_client()
    token_path = f"/intake/join/{token}"
    response = b.post(f"/account/login?next={token_path}",
                      data={"csrf_token": csrf_token(b), "email": "alex@example.com", "password": PASSWORD})
    assert response.headers["Location"] == token_path
    assert steps.join(b, token).headers["Location"].endswith("/intake")


def test_a_logged_in_account_with_another_address_is_told_which_address_was_invited(app, create_user):
    _a, token = invited(app, create_user)
    other = create_user("other@example.com")
    b = app.test_client()
    login(b, other.email)
    response = steps.join(b, token)
    assert response.status_code == 200
    assert "This invitation was sent to a***@example.com" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Partner).where(Partner.slot == "b")).user_id is None


def test_an_unknown_or_malformed_link_is_a_404_with_a_clear_message(app):
    client = app.test_client()
    for token in ("nope", "x" * 300, "%00"):
        response = client.get(f"/intake/join/{token}")
        assert response.status_code == 404
        assert "invalid, has already been used or has expired" in response.get_data(as_text=True)


def test_registering_through_the_link_for_a_known_address_asks_to_log_in(app, create_user):
    _a, token = invited(app, create_user)
    create_user("alex@example.com")
    b = app.test_client()
    path = f"/intake/join/{token}/register"
    response = b.post(path, data={"csrf_token": csrf_token(b, path), "name": "Mallory",
                                  "password": "a long enough password", "timezone": "UTC"})
    assert "Please log in to join" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Partner).where(Partner.slot == "b")).user_id is None


def test_the_rotate_keys_command_reports_what_it_re_encrypted(app, create_user, runner):
    invited(app, create_user)
    result = runner.invoke(args=["intake", "rotate-keys"])
    assert result.exit_code == 0 and "Re-encrypted" in result.output
