"""Besides the per-minute burst limit, login attempts meet an hourly ceiling per account and per address.

These use the default limits from the configuration and move the rate limiter's clock (the
in-memory storage reads ``time.time``) instead of waiting.
"""

from __future__ import annotations

import time as real_time
from types import SimpleNamespace
from typing import Any

import pytest
from limits import parse_many

from coaching.config import Config
from tests.conftest import csrf_token


class LimiterClock:
    def __init__(self) -> None:
        self.now = real_time.time()

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://"}


@pytest.fixture
def limiter_clock(monkeypatch: pytest.MonkeyPatch) -> LimiterClock:
    fake = LimiterClock()
    monkeypatch.setattr("limits.storage.memory.time", SimpleNamespace(time=fake.time))
    return fake


def attempt(client: Any, email: str, ip: str) -> int:
    token = csrf_token(client)
    return client.post("/account/login", data={"email": email, "password": "wrong password!", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": ip}).status_code


def per_hour(setting: str) -> int:
    [hourly] = [item.amount for item in parse_many(setting) if item.GRANULARITY.name == "hour"]
    return hourly


def test_the_default_limits_have_an_hourly_ceiling_well_below_the_minute_rate() -> None:
    config = Config({})
    for setting in (config.LOGIN_LIMIT_PER_ACCOUNT, config.LOGIN_LIMIT_PER_IP):
        [per_minute] = [item.amount for item in parse_many(setting) if item.GRANULARITY.name == "minute"]
        assert per_hour(setting) < per_minute * 60 / 4, setting
    assert per_hour(config.LOGIN_LIMIT_PER_ACCOUNT) <= 30


def test_slow_guessing_at_one_account_meets_the_hourly_ceiling(
        app: Any, client: Any, create_user: Any, limiter_clock: LimiterClock) -> None:
    user = create_user("target@example.com")
    ceiling = per_hour(app.config["LOGIN_LIMIT_PER_ACCOUNT"])
    # Four tries a minute, each from a new address: always under the per-minute limits.
    codes = []
    for n in range(ceiling + 1):
        limiter_clock.advance(15)
        codes.append(attempt(client, user.email, ip=f"192.0.2.{n % 250 + 1}"))
    assert codes == [200] * ceiling + [429]
    limiter_clock.advance(60)
    assert attempt(client, "someone-else@example.com", ip="198.51.100.7") == 200  # other accounts are fine
    assert attempt(client, user.email, ip="198.51.100.8") == 429
    limiter_clock.advance(3600)
    assert attempt(client, user.email, ip="198.51.100.9") == 200


def test_slow_guessing_from_one_address_meets_the_hourly_ceiling(
        app: Any, client: Any, limiter_clock: LimiterClock) -> None:
    ceiling = per_hour(app.config["LOGIN_LIMIT_PER_IP"])
    codes = []
    for n in range(ceiling + 1):
        limiter_clock.advance(4)  # fifteen a minute, each at another account
        codes.append(attempt(client, f"person{n}@example.com", ip="203.0.113.50"))
    assert codes == [200] * ceiling + [429]
    assert attempt(client, "fresh@example.com", ip="203.0.113.51") == 200
