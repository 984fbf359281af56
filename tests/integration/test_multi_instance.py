"""Two web instances and two workers on one PostgreSQL and one Redis, as production scales out.

Each web instance is a gunicorn master started from the repository's ``gunicorn.conf.py`` with
two sync workers; each worker is a ``flask worker`` consumer with two threads and the periodic
tasks on. Nothing is shared between them but PostgreSQL, Redis, the data keys and the secret
key. Across instances: racing clients leave one winner; every email is delivered exactly once
though four consumers poll one queue; and a booking made through one instance disappears from
the other instance's slot answers at once, whatever each process had cached.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.services import create_api_token
from coaching.config import TEST_DATA_KEY
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.scheduling.models import Booking, BookingStatus
from tests.conftest import REDIS_TEST_URL, truncate_postgres, unavailable
from tests.racing import call_json, race
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
RACERS = 40
SPREAD = 12  # couples booking different slots at once, for the exactly-once emails

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(240)]


@pytest.fixture
def database_url(postgres_database: str) -> str:
    truncate_postgres(postgres_database)
    return postgres_database


@pytest.fixture
def redis_url() -> Iterator[str]:
    import redis

    try:
        connection = redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=2)
        connection.flushdb()
    except redis.RedisError:
        unavailable("Redis", "TANDEM_REQUIRE_REDIS")
    yield REDIS_TEST_URL
    connection.flushdb()
    connection.close()


@dataclass
class Cluster:
    web: list[str]  # base URLs of the two instances
    logs: list[Path]


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"{url} did not become healthy:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def cluster(app: Any, database_url: str, redis_url: str, smtp_server: Any, tmp_path: Path) -> Iterator[Cluster]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TANDEM_", "REDIS_", "SMTP_", "DATABASE_", "WEB_CONCURRENCY"))}
    env.update({
        "FLASK_APP": "app.py", "DATABASE_URL": database_url, "REDIS_URL": redis_url, "TANDEM_TASKS": "redis",
        "SMTP_URL": smtp_server.url, "SECRET_KEY": "multi-instance-secret-" + "k" * 32,
        "TANDEM_DATA_KEYS": TEST_DATA_KEY, "MAIL_DIR": "", "WEB_CONCURRENCY": "2",
        "TANDEM_BASE_URL": "http://tandem.test", "PYTHONUNBUFFERED": "1",
    })
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log = tmp_path / f"{name}.log"
        logs.append(log)
        # A file, not a pipe: a full pipe would block the process mid-test.
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        processes.append(process)
        return process

    web = []
    try:
        for i in (1, 2):
            port = free_port()
            process = start(f"web{i}", [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                                        "-b", f"127.0.0.1:{port}", "app:app"])
            web.append((f"http://127.0.0.1:{port}", process))
        for i in (1, 2):
            start(f"worker{i}", [sys.executable, "-m", "flask", "worker", "--workers", "2"])
        for (url, process), log in zip(web, logs):
            _wait_healthy(url, process, log)
        yield Cluster(web=[url for url, _ in web], logs=logs)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    for log in logs:
        text = log.read_text(errors="replace")
        assert "Traceback" not in text, f"{log.name}:\n{text[-4000:]}"


@pytest.fixture
def practice(app: Any) -> tuple[int, list[str]]:
    """A coach with a free 60-minute consultation every hour, 9 to 17 New York time, every day,
    and one-partner couples with API tokens (each books with their own token)."""
    with app.app_context():
        st = create_session_type("consultation", duration_min=60, slot_interval_min=60)
        coach = create_coach(session_types=[st])
        tokens = []
        for i in range(RACERS):
            create_couple(f"c{i}@example.com", timezones=("America/Chicago",))
            tokens.append(create_api_token(db.session, user_by_email(f"c{i}@example.com"), "scale"))
        db.session.commit()
        return coach.id, tokens


def slot_starts(base: str, coach_id: int, days: int = 6) -> list[str]:
    first = datetime.now(UTC).date() + timedelta(days=2)
    status, body = call_json("GET", f"{base}/api/v1/coaches/{coach_id}/slots?session_type=consultation"
                               f"&start={first}&end={first + timedelta(days=days)}&tz=UTC")
    assert status == 200, body
    return [s["start"] for s in body["slots"]]


def book(base: str, token: str, coach_id: int, start: str) -> tuple[int, dict[str, Any]]:
    return call_json("POST", f"{base}/api/v1/bookings", token,
                {"coach_id": coach_id, "session_type": "consultation", "start": start})


def test_racing_clients_on_two_instances_leave_one_winner_and_every_email_goes_exactly_once(
        app: Any, cluster: Cluster, practice: tuple[int, list[str]], smtp_server: Any) -> None:
    coach_id, tokens = practice
    starts = slot_starts(cluster.web[1], coach_id)
    contested = starts[0]

    # 1. RACERS clients, alternating between the two instances, want the same hour.
    results = race([lambda i=i: book(cluster.web[i % 2], tokens[i], coach_id, contested) for i in range(RACERS)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * (RACERS - 1), statuses
    [winner] = [i for i, (status, _) in enumerate(results) if status == 201]
    assert all(body["error"]["code"] == "slot_taken" for status, body in results if status == 409)

    # 2. Twelve other clients each book a different hour at once, through both instances: the
    # confirmations are twelve tasks for four consumers polling one Redis queue.
    others = [i for i in range(RACERS) if i != winner][:SPREAD]
    spread = race([lambda i=i, s=s: book(cluster.web[i % 2], tokens[i], coach_id, s)
                   for i, s in zip(others, starts[1:SPREAD + 1])])
    assert [status for status, _ in spread] == [201] * SPREAD, spread

    with app.app_context():
        booked = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).all()
        assert len(booked) == SPREAD + 1
        assert len({b.starts_at for b in booked}) == SPREAD + 1

    # Each client is told once; the coach once per booking.
    for i in [winner, *others]:
        smtp_server.inbox.wait_for(f"c{i}@example.com", count=1, timeout=60)
    smtp_server.inbox.wait_for("coach@example.com", count=SPREAD + 1, timeout=60)
    time.sleep(3)  # let any duplicate that four consumers could produce arrive
    for i in [winner, *others]:
        assert len(smtp_server.inbox.to(f"c{i}@example.com")) == 1, i
    losers = set(range(RACERS)) - {winner, *others}
    assert not any(smtp_server.inbox.to(f"c{i}@example.com") for i in losers)
    assert len(smtp_server.inbox.to("coach@example.com")) == SPREAD + 1
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert rows and all((r.status, r.attempts) == (OutboxStatus.SENT, 1) for r in rows), \
            [(r.id, r.status, r.attempts) for r in rows]


def test_a_booking_through_one_instance_leaves_the_other_instances_slot_answers_at_once(
        cluster: Cluster, practice: tuple[int, list[str]]) -> None:
    coach_id, tokens = practice
    one, two = cluster.web
    for round_ in range(3):
        # Warm every worker of instance two (each process has its own slot cache).
        before = [slot_starts(two, coach_id) for _ in range(8)]
        target = before[0][0]
        assert all(answer == before[0] for answer in before)
        status, body = book(one, tokens[round_], coach_id, target)
        assert status == 201, body
        # Immediately, well inside SLOTS_CACHE_SECONDS: no worker of instance two offers it.
        after = [slot_starts(two, coach_id) for _ in range(8)]
        assert all(target not in answer for answer in after), round_
        assert all(answer == before[0][1:] for answer in after)
