"""Behind a reverse proxy (``TRUSTED_PROXY_COUNT``), rate limits key on the client, not the proxy.

Without it every visitor would share the proxy's address and one person's failed logins would
lock everyone out; with it a forged header must still not help: only the entries the trusted
proxies appended count (the last one for one proxy).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import csrf_token

PER_IP = 3
PROXY = "10.0.0.5"


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "TRUSTED_PROXY_COUNT": 1,
            "LOGIN_LIMIT_PER_IP": f"{PER_IP} per minute", "LOGIN_LIMIT_PER_ACCOUNT": "100 per minute"}


def attempt(client: Any, email: str, forwarded_for: str) -> int:
    token = csrf_token(client)
    return client.post("/account/login", data={"email": email, "password": "wrong password!", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": PROXY},
                       headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https",
                                # Over https, Flask-WTF also checks that the form came from us.
                                "Referer": "https://localhost/account/login"}).status_code


def test_visitors_behind_one_proxy_are_limited_each_on_their_own_address(app: Any, client: Any) -> None:
    for i in range(PER_IP):
        assert attempt(client, f"a{i}@example.com", "203.0.113.1") == 200
    assert attempt(client, "a-more@example.com", "203.0.113.1") == 429
    # Another visitor coming through the same proxy is not locked out.
    assert attempt(client, "b@example.com", "203.0.113.2") == 200


def test_a_client_cannot_escape_its_limit_by_prepending_its_own_forwarded_for(app: Any, client: Any) -> None:
    # The proxy appends the real address last; whatever the client put before it is ignored.
    for i in range(PER_IP):
        assert attempt(client, f"c{i}@example.com", f"198.51.100.{i}, 203.0.113.7") == 200
    assert attempt(client, "c-more@example.com", "198.51.100.99, 203.0.113.7") == 429

