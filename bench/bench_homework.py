"""The partner's homework page and the coach's record data with many shared summaries.

A throwaway PostgreSQL database (migrated to "heads", dropped at the end). One couple with its
coach gets N = 10, 100, 300 completed joint sessions, each with a published summary, three
homework items, ticks by both partners and two reflections (one coach-only, one shared).
For each N, after WARMUPS unmeasured runs, RUNS runs of:
- GET /homework for partner A through the Flask test client (median, p90, SQL statements);
- ``shared_for_couple`` for the coach (what the record page's partial needs; no audit write).
Both show the newest page (PAGE_SIZE summaries). Neither the statement count nor the time may
grow with N (no N+1; every text is decrypted, so only a bounded page is loaded).

Run: ``.venv/bin/python bench/bench_homework.py`` (BENCH_RUNS, BENCH_SIZES, TANDEM_TEST_PG).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from sqlalchemy import event  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10,100,300").split(","))
RUNS = int(os.environ.get("BENCH_RUNS", 15))
WARMUPS = 2


def add_sessions(db, world, start_index: int, count: int) -> None:  # type: ignore[no-untyped-def]
    from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, ReflectionAudience, SharedSummary
    from coaching.scheduling.models import Booking, BookingStatus

    coach_id, couple_id, st_id, seats = world
    base = datetime(2024, 1, 1, 15, tzinfo=UTC)
    for n in range(start_index, start_index + count):
        start = base + timedelta(days=n)
        booking = Booking(coach_id=coach_id, couple_id=couple_id, session_type_id=st_id, starts_at=start,
                          ends_at=start + timedelta(minutes=50), status=BookingStatus.COMPLETED,
                          ical_uid=f"{uuid.uuid4()}@bench")
        db.add(booking)
        db.flush()
        summary = SharedSummary(booking_id=booking.id, couple_id=couple_id, coach_id=coach_id,
                                summary=f"Summary {n}: " + "we talked about listening. " * 20,
                                items=[HomeworkItem(position=i, text=f"Homework {n}.{i}") for i in range(3)])
        db.add(summary)
        db.flush()
        for item in summary.items:
            db.add(HomeworkTick(item_id=item.id, partner_id=seats[0]))
        db.add(HomeworkTick(item_id=summary.items[0].id, partner_id=seats[1]))
        db.add(Reflection(summary_id=summary.id, partner_id=seats[0], audience=ReflectionAudience.COACH,
                          text="Only for the coach. " * 10))
        db.add(Reflection(summary_id=summary.id, partner_id=seats[1], audience=ReflectionAudience.SHARED,
                          text="For both of us. " * 10))
    db.commit()


def measure(fn, engine):  # type: ignore[no-untyped-def]
    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    for _ in range(WARMUPS):
        fn()
    times = []
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(statements) // RUNS


def main() -> None:
    admin, name, url = create_database()
    try:
        from coaching import create_app, db
        from coaching.config import TestConfig
        from coaching.homework.services import shared_for_couple
        from coaching.scheduling.models import SessionKind, SessionType
        from tests.scheduling_data import create_coach, create_couple, user_by_email

        app = create_app(TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False))
        with app.app_context():
            st = SessionType(slug="couples-session", name="Couples session", duration_min=50, kind=SessionKind.JOINT)
            db.session.add(st)
            db.session.commit()
            coach = create_coach("coach@bench.example", session_types=[st])
            couple = create_couple("a@bench.example", "b@bench.example")
            couple.coach_id = coach.id
            db.session.commit()
            world = (coach.id, couple.id, st.id, [p.id for p in couple.partners])
        client = app.test_client()
        from tests.conftest import login

        assert login(client, "a@bench.example").status_code == 302
        done = 0
        print(f"homework with N summaries (PostgreSQL, {RUNS} runs): median / p90 ms, SQL statements per call")
        for size in SIZES:
            with app.app_context():
                add_sessions(db.session, world, done, size - done)
            done = size

            def page() -> None:
                assert client.get("/homework").status_code == 200

            def coach_view() -> None:
                with app.app_context():
                    shared_for_couple(db.session, world[1], user_by_email("coach@bench.example"), audit=False)
                    db.session.remove()

            engine = db.get_engine()
            p_med, p_p90, p_sql = measure(page, engine)
            c_med, c_p90, c_sql = measure(coach_view, engine)
            print(f"  N={size:4d}  GET /homework {p_med:7.1f} / {p_p90:7.1f} ms, {p_sql} SQL   "
                  f"coach shared_for_couple {c_med:7.1f} / {c_p90:7.1f} ms, {c_sql} SQL")
    finally:
        from coaching import db as _db

        _db.session.remove()
        if _db._engine is not None:
            _db._engine.dispose()
        drop_database(admin, name)


if __name__ == "__main__":
    main()
