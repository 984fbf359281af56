"""Foundation throughput: page requests, real (argon2id) logins, and outbox delivery over SMTP.

Runs in-process through Flask's test client (no network server) and against an aiosmtpd
server on loopback. Prints one line per measurement. Bounded: a few seconds in all.
"""

from __future__ import annotations

import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from alembic import command  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from coaching import clock, create_app, db  # noqa: E402
from coaching.accounts import passwords  # noqa: E402
from coaching.accounts.models import Role, User  # noqa: E402
from coaching.cli import alembic_config  # noqa: E402
from coaching.config import TestConfig  # noqa: E402
from coaching.notify.delivery import deliver_due  # noqa: E402
from coaching.notify.models import OutboxMessage  # noqa: E402
from coaching.notify.transport import SMTPTransport  # noqa: E402
from tests.smtp import SMTPServer  # noqa: E402

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
PG_ADMIN_URL = os.environ.get("TANDEM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery"


def migrated(url: str) -> str:
    cfg = alembic_config(url)
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "heads")
    return url


def report(name: str, count: int, seconds: float, unit: str) -> None:
    print(f"{name:<48} {count / seconds:>10.1f} {unit}/s  ({count} in {seconds:.2f} s)", flush=True)


def bench_pages(app) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.get("/account/login")  # warm up templates
    for path, n in (("/account/login", 400), ("/", 300), ("/healthz", 1000)):
        started = time.perf_counter()
        for _ in range(n):
            assert client.get(path).status_code == 200
        report(f"GET {path} (test client)", n, time.perf_counter() - started, "req")


def bench_logins(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context():
        db.session.add(User(email="bench@example.com", name="Bench", role=Role.CLIENT,
                            password_hash=passwords.hash_password(PASSWORD), email_verified_at=clock.now()))
        db.session.commit()
    timings = []
    for _ in range(15):
        client = app.test_client()
        html = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
        started = time.perf_counter()
        response = client.post("/account/login", data={"email": "bench@example.com", "password": PASSWORD,
                                                       "csrf_token": token})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 302
    report("POST /account/login, argon2id defaults", len(timings), sum(timings), "login")
    print(f"{'  median login latency':<48} {statistics.median(timings) * 1000:>10.1f} ms", flush=True)


def bench_outbox(url: str, label: str, smtp: SMTPServer, count: int = 300) -> None:
    engine = create_engine(url) if not url.startswith("sqlite") else db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_messages"))
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        session.add_all(OutboxMessage(to_addr=f"p{i}@example.com", subject="Your session", text_body="Hello " * 50,
                                      html_body="<p>Hello</p>" * 50, attachments=[]) for i in range(count))
        session.commit()
    before = len(smtp.inbox.messages)
    started = time.perf_counter()
    sent = 0
    while sent < count:
        sent += deliver_due(engine, SMTPTransport(smtp.url), "Tandem <t@example.com>", clock.now(), limit=count)
    elapsed = time.perf_counter() - started
    assert len(smtp.inbox.messages) - before == count
    report(f"outbox -> aiosmtpd, one worker ({label})", count, elapsed, "msg")
    engine.dispose()


def postgres_url() -> str | None:
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS tandem_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE tandem_bench"))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - PostgreSQL is optional for a benchmark
        print(f"(PostgreSQL not reachable, skipped: {type(exc).__name__})")
        return None
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/tandem_bench"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = migrated(f"sqlite:///{Path(tmp) / 'bench.db'}")
        app = create_app(TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False, PASSWORD_HASH_FAST=False))
        bench_pages(app)
        bench_logins(app)
        with SMTPServer() as smtp, app.app_context():  # outbox content is encrypted with the app's keys
            bench_outbox(url, "SQLite", smtp)
            pg = postgres_url()
            if pg is not None:
                bench_outbox(migrated(pg), "PostgreSQL", smtp)
                db.session.remove()
                db.get_engine().dispose()
                admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text("DROP DATABASE IF EXISTS tandem_bench WITH (FORCE)"))
                admin.dispose()


if __name__ == "__main__":
    main()
