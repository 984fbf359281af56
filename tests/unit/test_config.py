"""Configuration: safe development defaults, and production refuses unsafe settings."""

from __future__ import annotations

import pytest

from coaching import config as config_module
from coaching.config import DEV_SECRET_PLACEHOLDER, Config, ConfigError

REAL_KEY = "k" * 48


PRODUCTION_DATA_KEY = "dGVzdC1vbmx5LWRhdGEta2V5LTMyLWJ5dGVzLWxvbmc="  # test-only Fernet key


def production(**env: str) -> Config:
    return Config({"TANDEM_ENV": "production", "TANDEM_DATA_KEYS": PRODUCTION_DATA_KEY, **env})


@pytest.mark.parametrize("env", [
    {},
    {"SECRET_KEY": ""},
    {"SECRET_KEY": DEV_SECRET_PLACEHOLDER},
    {"SECRET_KEY": "short-key"},
    {"SECRET_KEY": "x" * 31},
])
def test_production_refuses_to_start_without_a_real_secret_key(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        production(**env).validate()


@pytest.mark.parametrize("debug", ["1", "true", "yes", "on"])
def test_production_refuses_to_start_with_the_debugger_on(debug: str) -> None:
    with pytest.raises(ConfigError, match="debugger"):
        production(SECRET_KEY=REAL_KEY, FLASK_DEBUG=debug).validate()


def test_create_app_refuses_production_with_the_development_secret() -> None:
    from coaching import create_app

    with pytest.raises(ConfigError):
        create_app(production())
    with pytest.raises(ConfigError):
        create_app(production(SECRET_KEY=REAL_KEY, FLASK_DEBUG="1"))


def test_production_with_a_real_key_sets_secure_cookies_and_hsts() -> None:
    config = production(SECRET_KEY=REAL_KEY)
    config.validate()
    assert config.SESSION_COOKIE_SECURE and config.REMEMBER_COOKIE_SECURE
    assert config.SESSION_COOKIE_HTTPONLY and config.REMEMBER_COOKIE_HTTPONLY
    assert config.SESSION_COOKIE_SAMESITE == config.REMEMBER_COOKIE_SAMESITE == "Lax"
    assert config.HSTS is True
    assert config.PREFERRED_URL_SCHEME == "https"
    assert config.DEBUG is False


def test_development_defaults_are_embedded_and_safe() -> None:
    config = Config({})
    config.validate()  # development never refuses
    assert config.TANDEM_ENV == "development"
    assert config.DEBUG is False
    assert config.DATABASE_URL.startswith("sqlite:///") and config.DATABASE_URL.endswith("instance/tandem.db")
    assert config.RATELIMIT_STORAGE_URI == "memory://"
    assert config.RATELIMIT_ENABLED is True
    assert config.SMTP_URL is None  # emails go to the log
    assert config.TASKS_MODE == "inline"
    assert config.SESSION_COOKIE_HTTPONLY and config.SESSION_COOKIE_SAMESITE == "Lax"
    assert config.SESSION_COOKIE_SECURE is False and config.HSTS is False  # plain http on loopback
    assert 0 < config.MAX_CONTENT_LENGTH <= 16 * 1024 * 1024
    assert config.SECRET_KEY != DEV_SECRET_PLACEHOLDER and len(config.SECRET_KEY) >= 32


def test_the_development_secret_key_is_random_per_checkout_and_stable() -> None:
    assert Config({}).SECRET_KEY == Config({}).SECRET_KEY


def test_redis_url_moves_rate_limits_and_tasks_to_redis() -> None:
    config = Config({"REDIS_URL": "redis://127.0.0.1:6379/3"})
    assert config.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"
    assert config.TASKS_MODE == "redis"


def test_environment_variables_are_read() -> None:
    config = Config({"DATABASE_URL": "postgresql+psycopg://u@h/db", "SMTP_URL": "smtp://127.0.0.1:2525",
                     "MAIL_FROM": "Team <team@example.org>", "TANDEM_BASE_URL": "https://tandem.example/",
                     "MAX_CONTENT_LENGTH": "2048", "SECRET_KEY": REAL_KEY})
    assert config.DATABASE_URL == "postgresql+psycopg://u@h/db"
    assert config.SMTP_URL == "smtp://127.0.0.1:2525"
    assert config.MAIL_FROM == "Team <team@example.org>"
    assert config.TANDEM_BASE_URL == "https://tandem.example"
    assert config.MAX_CONTENT_LENGTH == 2048
    assert config.SECRET_KEY == REAL_KEY


def test_test_config_never_touches_real_services() -> None:
    config = config_module.TestConfig(env={"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config.TESTING and config.DATABASE_URL == "sqlite://"
    assert config.TASKS_MODE == "inline" and config.RATELIMIT_STORAGE_URI == "memory://"
    assert config_module.TestConfig(MAX_CONTENT_LENGTH=10).MAX_CONTENT_LENGTH == 10


def test_crisis_resources_come_from_the_environment_as_json():
    from coaching.config import Config, ConfigError

    custom = Config({"CRISIS_RESOURCES": '[{"name": "Lifeline (AU)", "contact": "Call 13 11 14"}]'})
    assert custom.CRISIS_RESOURCES == [{"name": "Lifeline (AU)", "contact": "Call 13 11 14"}]
    assert not hasattr(Config({}), "CRISIS_RESOURCES")
    for bad in ("not json", "[]", '[{"name": 1}]', '{"name": "x", "contact": "y"}'):
        with pytest.raises(ConfigError):
            Config({"CRISIS_RESOURCES": bad})


def test_match_weights_come_from_the_environment_and_are_checked():
    from coaching.config import Config, ConfigError

    assert Config({"MATCH_WEIGHTS": '{"availability": 5}'}).MATCH_WEIGHTS == {"availability": 5.0}
    assert Config({}).MATCH_WEIGHTS == {}
    for bad in ("[1]", '{"load": -1}', '{"load": "x"}', "nope"):
        with pytest.raises(ConfigError):
            Config({"MATCH_WEIGHTS": bad})


@pytest.mark.parametrize("keys", ["", "not-a-fernet-key"])
def test_production_refuses_to_start_without_valid_data_keys(keys: str) -> None:
    with pytest.raises(ConfigError):
        production(SECRET_KEY=REAL_KEY, TANDEM_DATA_KEYS=keys).validate()
