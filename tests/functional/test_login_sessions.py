"""Sign-ins live on the server: logout, timeouts and password changes end them for good."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sqlalchemy import event, select

from coaching import db
from coaching.accounts.models import LoginSession, Role
from tests.conftest import PASSWORD, csrf_token
from tests.second_factor import pass_in_client

REMEMBER = "remember_token"


def sign_in(app: Any, user: Any, *, remember: bool = False, agent: str = "TestBrowser/1.0") -> Any:
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    response = client.post("/account/login", data=data, headers={"User-Agent": agent})
    response = pass_in_client(client, response, user.email)  # coaches and admins: the code step
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def is_signed_in(client: Any) -> bool:
    response = client.get("/account/settings")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def copy_cookies(client: Any, *names: str) -> Any:
    """A new browser holding only copies of ``names`` (saved before, replayed later)."""
    other = client.application.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        other.set_cookie(name, cookie.value)
    return other


def logout(client: Any) -> None:
    response = client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/settings")})
    assert response.status_code == 302


def session_cookie(app: Any) -> str:
    return app.config["SESSION_COOKIE_NAME"]


# --- logout ----------------------------------------------------------------------------------


def test_a_session_cookie_saved_before_logout_no_longer_opens_any_page(app: Any, create_user: Any) -> None:
    client = sign_in(app, create_user())
    saved = copy_cookies(client, session_cookie(app))
    assert is_signed_in(saved)
    logout(client)
    assert not is_signed_in(client)
    assert not is_signed_in(saved)
    assert saved.get("/home").status_code == 302


def test_a_remember_cookie_saved_before_logout_no_longer_signs_in(app: Any, create_user: Any) -> None:
    client = sign_in(app, create_user(), remember=True)
    remembered = copy_cookies(client, REMEMBER)
    assert is_signed_in(remembered)  # the remember cookie alone signs in ...
    logout(client)
    assert client.get_cookie(REMEMBER) is None
    assert not is_signed_in(remembered)  # ... until the sign-in it carries is ended


def test_logging_out_ends_only_that_sign_in(app: Any, create_user: Any) -> None:
    user = create_user()
    phone, laptop = sign_in(app, user), sign_in(app, user)
    logout(phone)
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)


def test_the_session_and_remember_cookies_carry_a_secret_not_the_user_id(app: Any, create_user: Any) -> None:
    user = create_user()
    client = sign_in(app, user, remember=True)
    remember = client.get_cookie(REMEMBER).value
    secret = remember.split("|")[0]
    assert secret != str(user.id) and len(secret) >= 40
    with app.app_context():
        [row] = db.session.scalars(select(LoginSession)).all()
        assert secret not in (row.secret_hash, row.user_agent)  # only its digest is stored
        assert row.user_id == user.id and row.remember and row.user_agent == "TestBrowser/1.0"


# --- timeouts --------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "idle_minutes"), [(Role.CLIENT, 60), (Role.COACH, 30), (Role.ADMIN, 30)])
def test_a_sign_in_ends_after_the_idle_limit_of_its_role(
        app: Any, create_user: Any, frozen_clock: Any, role: Role, idle_minutes: int) -> None:
    assert app.config[f"SESSION_IDLE_MINUTES_{'STAFF' if role != Role.CLIENT else 'CLIENT'}"] == idle_minutes
    client = sign_in(app, create_user(role=role))
    for _ in range(3):  # used just inside the limit, again and again: still signed in
        frozen_clock.advance(minutes=idle_minutes - 2)
        assert is_signed_in(client)
    frozen_clock.advance(minutes=idle_minutes + 1)
    assert not is_signed_in(client)
    frozen_clock.advance(minutes=-idle_minutes)  # the sign-in stays ended: no way back
    assert not is_signed_in(client)


def test_staff_sign_ins_time_out_sooner_than_clients(app: Any) -> None:
    assert app.config["SESSION_IDLE_MINUTES_STAFF"] < app.config["SESSION_IDLE_MINUTES_CLIENT"]
    assert app.config["SESSION_MAX_HOURS_STAFF"] < app.config["SESSION_MAX_HOURS_CLIENT"]


@pytest.mark.parametrize("role", [Role.CLIENT, Role.COACH])
def test_a_sign_in_used_all_the_time_still_ends_at_the_absolute_limit(
        app: Any, create_user: Any, frozen_clock: Any, role: Role) -> None:
    kind = "STAFF" if role == Role.COACH else "CLIENT"
    idle, hours = app.config[f"SESSION_IDLE_MINUTES_{kind}"], app.config[f"SESSION_MAX_HOURS_{kind}"]
    client = sign_in(app, create_user(role=role))
    started = frozen_clock.at
    while frozen_clock.at + timedelta(minutes=idle - 1) < started + timedelta(hours=hours):
        frozen_clock.advance(minutes=idle - 1)
        assert is_signed_in(client), frozen_clock.at - started
    frozen_clock.set(started + timedelta(hours=hours, seconds=1))
    assert not is_signed_in(client)


def test_a_remembered_client_sign_in_survives_idleness_until_the_absolute_limit(
        app: Any, create_user: Any, frozen_clock: Any) -> None:
    client = sign_in(app, create_user(), remember=True)
    started = frozen_clock.at
    frozen_clock.advance(days=3)
    assert is_signed_in(client)
    remembered = copy_cookies(client, REMEMBER)  # a browser restart: only the remember cookie left
    frozen_clock.advance(days=5)
    assert is_signed_in(remembered)
    frozen_clock.set(started + timedelta(hours=app.config["SESSION_MAX_HOURS_CLIENT"], seconds=1))
    assert not is_signed_in(remembered)
    assert not is_signed_in(client)


def test_remember_me_does_not_lift_the_idle_limit_for_staff(
        app: Any, create_user: Any, frozen_clock: Any) -> None:
    client = sign_in(app, create_user(role=Role.ADMIN), remember=True)
    remembered = copy_cookies(client, REMEMBER)
    frozen_clock.advance(minutes=app.config["SESSION_IDLE_MINUTES_STAFF"] + 1)
    assert not is_signed_in(client)
    assert not is_signed_in(remembered)


@pytest.mark.parametrize(("role", "kind"), [(Role.CLIENT, "CLIENT"), (Role.COACH, "STAFF")])
def test_the_remember_cookie_expires_with_the_absolute_limit(
        app: Any, create_user: Any, role: Role, kind: str) -> None:
    client = app.test_client()
    user = create_user(role=role)
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD, "remember": "y",
                                                   "csrf_token": csrf_token(client)})
    response = pass_in_client(client, response, user.email)  # staff: the cookie comes with the code step
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(REMEMBER + "=")]
    expires = parsedate_to_datetime(header.split("Expires=")[1].split(";")[0])
    limit = timedelta(hours=app.config[f"SESSION_MAX_HOURS_{kind}"])
    assert abs(expires - (datetime.now(UTC) + limit)) < timedelta(minutes=2), header


def test_last_seen_is_written_at_most_once_a_minute(app: Any, create_user: Any, frozen_clock: Any) -> None:
    client = sign_in(app, create_user())
    updates: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("UPDATE LOGIN_SESSIONS"):
            updates.append(statement)

    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(10):
            frozen_clock.advance(seconds=5)
            assert is_signed_in(client)
        assert len(updates) == 0
        frozen_clock.advance(seconds=20)  # 70 seconds since the sign-in
        assert is_signed_in(client)
        assert is_signed_in(client)
        assert len(updates) == 1
    finally:
        event.remove(engine, "before_cursor_execute", count)
    with app.app_context():
        [row] = db.session.scalars(select(LoginSession)).all()
        assert row.last_seen_at == frozen_clock.at


# --- password change and reset ---------------------------------------------------------------


def change_password(client: Any, new: str = "another long password") -> Any:
    return client.post("/account/settings", data={
        "current": PASSWORD, "password": new, "confirm": new,
        "csrf_token": csrf_token(client, "/account/settings")})


def test_changing_the_password_keeps_this_sign_in_and_ends_every_other_one(app: Any, create_user: Any) -> None:
    user = create_user()
    here = sign_in(app, user)
    elsewhere = sign_in(app, user, remember=True)
    elsewhere_remembered = copy_cookies(elsewhere, REMEMBER)
    assert change_password(here).status_code == 302
    assert is_signed_in(here)
    assert not is_signed_in(elsewhere)
    assert not is_signed_in(elsewhere_remembered)


def test_resetting_the_password_ends_every_sign_in(app: Any, client: Any, create_user: Any) -> None:
    from tests.functional.test_accounts import emails_to, link_in

    user = create_user()
    signed_in = sign_in(app, user, remember=True)
    remembered = copy_cookies(signed_in, REMEMBER)
    client.post("/account/forgot", data={"email": user.email, "csrf_token": csrf_token(client, "/account/forgot")})
    path = link_in(emails_to(app, user.email)[-1], "/account/reset/")
    form = {"password": "a brand new password", "confirm": "a brand new password"}
    assert client.post(path, data={**form, "csrf_token": csrf_token(client, path)}).status_code == 302
    assert not is_signed_in(signed_in)
    assert not is_signed_in(remembered)


# --- "Your sessions" -------------------------------------------------------------------------


def test_the_account_page_lists_sign_ins_and_signs_out_everywhere_else(app: Any, create_user: Any) -> None:
    user = create_user()
    other_user = create_user()
    phone = sign_in(app, user, agent="PhoneBrowser/2.0")
    laptop = sign_in(app, user, agent="LaptopBrowser/3.0")
    stranger = sign_in(app, other_user, agent="StrangerBrowser/9.9")
    page = laptop.get("/account/settings").get_data(as_text=True)
    assert "PhoneBrowser/2.0" in page and "LaptopBrowser/3.0" in page
    assert "StrangerBrowser" not in page and "(this device)" in page
    response = laptop.post("/account/sessions/end-others",
                           data={"csrf_token": csrf_token(laptop, "/account/settings")})
    assert response.status_code == 302
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert is_signed_in(stranger)
    page = laptop.get("/account/settings").get_data(as_text=True)
    assert "PhoneBrowser/2.0" not in page and "Sign out everywhere else" not in page


def test_signing_out_everywhere_else_needs_the_csrf_token(app: Any, create_user: Any) -> None:
    user = create_user()
    phone, laptop = sign_in(app, user), sign_in(app, user)
    laptop.post("/account/sessions/end-others", data={})
    assert is_signed_in(phone)
