"""Accounts through HTTP: register, verify, log in, reset, change password."""

from __future__ import annotations

import re

from sqlalchemy import select

from coaching import db
from coaching.accounts.models import User
from tests.mail import sent_emails
from tests.conftest import PASSWORD, csrf_token, login


def emails_to(app, address):
    with app.app_context():
        return sent_emails(to=address)


def link_in(message, path):
    match = re.search(r"https?://[^\s]+(" + re.escape(path) + r"[^\s]+)", message.text_body)
    assert match, message.text_body
    return match.group(1)


def register(client, email, password=PASSWORD):
    token = csrf_token(client, "/account/register")
    return client.post("/account/register", data={
        "name": "Robin", "email": email, "password": password,
        "timezone": "Europe/London", "csrf_token": token})


def test_registration_sends_a_verification_link_that_confirms_the_address(app, client):
    response = register(client, "robin@example.com")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account/register/check-email")
    assert "Check your email" in client.get(response.headers["Location"]).get_data(as_text=True)
    [message] = emails_to(app, "robin@example.com")
    assert message.subject == "Confirm your email for Tandem"
    assert client.get(link_in(message, "/account/verify/")).status_code == 302
    assert login(client, "robin@example.com").status_code == 302


def test_unverified_user_cannot_log_in_and_gets_a_new_link(app, client, create_user):
    user = create_user(verified=False)
    response = login(client, user.email)
    assert response.status_code == 200
    assert "confirm your email address first" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302  # still anonymous
    assert len(emails_to(app, user.email)) == 1


def test_registering_a_known_email_answers_like_a_new_one(app, client, create_user):
    user = create_user("known@example.com")
    known = register(client, "known@example.com").get_data(as_text=True)
    unknown = register(client, "unknown@example.com").get_data(as_text=True)
    strip = lambda html: re.sub(r"(known|unknown)@example.com|value=\"[^\"]+\"", "", html)  # noqa: E731
    assert strip(known) == strip(unknown)
    [notice] = emails_to(app, user.email)
    assert notice.kind == "already_registered"
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "known@example.com")).name == user.name


def test_login_failure_is_the_same_for_unknown_email_and_wrong_password(client, create_user):
    user = create_user()
    wrong = login(client, user.email, "wrong password!").get_data(as_text=True)
    unknown = login(client, "nobody@example.com", "wrong password!").get_data(as_text=True)
    clean = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert clean(wrong) == clean(unknown)
    assert "do not match an account" in wrong


def test_next_redirects_only_to_local_paths(app, create_user):
    user = create_user()
    for target, expected in [("/account/settings", "/account/settings"),
                             ("https://evil.example/", "/home"), ("//evil.example/x", "/home"),
                             ("/\\evil.example", "/home"), ("javascript:alert(1)", "/home")]:
        client = app.test_client()
        token = csrf_token(client)
        response = client.post(f"/account/login?next={target}",
                               data={"email": user.email, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302
        assert response.headers["Location"] == expected, target


def test_reset_link_is_single_use(app, client, create_user):
    user = create_user()
    client.post("/account/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/account/forgot")})
    [message] = emails_to(app, user.email)
    path = link_in(message, "/account/reset/")
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    response = client.post(path, data={**form, "csrf_token": csrf_token(client, path)})
    assert response.status_code == 302 and response.headers["Location"] == "/account/login"
    again = client.get(path)
    assert again.status_code == 302 and again.headers["Location"] == "/account/forgot"
    assert login(client, user.email, "a brand new password").status_code == 302


def test_reset_for_unknown_email_answers_the_same_and_sends_no_reset_link(app, client, create_user):
    user = create_user()
    page = lambda email: client.post("/account/forgot", data={  # noqa: E731
        "email": email, "csrf_token": csrf_token(client, "/account/forgot")}).get_data(as_text=True)
    known, unknown = page(user.email), page("ghost@example.com")
    assert known.replace(user.email, "X") == unknown.replace("ghost@example.com", "X")
    # The address's owner hears that there is no login here (the same outbox work as a real
    # reset, so the answer's timing tells nothing), with no link that changes anything.
    [notice] = emails_to(app, "ghost@example.com")
    assert notice.kind == "reset_unknown"
    assert "/account/reset/" not in notice.text_body and "no Tandem login" in notice.text_body


def test_changing_password_ends_other_sessions(app, create_user):
    user = create_user()
    first, second = app.test_client(), app.test_client()
    assert login(first, user.email).status_code == 302
    assert login(second, user.email).status_code == 302
    token = csrf_token(first, "/account/settings")
    response = first.post("/account/settings", data={
        "current": PASSWORD, "password": "another long password", "confirm": "another long password",
        "csrf_token": token})
    assert response.status_code == 302
    assert first.get("/account/settings").status_code == 200
    assert second.get("/account/settings").status_code == 302


def test_the_time_zone_list_offers_current_zones_grouped_by_region_and_preselects_by_script(client):
    page = client.get("/account/register").get_data(as_text=True)
    assert '<optgroup label="America">' in page and '<optgroup label="Europe">' in page
    assert 'value="America/Chicago"' in page and 'value="Europe/Kyiv"' in page
    assert 'value="Africa/Timbuktu"' not in page and 'value="US/Eastern"' not in page and 'value="Europe/Kiev"' not in page
    assert 'data-browser-zone="default"' in page and "/static/js/browser_zone.js" in page
    assert "<script>" not in page  # no inline script (CSP)


def test_the_api_still_accepts_any_valid_iana_name_including_retired_ones(client):
    from coaching.timezones import is_valid_zone

    assert is_valid_zone("Africa/Timbuktu") and is_valid_zone("US/Eastern") and is_valid_zone("Etc/GMT+5")
    assert not is_valid_zone("Mars/Base")


def test_registration_redirects_after_post_so_a_refresh_does_not_register_again(app, client):
    response = register(client, "robin@example.com")
    assert response.status_code == 303
    for _ in range(2):  # a refresh is a GET of the page it landed on
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Check your email" in page and "robin@example.com" in page
    assert len(emails_to(app, "robin@example.com")) == 1
    assert app.test_client().get("/account/register/check-email").status_code == 302  # nothing registered here
