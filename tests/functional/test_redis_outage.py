"""With Redis down the app degrades instead of failing (a real Redis the test stops and restarts).

The app runs as production does with ``REDIS_URL``: rate limits in Redis, tasks queued in
Redis. Redis is the test's own (``tests/redis_server.py``), never the shared one.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coaching import db
from coaching.config import TEST_DATA_KEY
from coaching.notify.models import OutboxMessage, OutboxStatus
from tests.conftest import PASSWORD, csrf_token, login
from tests.redis_server import RedisServer
from tests.scheduling_data import create_coach, create_couple, create_session_type
from tests.smtp import SMTPServer

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]
FALLBACK = "falling back to in-memory storage"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path, password="outage-test-redis-password").start()
    yield server
    server.stop()


@pytest.fixture
def config_overrides(redis_server: RedisServer) -> dict[str, Any]:
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_server.url, "REDIS_URL": redis_server.url,
            "TASKS_MODE": "redis"}


def post_form(client: Any, path: str, ip: str = "203.0.113.7", **data: str) -> Any:
    return client.post(path, data={**data, "csrf_token": csrf_token(client, path)},
                       environ_base={"REMOTE_ADDR": ip})


def test_login_register_and_forgot_answer_normally_while_redis_is_stopped(
        app: Any, client: Any, create_user: Any, redis_server: RedisServer, caplog: Any) -> None:
    from coaching.extensions import limiter

    user = create_user("sam@example.com")
    assert type(limiter.storage).__name__ == "RedisStorage"
    redis_server.stop()
    caplog.set_level(logging.INFO)

    started = time.monotonic()
    assert login(client, user.email).status_code == 302  # signed in
    first_request_seconds = time.monotonic() - started
    assert FALLBACK in caplog.text  # the switch to memory is logged
    client.post("/account/logout", data={"csrf_token": csrf_token(client, "/account/settings")})

    wrong = post_form(client, "/account/login", email=user.email, password="not the password")
    assert wrong.status_code == 200 and "Traceback" not in wrong.get_data(as_text=True)
    registered = post_form(client, "/account/register", name="Robin", email="robin@example.com",
                           password=PASSWORD, timezone="Europe/London")
    assert registered.status_code == 303
    assert "Check your email" in client.get(registered.headers["Location"]).get_data(as_text=True)
    forgot = post_form(client, "/account/forgot", email=user.email)
    assert forgot.status_code in (200, 302)
    assert "task queue unavailable" in caplog.text  # the emails wait in the outbox for the sweep
    with app.app_context():
        kinds = {m.kind: m.status for m in db.session.scalars(select(OutboxMessage))}
    assert kinds == {"verify_email": OutboxStatus.PENDING, "reset_password": OutboxStatus.PENDING}
    assert first_request_seconds < 3, first_request_seconds  # a dead Redis fails fast


def test_rate_limits_still_hold_in_memory_while_redis_is_stopped(
        app: Any, client: Any, redis_server: RedisServer) -> None:
    redis_server.stop()
    statuses = [post_form(client, "/account/login", ip="198.51.100.9", email=f"x{i}@example.com",
                          password="wrong password!").status_code for i in range(40)]
    assert 500 not in statuses
    assert 429 in statuses  # fail closed to memory, not open


def health(client: Any) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    assert response.is_json and "outage-test-redis-password" not in response.get_data(as_text=True)
    return response.status_code, response.get_json()


def test_healthz_reports_degraded_while_redis_is_stopped_and_ok_when_it_returns(
        app: Any, client: Any, redis_server: RedisServer) -> None:
    status, body = health(client)
    assert (status, body["status"]) == (200, "ok"), body
    assert body["checks"]["redis"] == {"status": "ok"}

    redis_server.stop()
    login(client, "nobody@example.com")  # the limiter notices and falls back
    status, body = health(client)
    assert (status, body["status"]) == (200, "degraded"), body
    checks = body["checks"]
    assert checks["database"] == {"status": "ok"}
    assert checks["redis"]["status"] == "down"
    assert checks["task_queue"]["status"] == "degraded" and checks["task_queue"]["mode"] == "redis"
    assert checks["rate_limits"]["status"] == "degraded"
    assert checks["email"] == {"status": "ok", "mode": "memory"}

    redis_server.start()
    status, body = health(client)
    assert (status, body["status"]) == (200, "ok"), body
    assert body["checks"]["rate_limits"] == {"status": "ok", "storage": "redis"}


# --- a booking during the outage ------------------------------------------------------------

BOTH_FREE = ({"tue": [["09:00", "12:00"]]}, {"tue": [["14:00", "18:00"]]})


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "2"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop_worker(worker: subprocess.Popen[str]) -> str:
    worker.terminate()
    try:
        return worker.communicate(timeout=15)[0]
    except subprocess.TimeoutExpired:
        worker.kill()
        return worker.communicate()[0]


class TestABookingDuringTheOutage:
    @pytest.fixture
    def config_overrides(self, redis_server: RedisServer, smtp_server: SMTPServer) -> dict[str, Any]:
        return {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": redis_server.url,
                "REDIS_URL": redis_server.url, "TASKS_MODE": "redis", "SMTP_URL": smtp_server.url}

    @pytest.mark.parametrize("worker_runs", ["after the outage", "through the outage"])
    def test_is_confirmed_and_its_emails_are_sent_once_by_the_sweep_after_redis_returns(
            self, app: Any, client: Any, frozen_clock: Any, redis_server: RedisServer, smtp_server: SMTPServer,
            database_url: str, caplog: Any, worker_runs: str) -> None:
        with app.app_context():
            coach = create_coach(session_types=[create_session_type("consultation")])
            create_couple("ana@example.com", "ben@example.com", free_times=BOTH_FREE)
            coach_id = coach.id
        login(client, "ana@example.com")
        path = f"/book/{coach_id}/consultation"
        token = csrf_token(client, path)
        env = {k: v for k, v in os.environ.items() if k not in ("TANDEM_TASKS", "HUEY_SQLITE_PATH")}
        env.update({"FLASK_APP": "app.py", "TANDEM_TASKS": "redis", "REDIS_URL": redis_server.url,
                    "DATABASE_URL": database_url, "SMTP_URL": smtp_server.url, "SECRET_KEY": "s" * 40,
                    "TANDEM_DATA_KEYS": TEST_DATA_KEY})
        # A worker sweeps the outbox as it starts and then once a minute.
        worker = start_worker(env) if worker_runs == "through the outage" else None
        try:
            if worker is not None:
                time.sleep(3)  # its first sweep (of an empty outbox) is done
            redis_server.stop()
            caplog.set_level(logging.WARNING)
            response = client.post(path, data={"csrf_token": token, "start": "2026-11-03T14:00:00+00:00"})
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
            assert "Your appointment is confirmed" in confirmation
            assert "task queue unavailable" in caplog.text
            with app.app_context():
                rows = list(db.session.scalars(select(OutboxMessage)))
            assert sorted(r.to_addr for r in rows) == ["ana@example.com", "ben@example.com", "coach@example.com"]
            assert {(r.status, r.attempts) for r in rows} == {(OutboxStatus.PENDING, 0)}

            redis_server.start()
            worker = worker or start_worker(env)
            for to in ("ana@example.com", "ben@example.com", "coach@example.com"):
                smtp_server.inbox.wait_for(to, timeout=90)
            time.sleep(1)  # nothing more arrives
        finally:
            log = stop_worker(worker) if worker is not None else ""
        assert Counter(m["X-Envelope-To"] for m in smtp_server.inbox.messages) == Counter(
            {"ana@example.com": 1, "ben@example.com": 1, "coach@example.com": 1}), log[-3000:]
        with app.app_context():
            db.session.expire_all()
            rows = list(db.session.scalars(select(OutboxMessage)))
        assert {(r.status, r.attempts, r.text_body) for r in rows} == {(OutboxStatus.SENT, 1, None)}


# --- enqueueing never raises -----------------------------------------------------------------


def test_every_task_asked_for_after_a_commit_returns_at_once_when_the_queue_is_down(
        app: Any, redis_server: RedisServer, caplog: Any) -> None:
    from coaching.notify.tasks import deliver_outbox
    from coaching.payments.tasks import expire_checkout_sessions, send_refunds

    redis_server.stop()
    caplog.set_level(logging.WARNING, logger="tandem.queue")
    with app.app_context():
        for call in (deliver_outbox, send_refunds, lambda: expire_checkout_sessions(["cs_test_1"])):
            started = time.monotonic()
            assert call() is None
            assert time.monotonic() - started < 1.5
    assert caplog.text.count("task queue unavailable") == 3
