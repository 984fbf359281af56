"""Second-factor codes are rate-limited per account (whatever the browser or address), with a clear
message, counted in memory and in Redis like the login limits."""

from __future__ import annotations

from typing import Any

import pytest

from coaching.accounts.models import Role
from coaching.twofactor import totp
from tests.functional.test_rate_limit import storage  # noqa: F401 (fixture: memory and Redis)
from tests.functional.test_two_factor import enrolled, sign_in_with, signed_in


@pytest.fixture
def config_overrides(storage: str) -> dict[str, Any]:  # noqa: F811
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
            "SECOND_FACTOR_LIMIT_PER_ACCOUNT": "3 per minute", "LOGIN_LIMIT_PER_ACCOUNT": "100 per minute"}


def test_the_default_limit_on_codes_is_tight() -> None:
    from coaching.config import Config

    assert Config({}).SECOND_FACTOR_LIMIT_PER_ACCOUNT == "5 per minute;20 per hour;50 per day"


def test_codes_are_rate_limited_per_account_with_a_clear_message(app: Any, create_user: Any,
                                                                  frozen_clock: Any) -> None:
    coach = create_user(role=Role.COACH)
    secret = enrolled(app, coach)
    wrong = "000000" if totp.code_at(secret, frozen_clock()) != "000000" else "111111"
    # Three wrong codes from three browsers (and addresses): the account's limit is reached.
    for i in range(3):
        c = app.test_client()
        c.environ_base["REMOTE_ADDR"] = f"203.0.113.{i + 1}"
        assert sign_in_with(c, coach, wrong).status_code == 200
    blocked = app.test_client()
    blocked.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    response = sign_in_with(blocked, coach, totp.code_at(secret, frozen_clock()))  # even the right one
    body = response.get_data(as_text=True)
    assert response.status_code == 429 and "Too many codes were tried for this account" in body
    assert "Retry-After" in response.headers and not signed_in(blocked, "/coach")
    # Another staff member is not affected.
    other = create_user(role=Role.ADMIN)
    other_secret = enrolled(app, other)
    assert sign_in_with(app.test_client(), other, totp.code_at(other_secret, frozen_clock())).status_code == 302
