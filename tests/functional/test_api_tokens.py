"""Personal API tokens: made after the password is asked again, they expire, and a password change ends them."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import ApiToken, Role, User
from coaching.accounts.services import issue_api_token
from tests.conftest import PASSWORD, csrf_token


def new_token(app: Any, user: Any) -> str:
    with app.app_context():
        return issue_api_token(db.session, db.session.get(User, user.id), "test").token


def token_works(app: Any, token: str) -> bool:
    """Whether the API takes ``token`` (an empty booking request: 4xx for its body, or 401)."""
    response = app.test_client().post("/api/v1/bookings", json={}, headers={"Authorization": f"Bearer {token}"})
    assert 400 <= response.status_code < 500, response.status_code
    return response.status_code != 401


def create_on_page(client: Any, password: str, name: str = "laptop script") -> Any:
    return client.post("/account/settings", data={
        "token-name": name, "token-password": password,
        "token-csrf_token": csrf_token(client, "/account/settings")})


def token_count(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ApiToken))


def test_a_token_works_until_it_expires(app: Any, create_user: Any, frozen_clock: Any) -> None:
    token = new_token(app, create_user())
    assert token_works(app, token)
    frozen_clock.advance(days=app.config["API_TOKEN_DAYS"], seconds=-1)
    assert token_works(app, token)
    frozen_clock.advance(seconds=2)
    assert not token_works(app, token)


def test_the_page_asks_for_the_password_before_making_a_token(
        app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user(role=Role.COACH))  # tokens are for staff and integrations
    refused = create_on_page(client, "not my password")
    assert refused.status_code == 200
    body = refused.get_data(as_text=True)
    assert "Your password is not correct." in body and 'id="new-token"' not in body
    assert token_count(app) == 0
    missing = create_on_page(client, "")
    assert missing.status_code == 200 and token_count(app) == 0


def test_a_token_made_on_the_page_is_shown_once_with_its_expiry(
        app: Any, client: Any, create_user: Any, login_as: Any, frozen_clock: Any) -> None:
    login_as(create_user(timezone="UTC", role=Role.COACH))
    page = create_on_page(client, PASSWORD).get_data(as_text=True)
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    expiry = re.search(r'<span id="new-token-expiry">([^<]+)</span>', page).group(1)
    expected = frozen_clock.at + timedelta(days=app.config["API_TOKEN_DAYS"])
    assert expiry == expected.strftime("%a %d %b %Y, %H:%M UTC")
    assert token_works(app, token)
    assert token not in client.get("/account/settings").get_data(as_text=True)


def test_changing_the_password_revokes_every_api_token(
        app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    user = create_user()
    token = new_token(app, user)
    login_as(user)
    new = "another long password"
    response = client.post("/account/settings", data={
        "current": PASSWORD, "password": new, "confirm": new,
        "csrf_token": csrf_token(client, "/account/settings")})
    assert response.status_code == 302
    assert not token_works(app, token)


def test_resetting_the_password_revokes_every_api_token(app: Any, client: Any, create_user: Any) -> None:
    from tests.functional.test_accounts import emails_to, link_in

    user = create_user()
    token = new_token(app, user)
    client.post("/account/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/account/forgot")})
    path = link_in(emails_to(app, user.email)[-1], "/account/reset/")
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert client.post(path, data={**form, "csrf_token": csrf_token(client, path)}).status_code == 302
    assert not token_works(app, token)


def test_the_cli_prints_a_working_token_and_its_expiry(app: Any, runner: Any, create_user: Any) -> None:
    user = create_user()
    result = runner.invoke(args=["api-token", "create", user.email])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("tdm_") and "works until" in result.stderr
    assert token_works(app, token)


def test_clients_neither_see_api_tokens_nor_can_make_one(
        app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user())
    page = client.get("/account/settings").get_data(as_text=True)
    assert "<h2>API tokens</h2>" not in page and "token-name" not in page
    refused = create_on_page(client, PASSWORD)
    assert refused.status_code == 403
    assert token_count(app) == 0


def test_staff_still_see_their_api_tokens(app: Any, client: Any, create_user: Any, login_as: Any) -> None:
    login_as(create_user(role=Role.ADMIN))
    page = client.get("/account/settings").get_data(as_text=True)
    assert "<h2>API tokens</h2>" in page and 'name="token-name"' in page
