"""Erasing one account, and planning the retention purge, as the history grows.

A throwaway PostgreSQL database (migrated to "heads", dropped at the end).
- Erasure: for H = 10, 100, 400 past joint sessions (each paid, with a summary and a
  reflection by each partner) plus 5 future ones, ``erase_user`` of partner A in one
  transaction: wall time (including the inline delivery of the emails it queues) and SQL
  statements. The statement count must not grow with H
  (bulk statements, no per-row loop over history), only the cancellations ahead.
- Retention: ``retention.plan`` over C = 100, 1000 couples with one signed note each (half
  of them past the period): wall time and statements.

Run: ``.venv/bin/python bench/bench_erasure.py`` (BENCH_SIZES, BENCH_COUPLES, TANDEM_TEST_PG).
"""

from __future__ import annotations

import os
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

SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "10,100,400").split(","))
COUPLES = tuple(int(n) for n in os.environ.get("BENCH_COUPLES", "100,1000").split(","))
NOW = datetime(2026, 11, 2, 15, tzinfo=UTC)


def counted(engine, fn):  # type: ignore[no-untyped-def]
    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        t0 = time.perf_counter()
        fn()
        elapsed = (time.perf_counter() - t0) * 1000
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return elapsed, len(statements)


def couple_with_history(db, coach, joint, index: int, history: int):  # type: ignore[no-untyped-def]
    from coaching.accounts.models import Role, User
    from coaching.homework.models import Reflection, ReflectionAudience, SharedSummary
    from coaching.intake.models import Couple, Partner
    from coaching.payments.models import Payment, Provider
    from coaching.payments.states import PaymentStatus
    from coaching.scheduling.models import Booking, BookingStatus

    couple = Couple(coach_id=coach.id)
    db.add(couple)
    db.flush()
    seats = []
    for slot in "ab":
        user = User(email=f"p{index}{slot}@bench.example", name=f"P {index}{slot}", role=Role.CLIENT,
                    password_hash="x", email_verified_at=NOW)
        db.add(user)
        db.flush()
        seat = Partner(couple_id=couple.id, slot=slot, user_id=user.id)
        db.add(seat)
        seats.append((user, seat))
    db.flush()
    for n in range(history + 5):
        start = NOW + timedelta(days=n - history, hours=index % 8)
        status = BookingStatus.COMPLETED if n < history else BookingStatus.CONFIRMED
        booking = Booking(coach_id=coach.id, couple_id=couple.id, session_type_id=joint.id, starts_at=start,
                          ends_at=start + timedelta(minutes=50), status=status, booked_by_id=seats[0][0].id,
                          ical_uid=f"{uuid.uuid4()}@bench")
        db.add(booking)
        db.flush()
        db.add(Payment(booking_id=booking.id, couple_id=couple.id, coach_id=coach.id, payer_id=seats[0][0].id,
                       provider=Provider.MANUAL, status=PaymentStatus.PAID, amount_cents=12000, currency="usd",
                       paid_at=start))
        if n < history:
            summary = SharedSummary(booking_id=booking.id, couple_id=couple.id, coach_id=coach.id, summary="s")
            db.add(summary)
            db.flush()
            for _, seat in seats:
                db.add(Reflection(summary_id=summary.id, partner_id=seat.id, audience=ReflectionAudience.SHARED,
                                  text="r" * 200))
    db.commit()
    return seats[0][0]


def main() -> None:
    admin, name, url = create_database()
    try:
        from coaching import clock, create_app, db
        from coaching.accounts.models import Role, User
        from coaching.coaches.models import CoachProfile
        from coaching.config import TestConfig
        from coaching.erasure import retention, services
        from coaching.notes.models import Note, NoteKind, NoteStatus
        from coaching.scheduling.models import SessionKind, SessionType

        clock.set_source(lambda: NOW)
        app = create_app(TestConfig(DATABASE_URL=url, RATELIMIT_ENABLED=False))
        with app.app_context():
            session = db.session
            coach_user = User(email="coach@bench.example", name="Coach", role=Role.COACH, password_hash="x")
            session.add(coach_user)
            session.flush()
            coach = CoachProfile(user_id=coach_user.id, timezone="UTC")
            joint = SessionType(slug="couples-session", name="Couples", duration_min=50, price_cents=12000,
                                kind=SessionKind.JOINT)
            session.add_all([coach, joint])
            session.commit()
            engine = session.get_bind()
            print("erasure of one account (PostgreSQL):")
            for i, history in enumerate(SIZES):
                user = couple_with_history(session, coach, joint, i, history)

                def erase(user=user):  # type: ignore[no-untyped-def]
                    services.erase_user(session, user, now=NOW)
                    session.commit()

                ms, statements = counted(engine, erase)
                print(f"  history {history:4d} sessions: {ms:8.1f} ms, {statements:4d} SQL statements")
            print("retention plan:")
            made = 0
            from coaching.intake.models import Couple
            from coaching.scheduling.models import Booking, BookingStatus

            for total in COUPLES:
                while made < total:
                    couple = Couple(coach_id=coach.id)
                    session.add(couple)
                    session.flush()
                    start = NOW - timedelta(days=365 * (3 if made % 2 else 9), hours=made % 5000)
                    b = Booking(coach_id=coach.id, couple_id=couple.id, session_type_id=joint.id, starts_at=start,
                                ends_at=start + timedelta(minutes=50), status=BookingStatus.COMPLETED,
                                ical_uid=f"{uuid.uuid4()}@bench")
                    session.add(b)
                    session.flush()
                    session.add(Note(couple_id=couple.id, booking_id=b.id, coach_id=coach.id, kind=NoteKind.SESSION,
                                     template_key="joint", template_version=1, sections={"o": "x"},
                                     status=NoteStatus.SIGNED, signed_at=start, signed_by_id=coach_user.id,
                                     content_sha256="0" * 64, created_at=start))
                    made += 1
                session.commit()
                found = []
                ms, statements = counted(engine, lambda: found.extend(retention.plan(session, NOW)))
                session.rollback()
                print(f"  {total:5d} couples with notes: {ms:8.1f} ms, {statements:4d} SQL statements, "
                      f"{len(found)} due")
    finally:
        from coaching import db

        db.session.remove()
        if db._engine is not None:
            db._engine.dispose()
        drop_database(admin, name)


if __name__ == "__main__":
    main()
