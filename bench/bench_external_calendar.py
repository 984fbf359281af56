"""The slots endpoint for a coach whose calendar elsewhere holds 2,000 events, against the same
coach without one, measured with wrk in one run (target: under 1.3x the time).

Two coaches with the same hours, session type and bookings (~3 a day for 60 days) in a
throwaway PostgreSQL database; the second also has a connected calendar whose 2,000 events
(spread over the 120 days Tandem reads ahead, some recurring, some all-day) were turned into
busy intervals by the same code a sync uses (``coaching.calendars.busy``). The app runs under
gunicorn (2 sync workers) with the slot cache off, so every request is computed. wrk loads
``GET /api/v1/coaches/<id>/slots`` (14 days) for each coach in turn, twice, and the best run of
each counts.

    .venv/bin/python bench/bench_external_calendar.py        (BENCH_LOAD_SECONDS=8 by default)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.bench_scheduling import free_port, serve, stop  # noqa: E402
from bench.throwaway_db import create_database, drop_database  # noqa: E402
from coaching.calendars.busy import busy_intervals, merged  # noqa: E402
from coaching.crypto import encrypt  # noqa: E402

LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", 8))
EVENTS = 2_000
DATA_KEY = Fernet.generate_key().decode()


def external_ics(now: datetime, count: int = EVENTS) -> str:
    """A calendar of ``count`` events over the next 120 days: mostly 45-minute appointments at
    varied hours, every 50th a weekly recurring one (4 occurrences), every 40th all-day."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//EN"]
    base = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for i in range(count):
        day = base + timedelta(days=(i * 120) // count)
        lines += ["BEGIN:VEVENT", f"UID:bench-{i}@elsewhere", "DTSTAMP:20261101T000000Z"]
        if i % 40 == 0:
            lines += [f"DTSTART;VALUE=DATE:{day:%Y%m%d}", f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}"]
        else:
            start = day + timedelta(hours=6 + (i * 7) % 16, minutes=15 * (i % 4))
            lines += [f"DTSTART:{start:%Y%m%dT%H%M%SZ}", f"DTEND:{start + timedelta(minutes=45):%Y%m%dT%H%M%SZ}"]
            if i % 50 == 1:
                lines.append("RRULE:FREQ=WEEKLY;COUNT=4")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def seed(url: str, now: datetime) -> int:
    """Two identical coaches (ids 1 and 2); coach 2 has the external calendar. Returns its busy row count."""
    engine = create_engine(url)
    ics = external_ics(now)
    started = time.perf_counter()
    intervals = busy_intervals(ics, now - timedelta(days=1), now + timedelta(days=120), "America/New_York")
    parse_ms = (time.perf_counter() - started) * 1000
    busy_rows = merged(intervals)
    with engine.begin() as conn:
        for n in (1, 2):
            conn.execute(text("INSERT INTO users (email, name, password_hash, role, timezone, session_token, "
                              "is_active, created_at) VALUES (:e, 'Coach', 'x', 'coach', 'America/New_York', :t, "
                              "true, :n)"), {"e": f"c{n}@example.com", "t": uuid.uuid4().hex, "n": now})
            conn.execute(text("INSERT INTO coach_profiles (user_id, timezone, bio, languages, specialties, approaches, "
                              "formats, lgbtq_affirming, faith_based, safety_trained, accepting_new, "
                              "max_active_couples, created_at, updated_at) VALUES (:u, 'America/New_York', '', '[]', "
                              "'[]', '[]', '[]', false, false, false, true, 10, :n, :n)"), {"u": n, "n": now})
        conn.execute(text("INSERT INTO session_types (slug, name, duration_min, price_cents, currency, kind, "
                          "buffer_before_min, buffer_after_min, min_notice_hours, horizon_days, slot_interval_min, "
                          "daily_max, active, created_at) VALUES ('consultation', 'Consultation', 50, 0, 'usd', "
                          "'joint', 0, 10, 12, 60, 30, 6, true, :n)"), {"n": now})
        for coach in (1, 2):
            conn.execute(text("INSERT INTO coach_session_types VALUES (:c, 1)"), {"c": coach})
            for d in range(5):
                conn.execute(text("INSERT INTO availability_rules (coach_id, weekday, start_time, end_time) "
                                  "VALUES (:c, :d, '09:00', '17:00')"), {"c": coach, "d": d})
            rows = []
            for d in range(1, 60):
                for h in (0, 2, 5):
                    start = now.replace(hour=14, minute=0, second=0, microsecond=0) + timedelta(days=d, hours=h)
                    rows.append({"c": coach, "s": start, "e": start + timedelta(minutes=50), "u": uuid.uuid4().hex,
                                 "n": now})
            conn.execute(text("INSERT INTO bookings (coach_id, session_type_id, starts_at, ends_at, status, ical_uid, "
                              "ical_sequence, version, created_at) VALUES (:c, 1, :s, :e, 'confirmed', :u, 0, 1, :n)"),
                         rows)
        conn.execute(text("INSERT INTO external_calendars (coach_id, kind, url, created_at, last_success_at, "
                          "last_attempt_at) VALUES (2, 'ics', :url, :n, :n, :n)"),
                     {"url": encrypt("https://calendar.example.com/secret.ics", DATA_KEY), "n": now})
        conn.execute(text("INSERT INTO external_busy (calendar_id, coach_id, starts_at, ends_at, synced_at) "
                          "VALUES (1, 2, :s, :e, :n)"),
                     [{"s": lo, "e": hi, "n": now} for lo, hi in busy_rows])
        conn.execute(text("ANALYZE"))
    engine.dispose()
    print(f"external calendar: {EVENTS} events -> {len(intervals)} busy intervals in 120 days, {len(busy_rows)} rows "
          f"once merged (parsed and expanded in {parse_ms:.0f} ms)", flush=True)
    return len(busy_rows)


def wrk(port: int, path: str) -> tuple[float, str]:
    """(requests per second, latency line) from wrk: 2 threads, 8 connections, LOAD_SECONDS."""
    out = subprocess.run(["wrk", "-t2", "-c8", f"-d{int(LOAD_SECONDS)}s", "--latency", f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"non-2xx answers from {path}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    median = re.search(r"50%\s+(\S+)", out).group(1)
    return rps, median


def main() -> None:
    admin, name, url = create_database()
    proc = None
    try:
        now = datetime.now(UTC)
        seed(url, now)
        today = now.date()
        query = (f"/slots?session_type=consultation&start={today + timedelta(days=1)}"
                 f"&end={today + timedelta(days=14)}&tz=Europe/London")
        port = free_port()
        proc = serve("app:app", port, {"DATABASE_URL": url, "TANDEM_TASKS": "inline", "SECRET_KEY": "bench-" + "x" * 40,
                                       "RATELIMIT_ENABLED": "0", "SLOTS_CACHE_SECONDS": "0", "TANDEM_DATA_KEYS": DATA_KEY})
        plain, external = f"/api/v1/coaches/1{query}", f"/api/v1/coaches/2{query}"
        subprocess.run(["wrk", "-t1", "-c2", "-d2s", f"http://127.0.0.1:{port}{plain}"], capture_output=True, check=True)
        subprocess.run(["wrk", "-t1", "-c2", "-d2s", f"http://127.0.0.1:{port}{external}"], capture_output=True,
                       check=True)
        runs: dict[str, list[tuple[float, str]]] = {"plain": [], "external": []}
        for _ in range(3):  # interleaved, so a noisy neighbour hurts both alike
            runs["plain"].append(wrk(port, plain))
            runs["external"].append(wrk(port, external))
        best = {k: max(v) for k, v in runs.items()}
        for label, key in (("without an external calendar", "plain"), ("with 2,000 external events", "external")):
            rps, median = best[key]
            print(f"slots endpoint (14 days, uncached, gunicorn 2 workers, wrk 8 connections) {label}: "
                  f"{rps:.1f} req/s, median {median}", flush=True)
        ratio = best["plain"][0] / best["external"][0]
        print(f"time ratio with / without the external calendar: {ratio:.2f}x (target < 1.3x)", flush=True)
    finally:
        if proc is not None:
            stop(proc)
        drop_database(admin, name)


if __name__ == "__main__":
    main()
