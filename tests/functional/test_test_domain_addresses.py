"""Addresses at the reserved .test domain: accepted in development, refused where the setting is off."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import User
from tests.conftest import PASSWORD, csrf_token


def register(client, email):
    return client.post("/account/register", data={
        "csrf_token": csrf_token(client, "/account/register"), "name": "Robin", "email": email,
        "password": PASSWORD, "timezone": "America/Chicago"})


def emails_on_file(app):
    with app.app_context():
        return list(db.session.scalars(select(User.email)))


def test_a_test_domain_address_registers_in_development(app, client):
    assert app.config["ACCEPT_TEST_EMAIL_DOMAINS"] is True  # the development default
    response = register(client, "robin@example.test")
    assert response.status_code in (200, 302, 303) and "Invalid email address" not in response.get_data(as_text=True)
    assert emails_on_file(app) == ["robin@example.test"]


@pytest.mark.parametrize("config_overrides", [{"ACCEPT_TEST_EMAIL_DOMAINS": False}])
def test_a_test_domain_address_is_refused_with_a_clear_message_when_the_setting_is_off(app, client):
    response = register(client, "robin@example.test")
    assert "Invalid email address" in response.get_data(as_text=True)
    assert emails_on_file(app) == []
    register(client, "robin@example.com")
    assert emails_on_file(app) == ["robin@example.com"]
