"""Scheduling performance: the slot engine, the slots endpoint under gunicorn, and growth with history.

1. Slot engine: median time for a 60-day window, one coach with ~5,000 past bookings (2 years)
   and bookings in the 60 days ahead, all passed to the engine (the worst case: the service only
   loads bookings near the window).
2. ``GET /api/v1/coaches/<id>/slots`` (14 days) under gunicorn, 2 sync workers, PostgreSQL, 16
   concurrent connections from Python threads on 127.0.0.1, as a ratio to a bare Flask JSON
   endpoint (bench/bare_app.py) served the same way in the same run: once as deployed (the
   short-lived slot cache on) and once with SLOTS_CACHE_SECONDS=0 (every request computed).
3. Growth: the uncached endpoint after the history grows tenfold (~50,000 past bookings).
Bounded: each load phase runs for LOAD_SECONDS or MAX_REQUESTS, whichever comes first.
"""

from __future__ import annotations

import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from sqlalchemy import create_engine, text  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

from coaching.scheduling import slots as engine  # noqa: E402

LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", 8))
MAX_REQUESTS = 20_000
CONNECTIONS = 16
HOURS = tuple(engine.WeeklyHours(d, datetime.min.time().replace(hour=9), datetime.min.time().replace(hour=17))
              for d in range(5))


def history(now: datetime, past: int, ahead_days: int = 60) -> list[tuple[datetime, datetime]]:
    """``past`` non-overlapping 50-minute bookings going back from now, and ~3 a day ahead."""
    out, day = [], now.replace(hour=14, minute=0, second=0, microsecond=0)
    i = 0
    while len(out) < past:
        day_start = day - timedelta(days=1 + i // 8)
        start = day_start + timedelta(hours=i % 8)
        out.append((start, start + timedelta(minutes=50)))
        i += 1
    for d in range(1, ahead_days):
        for h in (0, 2, 5):
            start = now.replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=d, hours=h)
            out.append((start, start + timedelta(minutes=50)))
    return out


def bench_engine() -> None:
    now = datetime(2026, 11, 2, 15, tzinfo=UTC)
    busy = [engine.Busy(s, e, counts=True) for s, e in history(now, 5_000)]
    availability = engine.Availability("America/New_York", HOURS)
    rules = engine.SessionRules(duration_min=50, buffer_after_min=10, min_notice_hours=12, horizon_days=60,
                                slot_interval_min=30, daily_max=6)
    times = []
    for _ in range(60):
        started = time.perf_counter()
        found = engine.free_slots(availability, rules, busy, now, now + timedelta(days=60), now)
        times.append(time.perf_counter() - started)
    print(f"slot engine, 60-day window, {len(busy)} busy intervals: median {statistics.median(times) * 1000:.2f} ms "
          f"(p90 {sorted(times)[int(len(times) * .9)] * 1000:.2f} ms, {len(found)} slots)", flush=True)


# --- HTTP load ------------------------------------------------------------------------------------


def load(port: int, path: str) -> tuple[float, float]:
    """(requests per second, median latency ms) with CONNECTIONS threads for LOAD_SECONDS."""
    deadline = time.perf_counter() + LOAD_SECONDS
    lock, count, latencies, errors = threading.Lock(), [0], [], []

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                if count[0] >= MAX_REQUESTS:
                    return
                count[0] += 1
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors.append(response.status)
            finally:
                conn.close()
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} non-200 answers from {path}: {sorted(set(errors))}")
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


def serve(app_spec: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz" if "bare" not in app_spec else "/api/v1/bare")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start {app_spec}: {proc.stderr.read().decode()[-2000:]}")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(url: str, past: int, now: datetime) -> int:
    """A coach with weekly hours, a consultation type, and ``past`` + 60 days of bookings; returns the coach id."""
    engine_ = create_engine(url)
    with engine_.begin() as conn:
        conn.execute(text("TRUNCATE bookings, availability_rules, coach_session_types, coach_profiles, "
                          "session_types, users RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO users (email, name, password_hash, role, timezone, session_token, is_active, "
                          "created_at) VALUES ('c@example.com', 'Coach', 'x', 'coach', 'America/New_York', :t, true, :n)"),
                     {"t": uuid.uuid4().hex, "n": now})
        conn.execute(text("INSERT INTO coach_profiles (user_id, timezone, bio, languages, specialties, approaches, "
                          "formats, lgbtq_affirming, faith_based, safety_trained, accepting_new, max_active_couples, "
                          "created_at, updated_at) VALUES (1, 'America/New_York', '', '[]', '[]', '[]', '[]', false, "
                          "false, false, true, 10, :n, :n)"), {"n": now})
        conn.execute(text("INSERT INTO session_types (slug, name, duration_min, price_cents, currency, kind, "
                          "buffer_before_min, buffer_after_min, min_notice_hours, horizon_days, slot_interval_min, "
                          "daily_max, active, created_at) VALUES ('consultation', 'Consultation', 50, 0, 'usd', "
                          "'joint', 0, 10, 12, 60, 30, 6, true, :n)"), {"n": now})
        conn.execute(text("INSERT INTO coach_session_types VALUES (1, 1)"))
        for d in range(5):
            conn.execute(text("INSERT INTO availability_rules (coach_id, weekday, start_time, end_time) "
                              "VALUES (1, :d, '09:00', '17:00')"), {"d": d})
        rows = [{"s": s, "e": e, "st": "completed" if s < now else "confirmed", "u": uuid.uuid4().hex, "n": now}
                for s, e in history(now, past)]
        conn.execute(text("INSERT INTO bookings (coach_id, session_type_id, starts_at, ends_at, status, ical_uid, "
                          "ical_sequence, version, created_at) VALUES (1, 1, :s, :e, :st, :u, 0, 1, :n)"), rows)
        conn.execute(text("ANALYZE"))
    engine_.dispose()
    return 1


def bench_http() -> None:
    admin, name, url = create_database()
    try:
        now = datetime.now(UTC)
        today = now.date()
        path = (f"/api/v1/coaches/1/slots?session_type=consultation&start={today + timedelta(days=1)}"
                f"&end={today + timedelta(days=14)}&tz=Europe/London")
        env = {"DATABASE_URL": url, "TANDEM_TASKS": "inline", "SECRET_KEY": "bench-" + "x" * 40,
               "RATELIMIT_ENABLED": "0"}
        results = {}
        for past in (5_000, 50_000):
            seed(url, past, now)
            bare_port, app_port, cold_port = free_port(), free_port(), free_port()
            bare = serve("bench.bare_app:app", bare_port, env)
            tandem = serve("app:app", app_port, env)  # default SLOTS_CACHE_SECONDS (2 s)
            uncached = serve("app:app", cold_port, {**env, "SLOTS_CACHE_SECONDS": "0"})
            try:
                load(bare_port, "/api/v1/bare")  # warm-up, not counted
                load(app_port, path)
                load(cold_port, path)
                bare_rps, bare_ms = load(bare_port, "/api/v1/bare")
                slots_rps, slots_ms = load(app_port, path)
                cold_rps, cold_ms = load(cold_port, path)
            finally:
                for proc in (bare, tandem, uncached):
                    stop(proc)
            results[past] = (cold_rps, cold_ms)
            print(f"history {past:>6}: bare Flask {bare_rps:7.1f} req/s (median {bare_ms:.1f} ms); slots endpoint "
                  f"{slots_rps:7.1f} req/s (median {slots_ms:.1f} ms), ratio {slots_rps / bare_rps:.2f}; "
                  f"without the slot cache {cold_rps:7.1f} req/s (median {cold_ms:.1f} ms), "
                  f"ratio {cold_rps / bare_rps:.2f}", flush=True)
        growth = results[50_000][1] / results[5_000][1]
        print(f"growth of the uncached slots endpoint's median time when history grows 10x: {growth:.2f}x",
              flush=True)
    finally:
        drop_database(admin, name)


if __name__ == "__main__":
    random.seed(1)
    bench_engine()
    bench_http()
