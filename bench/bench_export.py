"""Building one partner's data export as the couple's history grows.

A throwaway PostgreSQL database (migrated to "heads", dropped at the end). One couple with its
coach gets N = 10, 100, 300 completed joint sessions, each with a published summary, three
homework items, a reflection by each partner, a payment by partner A and a signed note (the
export is built with notes, the heaviest case). For each N, after WARMUPS unmeasured runs,
RUNS runs of ``exports.services.build`` on a fresh pending export of partner A (collect,
render the readable page, zip, encrypt, store, queue the email; its delivery is another task): median and p90 time, SQL
statements, ZIP and stored sizes. The statement count must not grow with N (no N+1); time
grows with N only as the data does (every text is decrypted once).

Run: ``.venv/bin/python bench/bench_export.py`` (BENCH_RUNS, BENCH_SIZES, TANDEM_TEST_PG).
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

from sqlalchemy import event, text  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10,100,300").split(","))
RUNS = int(os.environ.get("BENCH_RUNS", 10))
WARMUPS = 2
NOW = datetime(2026, 11, 2, 15, tzinfo=UTC)


def world(db):  # type: ignore[no-untyped-def]
    from coaching.accounts.models import Role, User
    from coaching.coaches.models import CoachProfile
    from coaching.intake.models import Couple, Partner
    from coaching.scheduling.models import SessionKind, SessionType

    def user(email: str, role: Role = Role.CLIENT) -> User:
        row = User(email=email, name=email.split("@")[0].title(), role=role, password_hash="x",
                   timezone="America/New_York", email_verified_at=NOW)
        db.add(row)
        db.flush()
        return row

    coach_user = user("coach@bench.test", Role.COACH)
    coach = CoachProfile(user_id=coach_user.id, timezone="America/New_York")
    st = SessionType(slug="couples-session", name="Couples session", duration_min=50, price_cents=15000,
                     kind=SessionKind.JOINT)
    couple = Couple()
    db.add_all([coach, st, couple])
    db.flush()
    couple.coach_id = coach.id
    a, b = user("a@bench.test"), user("b@bench.test")
    seats = [Partner(couple_id=couple.id, slot="a", user_id=a.id), Partner(couple_id=couple.id, slot="b", user_id=b.id)]
    db.add_all(seats)
    db.commit()
    return coach, couple.id, st.id, [s.id for s in seats], a, coach_user


def add_sessions(db, w, start_index: int, count: int) -> None:  # type: ignore[no-untyped-def]
    from coaching.homework.models import HomeworkItem, Reflection, ReflectionAudience, SharedSummary
    from coaching.notes.models import Note, NoteKind, NoteStatus
    from coaching.payments.models import Payment, Provider
    from coaching.payments.states import PaymentStatus
    from coaching.scheduling.models import Booking, BookingStatus

    coach, couple_id, st_id, seats, a, coach_user = w
    base = datetime(2024, 1, 1, 15, tzinfo=UTC)
    for n in range(start_index, start_index + count):
        start = base + timedelta(days=n)
        booking = Booking(coach_id=coach.id, couple_id=couple_id, session_type_id=st_id, booked_by_id=a.id,
                          starts_at=start, ends_at=start + timedelta(minutes=50), status=BookingStatus.COMPLETED,
                          ical_uid=f"{uuid.uuid4()}@bench")
        db.add(booking)
        db.flush()
        summary = SharedSummary(booking_id=booking.id, couple_id=couple_id, coach_id=coach.id,
                                summary=f"Summary {n}: " + "we talked about listening. " * 20,
                                items=[HomeworkItem(position=i, text=f"Homework {n}.{i}") for i in range(3)])
        db.add(summary)
        db.flush()
        for seat in seats:
            db.add(Reflection(summary_id=summary.id, partner_id=seat, audience=ReflectionAudience.SHARED,
                              text="What I noticed this week. " * 10))
        db.add(Payment(booking_id=booking.id, couple_id=couple_id, coach_id=coach.id, payer_id=a.id,
                       provider=Provider.MANUAL, status=PaymentStatus.PAID, amount_cents=15000, currency="usd",
                       receipt_number=f"R-{n:06d}", paid_at=start))
        db.add(Note(couple_id=couple_id, booking_id=booking.id, coach_id=coach.id, kind=NoteKind.SESSION,
                    template_key="joint", template_version=1, sections={"observations": "Notes. " * 40},
                    status=NoteStatus.SIGNED, signed_at=start + timedelta(hours=2), signed_by_id=coach_user.id,
                    content_sha256="0" * 64))
    db.commit()


def main() -> None:
    from coaching import clock, create_app, db
    from coaching.config import TestConfig
    from coaching.exports import services
    from coaching.exports.models import DataExport

    admin, name, url = create_database()
    try:
        clock.set_source(lambda: NOW)
        from coaching.notify import tasks as notify_tasks

        notify_tasks.deliver_outbox = lambda: 0  # sending the email is another task: not timed here
        app = create_app(TestConfig(DATABASE_URL=url))
        statements = [0]
        event.listen(db.get_engine(), "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        print(f"data export build (partner A, with notes), PostgreSQL, {RUNS} runs after {WARMUPS} warm-ups")
        print(f"{'N sessions':>10} {'median ms':>10} {'p90 ms':>8} {'SQL':>5} {'ZIP KiB':>8} {'stored KiB':>10}")
        with app.app_context():
            w = world(db.session)
            done = 0
            for size in SIZES:
                add_sessions(db.session, w, done, size - done)
                done = size
                times, counts, zipped, stored = [], [], 0, 0
                for run in range(WARMUPS + RUNS):
                    row = DataExport(user_id=w[4].id, created_at=NOW, with_notes=True)
                    db.session.add(row)
                    db.session.commit()
                    statements[0] = 0
                    began = time.perf_counter()
                    assert services.build(db.session, row.id, NOW)
                    elapsed = time.perf_counter() - began
                    if run >= WARMUPS:
                        times.append(elapsed * 1000)
                        counts.append(statements[0])
                    zipped = db.session.scalar(text("SELECT archive_bytes FROM data_exports WHERE id = :id"),
                                               {"id": row.id})
                    stored = len(db.session.scalar(
                        text("SELECT archive FROM data_exports WHERE id = :id"), {"id": row.id}) or "")
                    db.session.delete(db.session.get(DataExport, row.id))
                    db.session.commit()
                times.sort()
                p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
                print(f"{size:>10} {statistics.median(times):>10.1f} {p90:>8.1f} {max(counts):>5} "
                      f"{zipped / 1024:>8.1f} {stored / 1024:>10.1f}")
        db.session.remove()
        db.get_engine().dispose()
    finally:
        clock.set_source(None)
        drop_database(admin, name)


if __name__ == "__main__":
    main()
