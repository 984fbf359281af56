"""Scheduling performance, one command, one run: ``python bench/bench_scheduling.py``.

1. Slot engine: median time for a 60-day window, one coach with ~5,000 past bookings (2 years)
   and bookings in the 60 days ahead, all passed to the engine.
2. The comparison table: every target served by gunicorn (2 sync workers) on the same
   PostgreSQL, loaded by ``wrk -t2 -c16 -d10s --latency`` (Debian's wrk; the old Python thread
   load generator only when wrk is missing, and the table says so), two rounds in opposite
   order, req/s and p99 averaged over the rounds, each as a ratio to its framework's floor:
   the bare Flask JSON endpoint (bench/bare_app.py); Tandem's 14-day slots with the answer
   cache on (default) and off (``SLOTS_CACHE_SECONDS=0``), 1 day off, 14 days off with 10x the
   history (50,000 past bookings, its own database); with ``BENCH_DJANGO=1`` and the throwaway
   venv of ``bench/peer_django.py`` also the bare Django floor and django-appointment's one-day
   slot endpoint.
3. The race: 60 clients (their own couples and API tokens) POST /api/v1/bookings for one slot
   at once (released by a barrier) through gunicorn with 2 workers: winners, p50, p99.
4. A refused booking (409 with the next free slots): server time in-process (Flask test
   client on the same PostgreSQL), median and p90 of 200.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
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

LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", 10))
MAX_REQUESTS = 20_000
CONNECTIONS = 16
RACERS = 60
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


HEADERS: dict[str, dict[str, str]] = {}  # path -> extra request headers (the peer's AJAX view)


def wrk(port: int, path: str) -> tuple[float, float]:
    """(requests per second, p99 latency ms) from ``wrk -t2 -c16 -d{LOAD_SECONDS}s --latency``."""
    headers = [arg for k, v in HEADERS.get(path, {}).items() for arg in ("-H", f"{k}: {v}")]
    out = subprocess.run(["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{LOAD_SECONDS}s", "--latency", "--timeout", "10s", *headers,
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors while loading {path}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    value, unit = re.search(r"\n\s+99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def python_load(port: int, path: str) -> tuple[float, float]:
    """The fallback when wrk is missing: (req/s, p99 ms) with CONNECTIONS threads, a connection
    per request (it caps the floor near 3,000 req/s and flatters every ratio)."""
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
                conn.request("GET", path, headers=HEADERS.get(path, {}))
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
    latencies.sort()
    return len(latencies) / elapsed, latencies[int(len(latencies) * 0.99)] * 1000


LOAD = wrk if shutil.which("wrk") else python_load


def serve(argv: list[str], port: int, env: dict[str, str], probe: str, cwd: Path = ROOT) -> subprocess.Popen:
    proc = subprocess.Popen([*argv, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
                            cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(150):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"gunicorn did not start {argv}: {proc.stderr.read().decode()[-2000:]}")


def tandem(port: int, env: dict[str, str]) -> subprocess.Popen:
    return serve([str(ROOT / ".venv/bin/gunicorn"), "app:app"], port, env, "/healthz")


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


def slots_path(days: int) -> str:
    today = datetime.now(UTC).date()
    return (f"/api/v1/coaches/1/slots?session_type=consultation&start={today + timedelta(days=1)}"
            f"&end={today + timedelta(days=days)}&tz=Europe/London")


BASE_ENV = {"TANDEM_TASKS": "inline", "SECRET_KEY": "bench-" + "x" * 40, "RATELIMIT_ENABLED": "0",
            "TANDEM_ENV": "development", "MAIL_DIR": "", "SMTP_URL": "memory://"}


def comparison(url: str, url_10x: str) -> list[tuple[str, float, float, str]]:
    """The table's rows: (target, req/s, p99 ms, floor name), each the mean of two rounds."""
    env = {**BASE_ENV, "DATABASE_URL": url}
    targets: list[tuple[str, str, list[str] | None, dict[str, str] | None, str, str]] = [
        ("bare Flask floor", "flask", [str(ROOT / ".venv/bin/gunicorn"), "bench.bare_app:app"], env,
         "/api/v1/bare", "/api/v1/bare"),
        ("Tandem slots, 14 days, cache on (default)", "flask", None, env, slots_path(14), ""),
        ("Tandem slots, 14 days, cache off", "flask", None, {**env, "SLOTS_CACHE_SECONDS": "0"}, slots_path(14), ""),
        ("Tandem slots, 1 day, cache off", "flask", None, {**env, "SLOTS_CACHE_SECONDS": "0"}, slots_path(1), ""),
        ("Tandem slots, 14 days, cache off, 10x history", "flask", None,
         {**env, "DATABASE_URL": url_10x, "SLOTS_CACHE_SECONDS": "0"}, slots_path(14), ""),
        ("Tandem slots, 14 days, no cache at all", "flask", None,
         {**env, "SLOTS_CACHE_SECONDS": "0", "SLOTS_CALENDAR_CACHE_SECONDS": "0"}, slots_path(14), ""),
    ]
    peer = peer_targets(url)
    targets += peer
    procs: list[tuple[subprocess.Popen, int]] = []
    try:
        for _name, _floor, argv, tenv, path, probe in targets:
            port = free_port()
            if argv is None:
                procs.append((tandem(port, tenv), port))
            else:
                procs.append((serve(argv, port, tenv, probe, cwd=PEER_DIR if "peersite" in argv[-1] else ROOT), port))
        for (_proc, port), target in zip(procs, targets, strict=True):
            LOAD(port, target[4])  # warm-up, not counted
        results: dict[int, list[tuple[float, float]]] = {i: [] for i in range(len(targets))}
        for order in (range(len(targets)), reversed(range(len(targets)))):
            for i in order:
                results[i].append(LOAD(procs[i][1], targets[i][4]))
    finally:
        for proc, _port in procs:
            stop(proc)
    rows = []
    for i, target in enumerate(targets):
        rps = statistics.mean(r for r, _ in results[i])
        p99 = statistics.mean(p for _, p in results[i])
        rows.append((target[0], rps, p99, target[1]))
    return rows


# --- django-appointment, the peer (optional) -------------------------------------------------------

PEER_DIR = Path(os.environ.get("BENCH_PEER_DIR", "/tmp/tandem-peer"))


def peer_targets(url: str) -> list:
    """The bare Django floor and django-appointment's one-day slot endpoint, when the throwaway
    venv from ``bench/peer_django.py`` exists (BENCH_DJANGO=1); none otherwise."""
    if os.environ.get("BENCH_DJANGO") != "1" or not (PEER_DIR / "venv/bin/gunicorn").exists():
        return []
    from bench import peer_django

    peer_url, path = peer_django.prepare(PEER_DIR, url)
    HEADERS[path] = peer_django.AJAX
    gunicorn = str(PEER_DIR / "venv/bin/gunicorn")
    env = {"DJANGO_SETTINGS_MODULE": "peersite.settings", "PEER_DATABASE_URL": peer_url, "PYTHONPATH": str(PEER_DIR)}
    return [("bare Django floor", "django", [gunicorn, "peersite.wsgi:application"], env, "/bare", "/bare"),
            ("peer slots, 1 day (django-appointment 3.12)", "django", [gunicorn, "peersite.wsgi:application"], env,
             path, "/bare")]


# --- the race and the refusal -------------------------------------------------------------------


def seed_racers(url: str, count: int) -> list[str]:
    """``count`` couples (joint sessions open, verified) with an API token each; returns the tokens."""
    from coaching import create_app, db
    from coaching.accounts.services import create_api_token
    from coaching.config import Config
    from tests.scheduling_data import create_couple, user_by_email

    app = create_app(Config({**BASE_ENV, "DATABASE_URL": url, "PASSWORD_HASH_FAST": "1"}))
    app.config["PASSWORD_HASH_FAST"] = True
    from coaching.accounts.passwords import use_fast_hashing

    use_fast_hashing(True)
    tokens = []
    with app.app_context():
        for i in range(count):
            create_couple(f"racer{i}@example.com", f"racer{i}b@example.com")
            tokens.append(create_api_token(db.session, user_by_email(f"racer{i}@example.com"), "race"))
        db.session.commit()
        db.session.remove()
    return tokens


def post(port: int, token: str, start: str) -> tuple[int, float, bytes]:
    body = json.dumps({"coach_id": 1, "session_type": "consultation", "start": start})
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/v1/bookings", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        return response.status, (time.perf_counter() - started) * 1000, data
    finally:
        conn.close()


def first_free_start(port: int, days: int = 14) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", slots_path(days).replace("Europe/London", "UTC"))
    found = json.loads(conn.getresponse().read())["slots"]
    return random.choice(found[:20])["start"]


def race(url: str, tokens: list[str]) -> dict[str, float]:
    """60 clients POST for one slot at once through gunicorn (2 workers, limiter in memory)."""
    port = free_port()
    proc = tandem(port, {**BASE_ENV, "DATABASE_URL": url, "RATELIMIT_ENABLED": "1"})
    try:
        start = first_free_start(port)
        post(port, tokens[-1], "2000-01-01T00:00:00+00:00")  # warm both workers' imports a little
        post(port, tokens[-1], "2000-01-01T00:00:00+00:00")
        barrier = threading.Barrier(len(tokens))
        results: list[tuple[int, float, bytes] | None] = [None] * len(tokens)

        def run(i: int) -> None:
            barrier.wait()
            results[i] = post(port, tokens[i], start)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tokens))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stop(proc)
    statuses = [r[0] for r in results]
    if sorted(set(statuses)) != [201, 409]:
        raise SystemExit(f"unexpected answers in the race: {sorted(statuses)}")
    times = sorted(r[1] for r in results)
    return {"winners": statuses.count(201), "p50": statistics.median(times),
            "p99": times[min(len(times) - 1, int(len(times) * 0.99))], "start": start}


def refusal(url: str, tokens: list[str], start: str, n: int = 200) -> tuple[float, float]:
    """Median and p90 ms of a refused booking (the slot taken), in-process on the same PostgreSQL."""
    from coaching import create_app
    from coaching.config import Config

    app = create_app(Config({**BASE_ENV, "DATABASE_URL": url, "RATELIMIT_ENABLED": "1"}))
    client = app.test_client()
    body = {"coach_id": 1, "session_type": "consultation", "start": start}
    times = []
    for i in range(n + 20):
        token = tokens[i % len(tokens)]
        started = time.perf_counter()
        answer = client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 409 or not answer.get_json()["error"].get("next_slots"):
            raise SystemExit(f"expected a 409 with next slots, got {answer.status_code}: {answer.get_data()[:300]}")
        if i >= 20:  # the first ones warm the process
            times.append(elapsed)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9)]


def main() -> None:
    admin, name, url = create_database()
    admin_10x, name_10x, url_10x = create_database()
    try:
        now = datetime.now(UTC)
        seed(url, 5_000, now)
        seed(url_10x, 50_000, now)
        rows = comparison(url, url_10x)
        floors = {floor: rps for name_, rps, _p99, floor in rows if "floor" in name_}
        print(f"\nload: {'wrk -t2 -c16 -d%ds --latency' % LOAD_SECONDS if LOAD is wrk else 'PYTHON FALLBACK (no wrk)'}"
              f", gunicorn 2 sync workers, PostgreSQL, 5,000 past bookings (10x: 50,000), two rounds in "
              f"opposite order, means")
        print("| target | req/s | p99 ms | / own floor |\n| --- | --- | --- | --- |")
        for target, rps, p99, floor in rows:
            print(f"| {target} | {rps:,.0f} | {p99:.1f} | {rps / floors[floor]:.3f} |")
        uncached = {t: rps for t, rps, _p, _f in rows}
        growth = uncached["Tandem slots, 14 days, cache off"] / uncached["Tandem slots, 14 days, cache off, 10x history"]
        print(f"10x history costs {growth:.2f}x (uncached req/s at 5,000 over 50,000 past bookings)", flush=True)
        tokens = seed_racers(url, RACERS)
        result = race(url, tokens)
        print(f"race: {RACERS} clients for one slot, gunicorn 2 workers: {result['winners']} winner(s), "
              f"p50 {result['p50']:.0f} ms, p99 {result['p99']:.0f} ms", flush=True)
        median, p90 = refusal(url, tokens, result["start"])
        print(f"refused booking (409 with next free slots), server time in-process: median {median:.2f} ms, "
              f"p90 {p90:.2f} ms", flush=True)
    finally:
        drop_database(admin, name)
        drop_database(admin_10x, name_10x)
        if os.environ.get("BENCH_DJANGO") == "1":
            from bench import peer_django

            peer_django.drop(PEER_DIR)


if __name__ == "__main__":
    random.seed(1)
    bench_engine()
    main()
