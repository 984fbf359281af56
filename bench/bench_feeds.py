"""Private calendar feed of a busy coach, measured with wrk against the bare Flask floor.

A coach with 2,000 bookings in the feed's window (their couples' sessions, 8 a weekday from 80
days ago onwards) on PostgreSQL; ``GET /calendar/feed/<token>.ics`` under gunicorn (2 sync
workers) with wrk (2 threads, 8 connections), as a ratio to ``bench/bare_app.py`` served the
same way in the same run: once a full fetch (the whole document built), once a calendar
program's revalidation (``If-None-Match`` with the current ETag, answered 304).

    .venv/bin/python bench/bench_feeds.py        (needs wrk and PostgreSQL on 127.0.0.1)
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from time import perf_counter
import urllib.error
import urllib.request
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from bench.bench_scheduling import free_port, serve, stop  # noqa: E402
from bench.throwaway_db import create_database, drop_database  # noqa: E402

BOOKINGS = 2_000
SECONDS = os.environ.get("BENCH_LOAD_SECONDS", "8")


def seed(url: str, now: datetime) -> str:
    """The coach, three couples and BOOKINGS bookings; returns the coach's feed token."""
    from coaching import create_app, db
    from coaching.accounts.models import Role, User
    from coaching.coaches.models import CoachProfile
    from coaching.config import TestConfig
    from coaching.feeds.services import issue_feed
    from coaching.intake.models import Couple, Partner
    from coaching.scheduling.models import Booking, BookingStatus, SessionType

    app = create_app(TestConfig(DATABASE_URL=url))
    with app.app_context():
        coach_user = User(email="coach@example.com", name="Casey Coach", role=Role.COACH, password_hash="x",
                          timezone="America/New_York")
        db.session.add(coach_user)
        db.session.flush()
        coach = CoachProfile(user_id=coach_user.id, timezone="America/New_York")
        session_type = SessionType(slug="consultation", name="Consultation", duration_min=50)
        db.session.add_all([coach, session_type])
        couples = []
        for n in range(3):
            couple = Couple()
            db.session.add(couple)
            db.session.flush()
            for slot in "ab":
                user = User(email=f"p{n}{slot}@example.com", name=f"Partner {n}{slot}", role=Role.CLIENT,
                            password_hash="x", timezone="Europe/London")
                db.session.add(user)
                db.session.flush()
                db.session.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id, timezone="Europe/London"))
            couples.append(couple.id)
        db.session.flush()
        day, made = (now - timedelta(days=80)).date(), 0
        while made < BOOKINGS:
            if day.weekday() < 5:
                for hour in range(9, 17):
                    start = datetime.combine(day, time(hour), tzinfo=UTC)
                    db.session.add(Booking(
                        coach_id=coach.id, session_type_id=session_type.id, couple_id=couples[made % 3],
                        starts_at=start, ends_at=start + timedelta(minutes=50), confirmed_at=now,
                        status=BookingStatus.COMPLETED if start < now else BookingStatus.CONFIRMED,
                        ical_uid=f"bench-{made}@tandem", video_url=f"https://meet.jit.si/tandem-bench{made:06d}"))
                    made += 1
                    if made == BOOKINGS:
                        break
            day += timedelta(days=1)
        db.session.commit()
        token = issue_feed(db.session, coach_user, now)
        db.session.remove()
        return token


def wrk(port: int, path: str, *headers: str) -> float:
    """Requests per second (wrk: 2 threads, 8 connections); refuses a run with non-2xx/3xx answers."""
    args = ["wrk", "-t2", "-c8", f"-d{SECONDS}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                         check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"errors from {path}:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def one_at_a_time(port: int, path: str, etag: str | None = None) -> float:
    """Median milliseconds of 20 sequential requests (no queueing: what one calendar program waits)."""
    times = []
    for _ in range(20):
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"If-None-Match": etag} if etag else {})
        started = perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:  # urllib raises on 304
            if exc.code != 304:
                raise
        times.append((perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    admin, name, url = create_database()
    try:
        token = seed(url, datetime.now(UTC))
        env = {"DATABASE_URL": url, "TANDEM_TASKS": "inline", "SECRET_KEY": "bench-" + "x" * 40,
               "RATELIMIT_ENABLED": "0"}
        bare_port, app_port = free_port(), free_port()
        bare = serve("bench.bare_app:app", bare_port, env)
        tandem = serve("app:app", app_port, env)
        path = f"/calendar/feed/{token}.ics"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{app_port}{path}", timeout=30) as first:
                etag, size = first.headers["ETag"], len(first.read())
            wrk(bare_port, "/api/v1/bare")  # warm-up, not counted
            wrk(app_port, path)
            bare_rps = wrk(bare_port, "/api/v1/bare")
            full_rps = wrk(app_port, path)
            cached_rps = wrk(app_port, path, f"If-None-Match: {etag}")
            full_ms, cached_ms = one_at_a_time(app_port, path), one_at_a_time(app_port, path, etag)
        finally:
            stop(bare)
            stop(tandem)
        print(f"coach feed, {BOOKINGS} bookings ({size / 1024:.0f} KiB): bare Flask {bare_rps:.1f} req/s; "
              f"full feed {full_rps:.1f} req/s (ratio {full_rps / bare_rps:.3f}, {1000 / full_rps * 2:.0f} ms per "
              f"request per worker); revalidation 304 {cached_rps:.1f} req/s (ratio {cached_rps / bare_rps:.3f}); "
              f"one request at a time: full {full_ms:.0f} ms, 304 {cached_ms:.0f} ms (median of 20)",
              flush=True)
    finally:
        drop_database(admin, name)


if __name__ == "__main__":
    main()
