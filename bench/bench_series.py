"""Series: holding a 12-session weekly series (paid: held, not yet confirmed) in one transaction, against 12 single holds.

On a throwaway PostgreSQL database (migrated to head), in process (the services, no HTTP):
1. median time to hold a 12-session series (``series.services.hold_series``: one transaction,
   12 slot checks and inserts under the coach's lock);
2. median time for the same 12 sessions as 12 single holds (``place_hold``, 12 transactions);
3. median time to answer a series whose 12 dates all clash (alternatives computed per date).
Run: ``.venv/bin/python bench/bench_series.py`` (TANDEM_TEST_PG picks the server).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from bench.throwaway_db import create_database, drop_database  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 15))
NOW = datetime(2026, 11, 2, 15, tzinfo=UTC)
FIRST = datetime(2026, 11, 3, 0, tzinfo=UTC)


def main() -> None:
    from datetime import time as clock_time

    from coaching import clock, config, create_app, db
    from coaching.scheduling import services as sched
    from coaching.series import services
    from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

    admin, name, url = create_database()
    try:
        # A paid session type: holds only (no confirmation emails); the couple's cap out of the way
        # so the 12 single holds are allowed.
        app = create_app(config.TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False, SMTP_URL="memory://",
                                           MAX_HOLDS_PER_COUPLE=100, HOLD_MINUTES=600))
        clock.set_source(lambda: NOW)
        with app.app_context():
            st = create_session_type("consultation", price_cents=9000, duration_min=50, slot_interval_min=60,
                                     horizon_days=120)
            coach = create_coach(session_types=[st], hours={d: [(clock_time(0), clock_time(23, 59))] for d in range(7)})
            for i in range(3 * ROUNDS + 1):
                create_couple(f"c{i}@example.com", timezones=("UTC",))
            series_times, single_times, clash_times = [], [], []
            for i in range(ROUNDS):
                first = FIRST + timedelta(hours=i)
                user = user_by_email(f"c{i}@example.com")
                started = time.perf_counter()
                weeks, occurrences = services.requested_occurrences(first, "UTC", 1, 12)
                services.hold_series(db.session, user=user, coach_id=coach.id, session_type_slug="consultation",
                                     occurrences=occurrences, weeks=weeks, zone="UTC", now=NOW)
                series_times.append(time.perf_counter() - started)
            for i in range(ROUNDS):
                first = FIRST + timedelta(hours=ROUNDS + i)
                user = user_by_email(f"c{ROUNDS + i}@example.com")
                started = time.perf_counter()
                for k in range(12):
                    sched.place_hold(db.session, user=user, coach_id=coach.id, session_type_slug="consultation",
                                     start=first + timedelta(weeks=k), now=NOW)
                single_times.append(time.perf_counter() - started)
            for i in range(ROUNDS):
                user = user_by_email(f"c{2 * ROUNDS + i}@example.com")
                started = time.perf_counter()
                weeks, occurrences = services.requested_occurrences(FIRST + timedelta(hours=i), "UTC", 1, 12)
                try:
                    services.hold_series(db.session, user=user, coach_id=coach.id, session_type_slug="consultation",
                                         occurrences=occurrences, weeks=weeks, zone="UTC", now=NOW)
                except services.SeriesClash as exc:
                    assert len(exc.clashes) == 12
                clash_times.append(time.perf_counter() - started)
            db.session.remove()
        series, singles, clash = (statistics.median(t) * 1000 for t in (series_times, single_times, clash_times))
        print(f"hold a 12-session series (one transaction): median {series:.1f} ms over {ROUNDS}", flush=True)
        print(f"the same 12 sessions as 12 single holds: median {singles:.1f} ms ({series / singles:.2f}x of it)",
              flush=True)
        print(f"a 12-session series whose dates all clash (12 x 3 alternatives): median {clash:.1f} ms", flush=True)
    finally:
        clock.set_source(None)
        drop_database(admin, name)


if __name__ == "__main__":
    main()
