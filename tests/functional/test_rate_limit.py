"""Login attempts are rate-limited per IP and per account, in memory and in Redis."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PASSWORD, REDIS_TEST_URL, csrf_token, unavailable

PER_IP = 6
PER_ACCOUNT = 3


def flush_redis() -> None:
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
        connection.flushdb()
        connection.close()
    except redis.RedisError:
        unavailable("Redis", "TANDEM_REQUIRE_REDIS")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "memory":
        yield "memory://"
        return
    flush_redis()
    yield REDIS_TEST_URL
    flush_redis()


@pytest.fixture
def config_overrides(storage: str) -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
            "LOGIN_LIMIT_PER_IP": f"{PER_IP} per minute", "LOGIN_LIMIT_PER_ACCOUNT": f"{PER_ACCOUNT} per minute"}


def attempt(client: Any, email: str, password: str = "wrong password!", ip: str = "203.0.113.1",
            **headers: str) -> Any:
    env = {"REMOTE_ADDR": ip}
    token = csrf_token(client)
    return client.post("/account/login", data={"email": email, "password": password, "csrf_token": token},
                       environ_base=env, headers=headers)


def test_the_limiter_uses_the_configured_storage(app: Any, storage: str) -> None:
    from coaching.extensions import limiter

    assert limiter.enabled
    expected = "RedisStorage" if storage.startswith("redis") else "MemoryStorage"
    assert type(limiter.storage).__name__ == expected


def test_many_logins_from_one_address_are_refused_with_a_friendly_429(app: Any, client: Any) -> None:
    for i in range(PER_IP):
        assert attempt(client, f"someone{i}@example.com").status_code == 200
    refused = attempt(client, "yet-another@example.com")
    assert refused.status_code == 429
    body = refused.get_data(as_text=True)
    assert "Too many attempts" in body and "Traceback" not in body
    assert "Retry-After" in refused.headers
    assert "frame-ancestors 'none'" in refused.headers["Content-Security-Policy"]
    # Another address is not affected.
    assert attempt(client, "fresh@example.com", ip="203.0.113.2").status_code == 200


def test_a_forged_forwarded_for_header_does_not_reset_the_per_address_limit(app: Any, client: Any) -> None:
    for i in range(PER_IP):
        attempt(client, f"p{i}@example.com", **{"X-Forwarded-For": f"198.51.100.{i}"})
    assert attempt(client, "q@example.com", **{"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_many_logins_to_one_account_from_many_addresses_are_refused(
        app: Any, client: Any, create_user: Any) -> None:
    user = create_user("target@example.com")
    for i in range(PER_ACCOUNT):
        assert attempt(client, user.email, ip=f"192.0.2.{i + 1}").status_code == 200
    # Even the right password is refused now, from a new address and with the email's case changed.
    assert attempt(client, "TARGET@example.com ", password=PASSWORD, ip="192.0.2.200").status_code == 429
    # Another account from the same addresses is fine.
    assert attempt(client, "someone-else@example.com", ip="192.0.2.1").status_code == 200


def test_the_per_account_limit_trips_the_same_way_for_an_unknown_email(app: Any, client: Any, create_user: Any) -> None:
    create_user("known@example.com")
    codes = {email: [attempt(client, email, ip=f"192.0.2.{n}").status_code for n in range(1, PER_ACCOUNT + 2)]
             for email in ("known@example.com", "unknown@example.com")}
    assert codes["known@example.com"] == codes["unknown@example.com"] == [200] * PER_ACCOUNT + [429]


def test_viewing_the_login_page_is_not_limited(app: Any, client: Any) -> None:
    for _ in range(PER_IP + 3):
        assert client.get("/account/login").status_code == 200


@pytest.mark.parametrize(("path", "ok"), [("/account/register", 303), ("/account/forgot", 200)])
def test_register_and_reset_are_limited_per_address_too(app: Any, client: Any, path: str, ok: int) -> None:
    codes = []
    for i in range(PER_IP + 1):
        data = {"email": f"r{i}@example.com", "name": "R", "password": PASSWORD, "timezone": "UTC",
                "csrf_token": csrf_token(client, path)}
        codes.append(client.post(path, data=data, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code)
    assert codes == [ok] * PER_IP + [429]


def test_a_successful_login_still_works_under_the_limits(app: Any, client: Any, create_user: Any) -> None:
    user = create_user()
    assert attempt(client, user.email, password=PASSWORD).status_code == 302
