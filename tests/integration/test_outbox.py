"""The outbox delivers to a real SMTP server on loopback (aiosmtpd), exactly once, with retries."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import clock, db
from coaching.notify.delivery import CLAIM_FOR, backoff, deliver_due
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.outbox import queue_email
from coaching.notify.tasks import deliver_now
from coaching.notify.transport import SMTPTransport
from tests.conftest import REDIS_TEST_URL, unavailable
from tests.smtp import SMTPServer, text_of

ROOT = Path(__file__).resolve().parents[2]
ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Tandem//EN\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


@pytest.fixture
def config_overrides(smtp_server: SMTPServer) -> dict[str, Any]:
    return {"SMTP_URL": smtp_server.url, "OUTBOX_MAX_ATTEMPTS": 3}


def add_messages(app: Any, count: int, prefix: str = "person") -> list[str]:
    """Write ``count`` outbox rows directly (no delivery is triggered); return their recipients."""
    recipients = [f"{prefix}{i}@example.com" for i in range(count)]
    with app.app_context():
        for to in recipients:
            db.session.add(OutboxMessage(to_addr=to, subject=f"Hello {to}", text_body=f"Text for {to}",
                                         html_body=f"<p>HTML for {to}</p>", attachments=[]))
        db.session.commit()
    return recipients


def rows(app: Any) -> list[OutboxMessage]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def deliver(app: Any) -> int:
    with app.app_context():
        return deliver_now()


def test_an_email_queued_in_a_committed_transaction_arrives_with_text_html_and_attachment(
        app: Any, smtp_server: SMTPServer) -> None:
    with app.app_context():
        queue_email(db.session, "robin@example.com", "verify_email",
                    user=SimpleNamespace(name="Robin <script>"), link="https://tandem.example/v/abc?x=1&y=2",
                    attachments=[{"filename": "session.ics", "content_type": "text/calendar; method=REQUEST",
                                  "content": ICS}])
        assert smtp_server.inbox.messages == []  # nothing leaves before the commit
        db.session.commit()
    [message] = smtp_server.inbox.wait_for("robin@example.com")
    assert message["Subject"] == "Confirm your email for Tandem"
    assert message["From"] == app.config["MAIL_FROM"]
    assert message.is_multipart()
    parts = {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}
    assert set(parts) == {"text/plain", "text/html", "text/calendar"}
    assert "https://tandem.example/v/abc?x=1&y=2" in text_of(message)
    html = parts["text/html"].get_payload(decode=True).decode()
    assert "Robin &lt;script&gt;" in html and "<script>" not in html  # escaped in HTML
    calendar = parts["text/calendar"]
    assert calendar.get_filename() == "session.ics"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_payload(decode=True).decode() == ICS
    [row] = rows(app)
    assert (row.status, row.attempts, row.sent_at is not None) == (OutboxStatus.SENT, 1, True)


def test_a_rolled_back_transaction_sends_nothing(app: Any, smtp_server: SMTPServer) -> None:
    with app.app_context():
        queue_email(db.session, "ghost@example.com", "verify_email", user=SimpleNamespace(name="G"), link="x")
        db.session.flush()
        db.session.rollback()
        assert deliver_now() == 0
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        # A later, unrelated commit must not deliver the forgotten message either.
        db.session.commit()
    assert smtp_server.inbox.messages == []


def test_a_sent_message_is_never_sent_again(app: Any, smtp_server: SMTPServer) -> None:
    [to] = add_messages(app, 1)
    assert deliver(app) == 1
    assert deliver(app) == 0
    assert len(smtp_server.inbox.wait_for(to)) == 1
    assert rows(app)[0].status == OutboxStatus.SENT


def test_two_worker_threads_deliver_each_message_exactly_once(app: Any, smtp_server: SMTPServer) -> None:
    recipients = add_messages(app, 40)
    with app.app_context():
        engine = db.get_engine()
    start = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            with app.app_context():  # message content is decrypted with the app's keys
                counts.append(deliver_due(engine, SMTPTransport(smtp_server.url), "Tandem <t@example.com>",
                                          clock.now()))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sum(counts) == len(recipients)
    smtp_server.inbox.wait_for(recipients[-1])
    received = Counter(m["X-Envelope-To"] for m in smtp_server.inbox.messages)
    assert received == Counter(recipients)
    assert {(r.status, r.attempts) for r in rows(app)} == {(OutboxStatus.SENT, 1)}


WORKER = """
import sys, time
from pathlib import Path
from coaching import create_app
from coaching.config import TestConfig
from coaching.notify.tasks import deliver_now

app = create_app(TestConfig(DATABASE_URL=sys.argv[1], SMTP_URL=sys.argv[2]))
go = Path(sys.argv[3])
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
with app.app_context():
    print(deliver_now())
"""


def test_two_worker_processes_deliver_each_message_exactly_once(
        app: Any, smtp_server: SMTPServer, database_url: str, tmp_path: Path) -> None:
    recipients = add_messages(app, 60)
    go = tmp_path / "go"
    env = {**os.environ, "TANDEM_TASKS": "inline", "HUEY_SQLITE_PATH": str(tmp_path / "huey.db")}
    env.pop("REDIS_URL", None)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, database_url, smtp_server.url, str(go)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    time.sleep(1.5)  # both interpreters import the app meanwhile; then release them together
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    sent = [int(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert sum(sent) == len(recipients), sent
    smtp_server.inbox.wait_for(recipients[-1])
    assert Counter(m["X-Envelope-To"] for m in smtp_server.inbox.messages) == Counter(recipients)
    assert {(r.status, r.attempts) for r in rows(app)} == {(OutboxStatus.SENT, 1)}


def test_delivery_is_retried_with_back_off_while_the_server_is_down_and_sent_once_when_it_is_up(
        app: Any, frozen_clock: Any) -> None:
    later = SMTPServer()  # not listening yet
    app.config["SMTP_URL"] = later.url
    [to] = add_messages(app, 1)

    assert deliver(app) == 0
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert row.next_attempt_at == frozen_clock.at + backoff(1)
    assert row.last_error and "ConnectionRefused" in row.last_error

    frozen_clock.advance(seconds=10)
    assert deliver(app) == 0
    assert rows(app)[0].attempts == 1  # not due yet: no attempt made

    frozen_clock.advance(seconds=25)
    assert deliver(app) == 0
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 2)
    assert row.next_attempt_at == frozen_clock.at + backoff(2)

    with later:
        frozen_clock.advance(seconds=61)
        assert deliver(app) == 1
        frozen_clock.advance(hours=1)
        assert deliver(app) == 0
        assert len(later.inbox.wait_for(to)) == 1
    [row] = rows(app)
    assert (row.status, row.attempts, row.last_error, row.sent_at) == (
        OutboxStatus.SENT, 3, None, frozen_clock.at - timedelta(hours=1))


def test_delivery_gives_up_after_the_maximum_number_of_attempts(app: Any, frozen_clock: Any) -> None:
    server = SMTPServer()
    app.config["SMTP_URL"] = server.url
    add_messages(app, 1)
    for _ in range(3):  # OUTBOX_MAX_ATTEMPTS
        assert deliver(app) == 0
        frozen_clock.advance(hours=7)
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    with server:
        frozen_clock.advance(days=2)
        assert deliver(app) == 0
        assert server.inbox.messages == []
    assert rows(app)[0].attempts == 3


def test_a_claim_left_by_a_dead_worker_expires_and_the_message_is_sent(
        app: Any, smtp_server: SMTPServer, frozen_clock: Any) -> None:
    [to] = add_messages(app, 1)
    with app.app_context():
        row = db.session.scalars(select(OutboxMessage)).one()
        row.status, row.attempts = OutboxStatus.SENDING, 1
        row.locked_until = frozen_clock.at + CLAIM_FOR
        db.session.commit()
    assert deliver(app) == 0  # still claimed by the (dead) worker
    frozen_clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert deliver(app) == 1
    assert len(smtp_server.inbox.wait_for(to)) == 1
    assert rows(app)[0].status == OutboxStatus.SENT


def test_one_failing_recipient_does_not_hold_up_the_others(app: Any, smtp_server: SMTPServer) -> None:
    with app.app_context():
        db.session.add(OutboxMessage(to_addr="broken@example.com", subject="s", text_body="t",
                                     attachments=[{"filename": "x.bin"}]))  # cannot be built
        db.session.commit()
    recipients = add_messages(app, 2)
    assert deliver(app) == 2
    smtp_server.inbox.wait_for(recipients[-1])
    statuses = [r.status for r in rows(app)]
    assert statuses[0] == OutboxStatus.PENDING and statuses[1:] == [OutboxStatus.SENT] * 2


PRODUCER = """
from types import SimpleNamespace
from coaching import create_app, db
from coaching.notify.outbox import queue_email

app = create_app()
with app.app_context():
    queue_email(db.session, "queued@example.com", "verify_email", user=SimpleNamespace(name="Q"),
                link="https://tandem.example/verify/q")
    db.session.commit()  # enqueues the delivery task on the queue
"""


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def queue_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for app processes whose Huey queue is in SQLite or in Redis."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TANDEM_TASKS", "HUEY_SQLITE_PATH")}
    env.update({"FLASK_APP": "app.py", "TANDEM_TASKS": request.param, "SECRET_KEY": "s" * 40,
                "HUEY_SQLITE_PATH": str(tmp_path / "huey.db")})
    if request.param == "sqlite":
        yield env
        return
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
        connection.flushdb()
    except redis.RedisError:
        unavailable("Redis", "TANDEM_REQUIRE_REDIS")
    env["REDIS_URL"] = REDIS_TEST_URL
    yield env
    connection.flushdb()
    connection.close()


def test_flask_worker_consumes_the_queue_and_delivers_exactly_once(
        app: Any, smtp_server: SMTPServer, database_url: str, queue_env: dict[str, str]) -> None:
    env = {**queue_env, "DATABASE_URL": database_url, "SMTP_URL": smtp_server.url}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "2"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        producer = subprocess.run([sys.executable, "-c", PRODUCER], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=60)
        assert producer.returncode == 0, producer.stderr[-2000:]
        [message] = smtp_server.inbox.wait_for("queued@example.com", timeout=30)
        assert "https://tandem.example/verify/q" in text_of(message)
    finally:
        worker.terminate()
        try:
            log = worker.communicate(timeout=15)[0]
        except subprocess.TimeoutExpired:
            worker.kill()
            log = worker.communicate()[0]
    assert "Traceback" not in log, log[-3000:]
    time.sleep(0.5)  # nothing more arrives
    assert len(smtp_server.inbox.to("queued@example.com")) == 1
    [row] = rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 1)
