"""In production the session and remember cookies use the ``__Host-`` prefix (Secure, Path=/, no Domain)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from coaching import clock, create_app, db
from coaching import config as config_module
from tests.conftest import PASSWORD

HTTPS = "https://tandem.example"


@pytest.fixture
def production_app(database_url: str) -> Iterator[Any]:
    application = create_app(config_module.TestConfig(env={"TANDEM_ENV": "production"}, DATABASE_URL=database_url,
                                        RATELIMIT_ENABLED=False))
    yield application
    db.session.remove()
    clock.set_source(None)


def set_cookies(response: Any) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def assert_host_only(header: str) -> None:
    attributes = [part.strip().lower() for part in header.split(";")[1:]]
    assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes, header
    assert not any(a.startswith("domain=") for a in attributes), header


def test_production_signs_in_with_host_prefixed_cookies(production_app: Any, create_user: Any) -> None:
    user = create_user()
    client = production_app.test_client()
    page = client.get("/account/login", base_url=HTTPS)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post("/account/login", base_url=HTTPS, data={
        "email": user.email, "password": PASSWORD, "remember": "y", "csrf_token": token},
        headers={"Referer": HTTPS + "/account/login"})  # CSRF over HTTPS checks the referrer
    assert response.status_code == 302
    cookies = set_cookies(response)
    assert set(cookies) == {"__Host-tandem_session", "__Host-remember_token"}
    for header in cookies.values():
        assert_host_only(header)
    assert client.get("/account/settings", base_url=HTTPS).status_code == 200
    # The remember cookie alone (a restarted browser) signs in under its prefixed name too.
    restarted = production_app.test_client()
    restarted.set_cookie("__Host-remember_token", client.get_cookie("__Host-remember_token", domain="tandem.example").value,
                         domain="tandem.example", secure=True)
    assert restarted.get("/account/settings", base_url=HTTPS).status_code == 200


def test_development_cookies_keep_their_plain_names(app: Any) -> None:
    assert app.config["SESSION_COOKIE_NAME"] == "tandem_session"
    assert app.config["REMEMBER_COOKIE_NAME"] == "remember_token"
