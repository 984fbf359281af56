"""Dispatching 10,000 due reminders on PostgreSQL, per second, with one worker and with two.

A throwaway PostgreSQL database (migrated to "heads", dropped at the end) gets 25 coaches, 50
couples and 3,750 confirmed future sessions (2,500 joint: both partners and the coach;
1,250 individual: the partner who booked and the coach), hence BENCH_REMINDERS (10,000)
reminder rows, all due now. Each run resets them to pending and empties the outbox, then
starts 1 or 2 worker processes (``dispatch_due``, batches of 500: claim, render, queue the
email in the outbox, commit), released together; the time is from the release to the last
worker's end. The email delivery the outbox asks for after each commit is queued in a Huey
SQLite file (not run), as under ``flask worker``; delivering is the outbox's own benchmark.
Checks every run: each reminder sent once, one outbox row each.

Run: ``.venv/bin/python bench/bench_reminders.py`` (BENCH_RUNS=2, BENCH_REMINDERS, TANDEM_TEST_PG).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 2))
TOTAL = int(os.environ.get("BENCH_REMINDERS", 10_000))
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
ZONES = ("America/New_York", "Europe/London", "Australia/Sydney", "Asia/Tokyo", "UTC")

WORKER = """
import json, sys, time
from datetime import datetime
from pathlib import Path
from coaching import create_app, db
from coaching.config import TestConfig
from coaching.reminders.services import dispatch_due

app = create_app(TestConfig(DATABASE_URL=sys.argv[1], TASKS_MODE="sqlite", HUEY_SQLITE_PATH=sys.argv[4]))
go = Path(sys.argv[3])
while not go.exists():
    time.sleep(0.002)
started = time.time()
with app.app_context():
    counts = dict(dispatch_due(db.session, datetime.fromisoformat(sys.argv[2])))
print(json.dumps({"started": started, "ended": time.time(), "counts": counts}))
"""


def populate(url: str) -> None:
    """Coaches, couples, sessions and one due reminder per (session, person who may see it)."""
    os.environ["DATABASE_URL"] = url
    from coaching import create_app, db
    from coaching.accounts.models import Role, User
    from coaching.coaches.models import CoachProfile
    from coaching.config import TestConfig
    from coaching.intake.models import Couple, Partner
    from coaching.reminders.models import Reminder
    from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        s = db.session
        joint = SessionType(slug="couples-session", name="Couples session", duration_min=50, kind=SessionKind.JOINT)
        solo = SessionType(slug="individual-session", name="Individual session", duration_min=50,
                           kind=SessionKind.INDIVIDUAL)
        s.add_all([joint, solo])
        coaches = []
        for c in range(25):
            user = User(email=f"coach{c}@example.com", name=f"Coach {c}", role=Role.COACH, password_hash="x",
                        timezone=ZONES[c % len(ZONES)], email_verified_at=NOW)
            s.add(user)
            s.flush()
            coach = CoachProfile(user_id=user.id, timezone=user.timezone)
            s.add(coach)
            coaches.append((coach, user))
        couples = []
        for n in range(50):
            couple = Couple()
            s.add(couple)
            s.flush()
            users = []
            for slot in "ab":
                user = User(email=f"p{n}{slot}@example.com", name=f"Partner {n}{slot}", role=Role.CLIENT,
                            password_hash="x", timezone=ZONES[(n + (slot == "b")) % len(ZONES)], email_verified_at=NOW)
                s.add(user)
                s.flush()
                s.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id, timezone=user.timezone, free_times={}))
                users.append(user)
            couples.append((couple, users))
        s.flush()
        rows, made, k = [], 0, 0
        while made < TOTAL:
            coach, coach_user = coaches[k % len(coaches)]
            couple, users = couples[k % len(couples)]
            individual = k % 3 == 2
            start = NOW + timedelta(hours=2 + k // len(coaches))
            booking = Booking(coach_id=coach.id, session_type_id=(solo if individual else joint).id,
                              couple_id=couple.id, booked_by_id=users[k % 2].id, starts_at=start,
                              ends_at=start + timedelta(minutes=50), status=BookingStatus.CONFIRMED,
                              confirmed_at=NOW, ical_uid=f"{uuid.uuid4()}@bench",
                              video_url=f"https://meet.jit.si/tandem-{uuid.uuid4().hex}")
            s.add(booking)
            s.flush()
            people = [users[k % 2].id] if individual else [u.id for u in users]
            for user_id in people + [coach_user.id]:
                if made < TOTAL:
                    rows.append({"booking_id": booking.id, "user_id": user_id, "offset_minutes": 60,
                                 "due_at": NOW - timedelta(minutes=1), "state": "pending", "created_at": NOW})
                    made += 1
            k += 1
        s.execute(Reminder.__table__.insert(), rows)
        s.commit()
    db.session.remove()
    db.get_engine().dispose()


def reset(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(text("UPDATE reminders SET sent_at = NULL, state = 'pending'"))
        conn.execute(text("DELETE FROM outbox_messages"))


def run(url: str, workers: int, where: Path) -> float:
    """Dispatch everything with ``workers`` processes; return reminders per second."""
    go = where / f"go-{uuid.uuid4().hex}"
    huey_path = where / f"huey-{uuid.uuid4().hex}.db"
    env = {**os.environ, "TANDEM_TASKS": "sqlite", "HUEY_SQLITE_PATH": str(huey_path)}
    env.pop("REDIS_URL", None)
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, NOW.isoformat(), str(go), str(huey_path)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(workers)]
    time.sleep(3)  # every interpreter has imported the app
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=900)
        if p.returncode != 0:
            raise SystemExit(err[-3000:])
        results.append(json.loads(out.strip().splitlines()[-1]))
    sent = sum(r["counts"].get("sent", 0) for r in results)
    if sent != TOTAL:
        raise SystemExit(f"expected {TOTAL} sent, got {[r['counts'] for r in results]}")
    per_worker = [r["counts"].get("sent", 0) for r in results]
    wall = max(r["ended"] for r in results) - min(r["started"] for r in results)
    print(f"  {workers} worker(s): {TOTAL} reminders in {wall:.2f} s = {TOTAL / wall:,.0f} per second"
          f" (each worker sent {per_worker})", flush=True)
    return TOTAL / wall


def check(engine) -> None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        pending = conn.scalar(text("SELECT count(*) FROM reminders WHERE sent_at IS NULL"))
        outbox = conn.scalar(text("SELECT count(*) FROM outbox_messages WHERE kind = 'booking_reminder'"))
        distinct = conn.scalar(text("SELECT count(DISTINCT to_addr) FROM outbox_messages"))
    assert pending == 0 and outbox == TOTAL, (pending, outbox)
    assert distinct > 100, distinct


def main() -> None:
    admin, name, url = create_database()
    try:
        t0 = time.perf_counter()
        populate(url)
        print(f"{TOTAL} due reminders on PostgreSQL (set up in {time.perf_counter() - t0:.1f} s)", flush=True)
        engine = create_engine(url)
        figures: dict[int, list[float]] = {1: [], 2: []}
        with tempfile.TemporaryDirectory() as where:
            for _ in range(RUNS):
                for workers in (1, 2):
                    reset(engine)
                    figures[workers].append(run(url, workers, Path(where)))
                    check(engine)
        one, two = statistics.median(figures[1]), statistics.median(figures[2])
        print(f"median of {RUNS} runs: 1 worker {one:,.0f}/s, 2 workers {two:,.0f}/s "
              f"(ratio 2:1 = {two / one:.2f}x); each reminder sent exactly once every run")
        engine.dispose()
    finally:
        drop_database(admin, name)


if __name__ == "__main__":
    main()
