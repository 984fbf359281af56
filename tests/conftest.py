"""Fixtures shared by every test layer.

Databases: each test gets a fresh SQLite file copied from a template migrated once per
run; the integration layer also runs every test on PostgreSQL (a throwaway database per
run, truncated between tests). Both schemas come from the Alembic migrations, not from
``create_all``, so tests see exactly what production gets.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from coaching import clock, create_app, db
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.config import TestConfig

PG_ADMIN_URL = os.environ.get("TANDEM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_TEST_URL = os.environ.get("TANDEM_TEST_REDIS", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def required(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


def unavailable(what: str, flag: str) -> None:
    """Skip when a service is missing locally; fail when CI says it is required."""
    if required(flag):
        pytest.fail(f"{what} is required here ({flag}=1) but is not reachable")
    pytest.skip(f"{what} not reachable (set {flag}=1 to make this a failure)")


def migrate(url: str) -> None:
    from alembic import command

    from coaching.cli import alembic_config

    cfg = alembic_config(url)
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "heads")


# --- databases -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped after."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any connection failure means "not reachable"
        unavailable("PostgreSQL", "TANDEM_REQUIRE_POSTGRES")
    name = f"tandem_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    migrate(url)
    yield url
    db.session.remove()
    if db._engine is not None:
        db._engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )).scalars().all()
        if tables:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
    engine.dispose()


def sqlite_url(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "tandem.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite by default; ``tests/integration`` overrides this to run on both databases."""
    return sqlite_url(sqlite_template, tmp_path)


# --- app -------------------------------------------------------------------------------------


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Override in a module or test to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url: str, config_overrides: dict[str, Any], tmp_path: Path) -> Iterator[Any]:
    overrides: dict[str, Any] = {"DATABASE_URL": database_url, "RATELIMIT_ENABLED": False}
    overrides.update(config_overrides)
    from tests import mail

    mail.clear()  # emails delivered in memory belong to one test
    application = create_app(TestConfig(**overrides))
    from tests import second_factor

    second_factor.current_app = application  # the login helpers pass the code step with it
    yield application
    db.session.remove()
    clock.set_source(None)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def runner(app: Any) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def dbs(app: Any) -> Iterator[Any]:
    """The app's database session, inside an app context."""
    with app.app_context():
        yield db.session


# --- time ------------------------------------------------------------------------------------


class FrozenClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.at += timedelta(**delta)


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(datetime(2026, 11, 2, 15, 0, tzinfo=UTC))
    clock.set_source(frozen)
    yield frozen
    clock.set_source(None)


# --- people ----------------------------------------------------------------------------------


@pytest.fixture
def create_user(app: Any) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def _create(email: str | None = None, *, role: Role = Role.CLIENT, name: str | None = None,
                password: str = PASSWORD, verified: bool = True, timezone: str = "America/New_York") -> User:
        n = next(counter)
        with app.app_context():
            user = User(email=email or f"user{n}@example.com", name=name or f"User {n}", role=role,
                        password_hash=passwords.hash_password(password), timezone=timezone,
                        email_verified_at=clock.now() if verified else None)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return _create


def csrf_token(client: Any, path: str = "/account/login") -> str:
    """Fetch a page and read the CSRF token from its form."""
    import re

    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="[a-z-]*csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: Any, email: str, password: str = PASSWORD) -> Any:
    """Log in through the login page; coaches and admins (and clients who turned it on) also pass
    the second factor with a code computed from their stored secret (``tests/second_factor.py``)."""
    from tests.second_factor import pass_in_client

    token = csrf_token(client)
    response = client.post("/account/login", data={"email": email, "password": password, "csrf_token": token})
    return pass_in_client(client, response, email)


@pytest.fixture
def login_as(client: Any) -> Callable[[User], Any]:
    def _login(user: User, password: str = PASSWORD) -> Any:
        response = login(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return _login


# --- email on a real SMTP server -------------------------------------------------------------


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A loopback SMTP server (aiosmtpd); use ``smtp_server.url`` as ``SMTP_URL``."""
    from tests.smtp import SMTPServer

    with SMTPServer() as server:
        yield server
