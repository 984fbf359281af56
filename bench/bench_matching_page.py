"""The whole match page (GET /match) with N coaches in PostgreSQL, and where its time goes.

A throwaway PostgreSQL database is created, migrated to "heads" and dropped at the end (even
on error). One couple goes through the real intake over HTTP (tests/functional/intake_steps.py)
so that matching is open; then coaches are added in bulk (SQLAlchemy Core executemany) up to
N = 250, 500, 1,000, 2,000, each with a realistic profile: languages, specialties, approaches,
formats, gender, accepting/capacity with active couples, weekly hours in one of eight zones,
some time off and date overrides, the session types they offer (consultation,
couples-session, individual-session), and about 0.3 confirmed bookings per coach in the next
three weeks (a few hundred at 2,000 coaches).

For each N it measures, after WARMUPS unmeasured runs (which fill each coach's cached open times,
``coaching/matching/open_times.py``, as the requests of a day do):
- GET /match for a logged-in partner through the Flask test client (RUNS runs: median, p90);
- the same page cold (COLD_RUNS runs, the open-times cache emptied before each: the first request
  of a UTC day in a process, or the first after any calendar changed): every coach computed;
- ``services.propose()`` alone (RUNS runs), split into its parts: the couple's needs
  (``needs_of``), the open slots (``open_times``, or ``_open_slots`` on the plain path: SQL and
  row handling, and the pure slot engine ``free_slots`` inside it, both zero on a cache hit),
  the scorer (``rank_open``, or ``rank``), and the rest (loading every coach profile with its
  session types, the hard-filter pass, building the offers).

Run: ``.venv/bin/python bench/bench_matching_page.py [--profile]`` or ``python -m bench``.
``--profile`` (or BENCH_PROFILE=1) adds a cProfile of one GET /match at the largest N (top 15
by cumulative time). BENCH_RUNS, BENCH_SIZES ("250,500") and TANDEM_TEST_PG override defaults;
BENCH_REDIS_URL gives the app a Redis (the generations are then read with one MGET per page, as
in production; use a database of your own: coach generations are INCRed there).
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from sqlalchemy import insert, text  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "250,500,1000,2000").split(","))
RUNS = int(os.environ.get("BENCH_RUNS", 15))
COLD_RUNS = 3
WARMUPS = 2

ZONES = (("America/New_York", 30), ("America/Chicago", 15), ("America/Denver", 5), ("America/Los_Angeles", 20),
         ("America/Toronto", 5), ("Europe/London", 15), ("Europe/Madrid", 5), ("Australia/Sydney", 5))
FIRST = ("Ana", "James", "Maria", "David", "Sofia", "Kwame", "Lena", "Omar", "Priya", "Tom", "Yuki", "Elena")
LAST = ("Ruiz", "Okafor", "Smith", "Nguyen", "Garcia", "Cohen", "Patel", "Kowalski", "Brown", "Silva")
SPECIALTIES = ("infidelity", "communication", "trust", "intimacy", "conflict", "parenting",
               "life_transitions", "separation")
APPROACHES = ("gottman", "eft", "imago", "solution_focused")
# Local weekly hours: (weekdays, [(start, end), ...]); weekday 0 = Monday.
HOURS = (
    ((0, 1, 2, 3, 4), [("09:00", "17:00")]),
    ((0, 1, 2, 3), [("12:00", "20:00")]),
    ((1, 2, 3, 4, 5), [("10:00", "14:00"), ("16:00", "19:00")]),
    ((0, 2, 4), [("08:00", "12:00")]),
    ((0, 1, 2, 3, 4), [("14:00", "21:00")]),
)
SESSION_TYPES = (  # slug, name, minutes, price, kind, buffer after, min notice h, daily max
    ("welcome", "Welcome call", 30, 0, "individual", 10, 12, 6),
    ("consultation", "Free consultation", 30, 0, "joint", 10, 12, 6),
    ("couples-session", "Couples session", 50, 15000, "joint", 10, 24, 6),
    ("individual-session", "Individual session", 50, 12000, "individual", 10, 24, 6),
)
# Both partners finished the intake: A in New York, B in Chicago; shared weekdays 15:00-21:00 ET.
A_BLOCKS = tuple(f"{d}-{b}" for d in ("mon", "tue", "wed", "thu", "fri") for b in ("afternoon", "evening", "late")) \
    + ("sat-morning",)
B_BLOCKS = tuple(f"{d}-{b}" for d in ("mon", "tue", "wed", "thu", "fri") for b in ("afternoon", "evening")) \
    + ("sat-morning",)


def hhmm(value: str) -> wall:
    h, m = value.split(":")
    return wall(int(h), int(m))


# --- the throwaway database -------------------------------------------------------------------


def make_app(url: str) -> Any:
    """The app as deployed (CSRF on, real password hashing), on the throwaway database."""
    import logging

    from cryptography.fernet import Fernet

    from coaching import create_app
    from coaching.config import Config

    app = create_app(Config({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "TANDEM_ENV": "development",
                             "TANDEM_DATA_KEYS": Fernet.generate_key().decode(), "TANDEM_TASKS": "inline",
                             "RATELIMIT_ENABLED": "0", "SLOTS_CACHE_SECONDS": "0", "SMTP_URL": "memory://",
                             "MAIL_DIR": "", "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "")}))
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("tandem.mail").setLevel(logging.ERROR)  # the intake's emails, printed in development
    return app


# --- seeding -----------------------------------------------------------------------------------


def seed_session_types(app: Any) -> dict[str, int]:
    from coaching import db
    from coaching.scheduling.models import SessionType

    now = datetime.now(UTC)
    rows = [{"slug": slug, "name": name, "duration_min": minutes, "price_cents": price, "currency": "usd",
             "kind": kind, "buffer_before_min": 0, "buffer_after_min": after, "min_notice_hours": notice,
             "horizon_days": 60, "slot_interval_min": 30, "daily_max": daily, "active": True, "created_at": now}
            for slug, name, minutes, price, kind, after, notice, daily in SESSION_TYPES]
    with app.app_context():
        db.session.execute(insert(SessionType.__table__), rows)
        db.session.commit()
        return {t.slug: t.id for t in db.session.query(SessionType)}


def create_couple(app: Any) -> tuple[Any, int]:
    """Both partners through the real intake over HTTP; returns partner A's logged-in client."""
    from coaching import db
    from coaching.accounts import passwords
    from coaching.accounts.models import Role, User
    from coaching.intake.models import Couple
    from tests.conftest import PASSWORD
    from tests.functional import intake_steps as steps

    users = []
    with app.app_context():
        for slot, zone in (("a", "America/New_York"), ("b", "America/Chicago")):
            user = User(email=f"partner-{slot}@bench.example", name=f"Partner {slot.upper()}", role=Role.CLIENT,
                        password_hash=passwords.hash_password(PASSWORD), timezone=zone,
                        email_verified_at=datetime.now(UTC))
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            users.append(user)
    a_user, b_user = users
    a = steps.logged_in(app, a_user)
    steps.start(a)
    steps.shared(a)
    steps.personal(a, zone="America/New_York", blocks=A_BLOCKS)
    token = steps.invite(a, app, b_user.email)
    b = steps.logged_in(app, b_user)
    assert steps.join(b, token).status_code == 302
    steps.consent(b)
    steps.personal(b, zone="America/Chicago", blocks=B_BLOCKS)
    steps.private(a, steps.A_PRIVATE)
    steps.private(b, steps.B_PRIVATE)
    with app.app_context():
        couple = db.session.query(Couple).one()
        assert couple.intake_completed_at is not None, "the intake did not complete"
        return a, couple.id


def coach_spec(i: int, today: date, now: datetime) -> dict[str, Any]:
    """One coach, deterministic in ``i`` (so growing N only adds coaches)."""
    rng = random.Random(i)
    zone = rng.choices([z for z, _ in ZONES], weights=[w for _, w in ZONES])[0]
    tz = ZoneInfo(zone)
    languages = (["en"] if rng.random() < 0.9 else []) + rng.sample(["es", "fr", "de", "pt"], rng.choice((0, 0, 1, 2)))
    languages = languages or ["es"]
    days, ranges = rng.choice(HOURS)
    capacity = rng.randint(6, 15)
    active = rng.randint(0, capacity) if rng.random() < 0.9 else capacity
    offered = ["welcome"] + [slug for slug, p in (("consultation", 0.95), ("couples-session", 0.9), ("individual-session", 0.35))
               if rng.random() < p]
    time_off, overrides = [], []
    if rng.random() < 0.1:
        first = today + timedelta(days=rng.randint(0, 18))
        time_off.append((first, first + timedelta(days=rng.randint(2, 9))))
    if rng.random() < 0.1:
        on = today + timedelta(days=rng.randint(1, 20))
        overrides.append((on, None, None) if rng.random() < 0.5 else (on, wall(10), wall(13)))
    bookings = []
    if rng.random() < 0.15 and active:
        for offset in rng.sample(range(1, 22), rng.randint(1, 3)):
            day = today + timedelta(days=offset)
            start = datetime.combine(day, hhmm(ranges[0][0]), tzinfo=tz).astimezone(UTC) + timedelta(hours=1)
            slug = rng.choice(("consultation", "couples-session", "couples-session"))
            minutes = next(m for s, _, m, *_ in SESSION_TYPES if s == slug)
            bookings.append((start, start + timedelta(minutes=minutes), slug))
    return {
        "user": {"email": f"coach{i}@bench.example", "name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                 "password_hash": "!", "role": "coach", "timezone": zone, "email_verified_at": now,
                 "session_token": uuid.uuid4().hex, "is_active": rng.random() > 0.02, "created_at": now},
        "profile": {"timezone": zone, "bio": "Couples coach. " * rng.randint(5, 40), "languages": languages,
                    "specialties": rng.sample(SPECIALTIES, rng.randint(2, 5)),
                    "approaches": rng.sample(APPROACHES, rng.randint(1, 2)),
                    "formats": ["video"] + (["in_person"] if rng.random() < 0.4 else []),
                    "gender": rng.choice(("female", "female", "male", "non_binary")),
                    "lgbtq_affirming": rng.random() < 0.6, "faith_based": rng.random() < 0.2,
                    "safety_trained": rng.random() < 0.3, "accepting_new": rng.random() < 0.9,
                    "max_active_couples": capacity, "created_at": now, "updated_at": now},
        "rules": [(d, hhmm(s), hhmm(e)) for d in days for s, e in ranges],
        "offered": offered, "active": active, "time_off": time_off, "overrides": overrides, "bookings": bookings,
    }


def seed_coaches(app: Any, first: int, last: int, types: dict[str, int]) -> int:
    """Coaches ``first`` .. ``last - 1`` with everything they own, in bulk; returns bookings added."""
    from coaching import db
    from coaching.accounts.models import User
    from coaching.coaches.models import CoachProfile, coach_session_types
    from coaching.intake.models import Couple
    from coaching.scheduling.models import AvailabilityRule, Booking, DateOverride, TimeOff

    now = datetime.now(UTC)
    specs = [coach_spec(i, now.date(), now) for i in range(first, last)]
    with app.app_context():
        conn = db.session.connection()
        users = User.__table__
        user_ids = conn.execute(insert(users).returning(users.c.id, sort_by_parameter_order=True),
                                [s["user"] for s in specs]).scalars().all()
        profiles = CoachProfile.__table__
        coach_ids = conn.execute(insert(profiles).returning(profiles.c.id, sort_by_parameter_order=True),
                                 [{**s["profile"], "user_id": uid} for s, uid in zip(specs, user_ids)]).scalars().all()
        conn.execute(insert(coach_session_types), [{"coach_id": cid, "session_type_id": types[slug]}
                                                  for s, cid in zip(specs, coach_ids) for slug in s["offered"]])
        conn.execute(insert(AvailabilityRule.__table__), [
            {"coach_id": cid, "weekday": d, "start_time": a, "end_time": b}
            for s, cid in zip(specs, coach_ids) for d, a, b in s["rules"]])
        off = [{"coach_id": cid, "start_date": a, "end_date": b, "reason": "leave"}
               for s, cid in zip(specs, coach_ids) for a, b in s["time_off"]]
        if off:
            conn.execute(insert(TimeOff.__table__), off)
        over = [{"coach_id": cid, "on_date": d, "start_time": a, "end_time": b}
                for s, cid in zip(specs, coach_ids) for d, a, b in s["overrides"]]
        if over:
            conn.execute(insert(DateOverride.__table__), over)
        couples = Couple.__table__
        owners = [cid for s, cid in zip(specs, coach_ids) for _ in range(s["active"])]
        couple_ids = conn.execute(insert(couples).returning(couples.c.id, sort_by_parameter_order=True),
                                  [{"status": "active", "coach_id": cid,
                                    "intake_completed_at": now, "created_at": now} for cid in owners]).scalars().all()
        couple_of = {}
        for cid, couple_id in zip(owners, couple_ids):
            couple_of.setdefault(cid, couple_id)
        rows = [{"coach_id": cid, "session_type_id": types[slug], "couple_id": couple_of[cid], "starts_at": a,
                 "ends_at": b, "status": "confirmed", "confirmed_at": now, "ical_uid": uuid.uuid4().hex,
                 "ical_sequence": 0, "version": 1, "created_at": now}
                for s, cid in zip(specs, coach_ids) for a, b, slug in s["bookings"]]
        if rows:
            conn.execute(insert(Booking.__table__), rows)
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return len(rows)


# --- measuring ---------------------------------------------------------------------------------


def summary(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000


def time_page(client: Any) -> list[float]:
    times = []
    for i in range(WARMUPS + RUNS):
        started = time.perf_counter()
        response = client.get("/match")
        elapsed = time.perf_counter() - started
        body = response.get_data(as_text=True)
        if response.status_code != 200 or "Choose " not in body:
            raise SystemExit(f"GET /match answered {response.status_code} without proposals: {body[:1500]}")
        if i >= WARMUPS:
            times.append(elapsed)
    return times


def time_cold_page(app: Any, client: Any) -> list[float]:
    """GET /match with the open-times cache emptied first: every coach's open times computed."""
    from coaching.matching import open_times

    times = []
    for _ in range(COLD_RUNS):
        app.extensions.pop(open_times.EXTENSION, None)
        started = time.perf_counter()
        client.get("/match")
        times.append(time.perf_counter() - started)
    return times


class Stopwatch:
    """Wraps module functions so each call's time adds up under a label (about 1 us a call)."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, module: Any, name: str, label: str) -> None:
        original = getattr(module, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.totals[label] = self.totals.get(label, 0.0) + time.perf_counter() - started

        setattr(module, name, timed)
        self._undo.append(lambda: setattr(module, name, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


def time_propose(app: Any, couple_id: int) -> tuple[list[float], dict[str, list[float]], int, int]:
    """propose() alone, each run with a fresh session as a request has; per-part times of each run."""
    from coaching import clock, db
    from coaching.intake.models import Couple
    from coaching.matching import services
    from coaching.scheduling import slots

    watch = Stopwatch()
    watch.wrap(services, "needs_of", "needs")
    watch.wrap(services, "open_times", "batch")
    watch.wrap(services, "_open_slots", "batch")
    watch.wrap(slots, "free_slots", "engine")
    watch.wrap(services, "rank", "rank")
    watch.wrap(services, "rank_open", "rank")
    totals, parts = [], {k: [] for k in ("needs", "batch", "engine", "rank")}
    eligible = matches = 0
    try:
        with app.app_context():
            for i in range(WARMUPS + RUNS):
                db.session.remove()
                couple = db.session.get(Couple, couple_id)
                watch.totals.clear()
                started = time.perf_counter()
                proposal = services.propose(db.session, couple, clock.now())
                elapsed = time.perf_counter() - started
                if i >= WARMUPS:
                    totals.append(elapsed)
                    for key in parts:
                        parts[key].append(watch.totals.get(key, 0.0))
                matches = len(proposal.ranking.matches)
                eligible = matches + sum(1 for e in proposal.ranking.excluded if e.reason.startswith("no open times"))
            db.session.remove()
    finally:
        watch.restore()
    return totals, parts, eligible, matches


def profile_page(client: Any, n: int) -> None:
    client.get("/match")
    profiler = cProfile.Profile()
    profiler.enable()
    client.get("/match")
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(15)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print(f"\ncProfile of one GET /match with {n} coaches (top 15 by cumulative time):")
    for line in lines[lines.index(next(x for x in lines if "ncalls" in x)) - 1:]:
        print("  " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    print("same profile, top 12 by own time:")
    for line in lines[lines.index(next(x for x in lines if "ncalls" in x)):]:
        print("  " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""))


def main(argv: list[str]) -> None:
    profile = "--profile" in argv or os.environ.get("BENCH_PROFILE", "") not in ("", "0")
    load_before = os.getloadavg()
    print(f"match page (GET /match) with N coaches in PostgreSQL; {RUNS} runs after {WARMUPS} warm-ups each; "
          f"load average before {load_before[0]:.2f} on {os.cpu_count()} cores", flush=True)
    admin, name, url = create_database()
    results: dict[int, dict[str, Any]] = {}
    app = None
    try:
        app = make_app(url)
        types = seed_session_types(app)
        client, couple_id = create_couple(app)
        seeded = bookings = 0
        for n in SIZES:
            started = time.perf_counter()
            bookings += seed_coaches(app, seeded, n, types)
            seeded = n
            seed_s = time.perf_counter() - started
            page = time_page(client)
            cold = time_cold_page(app, client)
            totals, parts, eligible, matches = time_propose(app, couple_id)
            results[n] = {"page": summary(page), "propose": summary(totals), "spread": (min(page), max(page)),
                          "cold": statistics.median(cold) * 1000,
                          "parts": {k: statistics.median(v) * 1000 for k, v in parts.items()}}
            p = results[n]["parts"]
            print(f"  N={n:>5}: seeded in {seed_s:4.1f} s ({bookings} upcoming bookings); {eligible} pass the "
                  f"filters before slots, {matches} ranked; page median {results[n]['page'][0]:.0f} ms "
                  f"(min {min(page) * 1000:.0f}, max {max(page) * 1000:.0f}), cold {results[n]['cold']:.0f} ms; "
                  f"propose median "
                  f"{results[n]['propose'][0]:.0f} ms = needs {p['needs']:.0f} + open slots {p['batch']:.0f} "
                  f"(slot engine {p['engine']:.0f}, SQL and rows {p['batch'] - p['engine']:.0f}) + rank "
                  f"{p['rank']:.0f} + rest {results[n]['propose'][0] - p['needs'] - p['batch'] - p['rank']:.0f}",
                  flush=True)
        print()
        print(f"{'coaches':>8} | {'page median':>11} | {'page p90':>8} | {'cold page':>9} | {'ms/coach':>8} | "
              f"{'propose':>7} | "
              f"{'slots batch':>11} | {'slot engine':>11} | {'rank':>6} | {'page-propose':>12}")
        for n, r in results.items():
            page_med, page_p90 = r["page"]
            print(f"{n:>8} | {page_med:8.0f} ms | {page_p90:5.0f} ms | {r['cold']:6.0f} ms | {page_med / n:8.3f} | "
                  f"{r['propose'][0]:4.0f} ms | "
                  f"{r['parts']['batch']:8.0f} ms | {r['parts']['engine']:8.0f} ms | {r['parts']['rank']:3.0f} ms | "
                  f"{page_med - r['propose'][0]:9.0f} ms")
        if len(results) > 1:
            lo, hi = min(results), max(results)
            grow = {k: (results[hi][k][0] / results[lo][k][0]) for k in ("page", "propose")}
            batch = results[hi]["parts"]["batch"] / max(results[lo]["parts"]["batch"], 1e-3)
            print(f"growth {hi} vs {lo} coaches ({hi / lo:.0f}x): page {grow['page']:.2f}x, propose "
                  f"{grow['propose']:.2f}x, open slots {batch:.2f}x")
        load_after = os.getloadavg()
        print(f"load average after {load_after[0]:.2f} (other processes share the {os.cpu_count()} cores; "
              f"min/max per row show the noise)")
        if profile:
            profile_page(client, max(results))
    finally:
        if app is not None:
            from coaching import db

            db.session.remove()
            if db._engine is not None:
                db._engine.dispose()
        drop_database(admin, name)


if __name__ == "__main__":
    main(sys.argv[1:])
