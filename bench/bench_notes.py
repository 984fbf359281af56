"""The coach's record page and notes search, on PostgreSQL.

A throwaway PostgreSQL database is created, migrated to "heads" and dropped at the end (even
on error). One coach gets one couple with SESSIONS completed sessions (joint, every fifth an
individual one), a signed note for each (all sections filled, encrypted), an addendum on
every third, and a couple note every tenth session; then more couples of the same coach,
with couple notes, until the coach's scope holds SEARCH_NOTES notes.

It measures, through the Flask test client with the coach logged in (after WARMUPS runs):
- GET /coach/couples/<id>: median and p90 over RUNS runs, and the number of SQL statements
  per request, for the couple after 30 sessions and after all SESSIONS (the count must not
  grow with the number of notes);
- GET /coach/notes/search?q=...: median and p90 over RUNS runs over SEARCH_NOTES notes
  (every note decrypted: the search is bounded by NOTES_SEARCH_MAX_NOTES, default 10,000).

Targets: record page under 50 ms, search under 300 ms.
Run: ``.venv/bin/python bench/bench_notes.py`` or ``python -m bench notes``.
BENCH_RUNS, BENCH_SESSIONS, BENCH_SEARCH_NOTES and TANDEM_TEST_PG override the defaults.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TANDEM_TASKS", "inline")

from sqlalchemy import event, insert, select  # noqa: E402

from bench.throwaway_db import create_database, drop_database  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", 20))
SESSIONS = int(os.environ.get("BENCH_SESSIONS", 300))
SEARCH_NOTES = int(os.environ.get("BENCH_SEARCH_NOTES", 5000))
WARMUPS = 3
WORDS = ("walk", "budget", "parents", "holiday", "sleep", "work", "repair", "listening", "children", "money",
         "trust", "weekend", "phone", "dinner", "chores", "anger", "calm", "plans", "friends", "distance")


def make_app(url: str) -> Any:
    import logging

    from cryptography.fernet import Fernet

    from coaching import create_app
    from coaching.config import Config

    app = create_app(Config({"DATABASE_URL": url, "SECRET_KEY": "bench-" + "x" * 40, "TANDEM_ENV": "development",
                             "TANDEM_DATA_KEYS": Fernet.generate_key().decode(), "TANDEM_TASKS": "inline",
                             "RATELIMIT_ENABLED": "0"}))
    logging.getLogger().setLevel(logging.WARNING)
    return app


def sentence(rng: random.Random, n: int = 30) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def seed(app: Any) -> tuple[str, int, int]:
    """Coach, first couple with SESSIONS sessions and notes, more couples up to SEARCH_NOTES notes.
    Returns (coach email, the big couple's id, the coach's profile id)."""
    from coaching import db
    from coaching.accounts import passwords
    from coaching.accounts.models import Role, User
    from coaching.coaches.models import CoachProfile
    from coaching.intake.models import Couple, CoupleStatus, Partner
    from coaching.notes.models import Addendum, Note
    from coaching.scheduling.models import Booking, SessionType

    rng = random.Random(7)
    now = datetime.now(UTC)
    with app.app_context():
        coach_user = User(email="coach@bench.example", name="Bench Coach", role=Role.COACH, timezone="UTC",
                          password_hash=passwords.hash_password("bench password"), email_verified_at=now)
        db.session.add(coach_user)
        db.session.flush()
        coach = CoachProfile(user_id=coach_user.id, timezone="UTC")
        joint = SessionType(slug="couples-session", name="Couples session", duration_min=50)
        individual = SessionType(slug="individual-session", name="Individual session", duration_min=50,
                                 kind="individual")
        db.session.add_all([coach, joint, individual])
        db.session.flush()
        n_couples = 1 + max(0, -(-(SEARCH_NOTES - SESSIONS - -(-SESSIONS // 10)) // 100))
        couples = []
        for c in range(n_couples):
            couple = Couple(status=CoupleStatus.ACTIVE, coach_id=coach.id)
            db.session.add(couple)
            db.session.flush()
            for slot in "ab":
                user = User(email=f"p{c}{slot}@bench.example", name=f"Partner {c}{slot}", role=Role.CLIENT,
                            password_hash="!", timezone="UTC")
                db.session.add(user)
                db.session.flush()
                db.session.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id))
            couples.append(couple)
        db.session.commit()
        big = couples[0]
        partner_a = db.session.scalar(select(Partner.user_id).where(Partner.couple_id == big.id, Partner.slot == "a"))
        start = now - timedelta(days=SESSIONS * 2)
        bookings = [{"coach_id": coach.id, "couple_id": big.id, "booked_by_id": partner_a,
                     "session_type_id": individual.id if i % 5 == 4 else joint.id,
                     "starts_at": start + timedelta(days=2 * i), "ends_at": start + timedelta(days=2 * i, minutes=50),
                     "status": "completed", "ical_uid": uuid.uuid4().hex, "version": 1, "ical_sequence": 0,
                     "created_at": now} for i in range(SESSIONS)]
        db.session.execute(insert(Booking.__table__), bookings)
        ids = list(db.session.scalars(select(Booking.id).where(Booking.couple_id == big.id).order_by(Booking.starts_at)))
        notes = []
        for i, booking_id in enumerate(ids):
            at = start + timedelta(days=2 * i, hours=2)
            kind = "individual" if i % 5 == 4 else "joint"
            keys = ("focus", "brought", "interventions", "observations", "plan") if kind == "individual" else \
                ("focus", "partner_a", "partner_b", "interventions", "observations", "agreements", "plan")
            notes.append({"couple_id": big.id, "booking_id": booking_id, "coach_id": coach.id, "kind": "session",
                          "template_key": kind, "template_version": 1,
                          "sections": {k: sentence(rng) for k in keys}, "status": "signed", "revision": 1,
                          "created_at": at, "updated_at": at, "signed_at": at, "signed_by_id": coach_user.id,
                          "content_sha256": "0" * 64})
            if i % 10 == 0:
                notes.append({**notes[-1], "booking_id": None, "kind": "couple", "template_key": "couple",
                              "sections": {"note": sentence(rng, 40)}})
        per_couple = 100
        for couple in couples[1:]:
            for j in range(per_couple):
                if len(notes) >= SEARCH_NOTES:
                    break
                at = now - timedelta(days=j)
                notes.append({"couple_id": couple.id, "booking_id": None, "coach_id": coach.id, "kind": "couple",
                              "template_key": "couple", "template_version": 1,
                              "sections": {"note": sentence(rng, 60)}, "status": "signed", "revision": 1,
                              "created_at": at, "updated_at": at, "signed_at": at, "signed_by_id": coach_user.id,
                              "content_sha256": "0" * 64})
        for chunk in range(0, len(notes), 1000):
            db.session.execute(insert(Note.__table__), notes[chunk:chunk + 1000])
        session_notes = list(db.session.scalars(select(Note.id).where(Note.couple_id == big.id,
                                                                      Note.kind == "session").order_by(Note.id)))
        db.session.execute(insert(Addendum.__table__), [
            {"note_id": nid, "coach_id": coach.id, "body": sentence(rng, 15), "signed_at": now,
             "signed_by_id": coach_user.id, "content_sha256": "0" * 64} for nid in session_notes[::3]])
        db.session.commit()
        print(f"seeded: {len(couples)} couples, {len(notes)} notes ({len(session_notes)} session notes on the "
              f"big couple), {len(session_notes[::3])} addenda", flush=True)
        return coach_user.email, big.id, coach.id


def measure(app: Any, client: Any, path: str) -> tuple[float, float, int, float]:
    from coaching import db

    counted: list[int] = []

    def count(*_args: Any) -> None:
        counted.append(1)

    for _ in range(WARMUPS):
        assert client.get(path).status_code == 200
    times, cpu = [], []
    engine = db.get_engine()
    for _ in range(RUNS):
        counted.clear()
        event.listen(engine, "before_cursor_execute", count)
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, response.status_code
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1], len(counted), statistics.median(cpu)


def main() -> int:
    from tests.conftest import csrf_token

    admin, name, url = create_database()
    try:
        app = make_app(url)
        email, couple_id, _coach_id = seed(app)
        client = app.test_client()
        response = client.post("/account/login", data={"email": email, "password": "bench password",
                                                       "csrf_token": csrf_token(client)})
        from tests.second_factor import pass_in_client

        response = pass_in_client(client, response, email)  # a coach: the code step too
        assert response.status_code == 302
        print(f"GET /coach/couples/<id> ({SESSIONS} sessions, notes, addenda), {RUNS} runs:")
        median, p90, queries, cpu = measure(app, client, f"/coach/couples/{couple_id}")
        print(f"  record page: median {median:.1f} ms (CPU {cpu:.1f} ms), p90 {p90:.1f} ms, {queries} SQL statements"
              f" per request  (target < 50 ms)")
        small = seed_small(app)
        median_s, _p90, queries_s, cpu = measure(app, client, f"/coach/couples/{small}")
        print(f"  same page for a couple with 30 sessions: median {median_s:.1f} ms (CPU {cpu:.1f} ms), "
              f"{queries_s} SQL statements"
              f"  ({'same' if queries_s == queries else 'DIFFERENT'} count)")
        for q in ("walk budget", "repair parents holiday", "zebra"):
            median, p90, queries, cpu = measure(app, client, f"/coach/notes/search?q={q.replace(' ', '+')}")
            print(f"  search {q!r} over {SEARCH_NOTES} notes: median {median:.1f} ms (CPU {cpu:.1f} ms), "
                  f"p90 {p90:.1f} ms, "
                  f"{queries} SQL statements  (target < 300 ms)")
    finally:
        from coaching import db

        db.session.remove()
        if db._engine is not None:
            db._engine.dispose()
        drop_database(admin, name)
    return 0


def seed_small(app: Any) -> int:
    """Another couple of the same coach with 30 sessions and notes: the query count must match."""
    from coaching import db
    from coaching.accounts.models import Role, User
    from coaching.intake.models import Couple, Partner
    from coaching.notes.models import Note
    from coaching.scheduling.models import Booking

    with app.app_context():
        big = db.session.scalar(select(Couple.id).order_by(Couple.id))
        coach_id = db.session.scalar(select(Couple.coach_id).where(Couple.id == big))
        couple = Couple(status="active", coach_id=coach_id)  # a new couple: only these 30 sessions
        db.session.add(couple)
        db.session.flush()
        for slot in "ab":
            user = User(email=f"small-{slot}@bench.example", name=f"Small {slot}", role=Role.CLIENT,
                        password_hash="!", timezone="UTC")
            db.session.add(user)
            db.session.flush()
            db.session.add(Partner(couple_id=couple.id, slot=slot, user_id=user.id))
        rows = db.session.scalars(select(Booking).where(Booking.couple_id == big).order_by(Booking.starts_at)
                                  .limit(30)).all()
        now = datetime.now(UTC)
        for i, b in enumerate(rows):
            copy = Booking(coach_id=b.coach_id, couple_id=couple.id, booked_by_id=b.booked_by_id,
                           session_type_id=b.session_type_id, starts_at=now + timedelta(days=400 + 2 * i),
                           ends_at=now + timedelta(days=400 + 2 * i, minutes=50), status=b.status,
                           ical_uid=uuid.uuid4().hex)
            db.session.add(copy)
            db.session.flush()
            note = db.session.scalar(select(Note).where(Note.booking_id == b.id))
            db.session.add(Note(couple_id=couple.id, booking_id=copy.id, coach_id=note.coach_id, kind="session",
                                template_key=note.template_key, template_version=1, sections=note.sections,
                                status="signed", signed_at=now, signed_by_id=note.signed_by_id,
                                content_sha256="0" * 64))
        db.session.commit()
        return couple.id


if __name__ == "__main__":
    sys.exit(main())
