"""Reminders against a real database (each test on SQLite and PostgreSQL): made on confirmation
for everyone who may see the booking, moved by a reschedule, dropped by a cancel, never for a
hold; dispatched exactly once by racing workers (threads and processes); late ones sent before
the start and skipped after it; the recipient's own time zone across a clock change."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.notify.models import OutboxMessage
from coaching.reminders import services as reminders
from coaching.reminders.models import Reminder, ReminderState
from coaching.reminders.tasks import dispatch_reminders_now
from coaching.scheduling import services
from coaching.scheduling.models import Booking, SessionKind
from tests.mail import sent_emails
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
START = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)  # Wednesday 10:00 EST, 15:00 GMT
ANA, BEN, COACH = "ana@example.com", "ben@example.com", "coach@example.com"


@pytest.fixture
def world(dbs, frozen_clock):
    free = create_session_type("consultation")
    paid = create_session_type("couples-session", price_cents=15000)
    solo = create_session_type("solo", kind=SessionKind.INDIVIDUAL)
    coach = create_coach(session_types=[free, paid, solo])
    create_couple(ANA, BEN)  # Ana in New York, Ben in London
    return coach


def book(coach, slug="consultation", start=START, email=ANA, now=NOW):
    return services.place_hold(db.session, user=user_by_email(email), coach_id=coach.id,
                               session_type_slug=slug, start=start, now=now)


def reminder_rows(booking_id=None):
    query = select(Reminder).order_by(Reminder.due_at, Reminder.user_id)
    if booking_id is not None:
        query = query.where(Reminder.booking_id == booking_id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


def who(rows):
    return sorted({db.session.get(type(user_by_email(ANA)), r.user_id).email for r in rows})


def reminder_mails(to=None):
    return sent_emails(to=to, kind="booking_reminder")


def dispatch(at):
    db.session.remove()
    return reminders.dispatch_due(db.session, at)


# --- made, moved, dropped ------------------------------------------------------------------------


def test_a_confirmed_joint_session_gets_a_reminder_per_offset_for_both_partners_and_the_coach(world):
    booking = book(world)
    rows = reminder_rows(booking.id)
    assert len(rows) == 6 and who(rows) == [ANA, BEN, COACH]
    assert sorted({(r.offset_minutes, r.due_at) for r in rows}) == [
        (60, START - timedelta(hours=1)), (1440, START - timedelta(hours=24))]
    assert {r.state for r in rows} == {ReminderState.PENDING} and all(r.sent_at is None for r in rows)


def test_the_24_hour_reminder_reaches_each_person_in_their_own_zone_with_video_and_manage_links(world, app):
    booking = book(world)
    assert dispatch(START - timedelta(hours=24, seconds=1)) == Counter()  # not due yet
    assert reminder_mails() == []
    assert dispatch(START - timedelta(hours=24)) == Counter(sent=3)
    ana, ben, coach = reminder_mails(ANA), reminder_mails(BEN), reminder_mails(COACH)
    assert (len(ana), len(ben), len(coach)) == (1, 1, 1)
    assert ana[0].subject == "Reminder: your Tandem appointment on Wed 04 Nov 2026, 10:00 EST"
    assert "When: Wed 04 Nov 2026, 10:00 EST to 10:50 EST (America/New_York)" in ana[0].text_body
    assert "When: Wed 04 Nov 2026, 15:00 GMT to 15:50 GMT (Europe/London)" in ben[0].text_body
    for mail in (ana[0], ben[0], coach[0]):
        assert f"Video room: {booking.video_url}" in mail.text_body and booking.video_url in mail.html_body
        assert "/account/notifications" in mail.text_body
        assert "hour" not in mail.text_body.lower() and "tomorrow" not in mail.text_body.lower()
    assert "/bookings/manage/" in ana[0].text_body and "?tz=America/New_York" in ana[0].text_body
    assert "/bookings/manage/" not in coach[0].text_body and "/coach/calendar" in coach[0].text_body
    # The manage link works (signed for the booking as it is now).
    link = ana[0].text_body.split("To reschedule or cancel: ")[1].split()[0]
    path = link.removeprefix(app.config["TANDEM_BASE_URL"])
    assert app.test_client().get(path).status_code == 200
    assert dispatch(START - timedelta(hours=23)) == Counter()  # sent once, never again
    assert len(reminder_mails()) == 3
    assert {r.state for r in reminder_rows() if r.offset_minutes == 1440} == {ReminderState.SENT}


def test_a_hold_gets_no_reminder_until_it_is_paid_and_an_expired_hold_never_does(world):
    held = book(world, "couples-session")
    assert reminder_rows() == []
    services.confirm_hold(db.session, held, NOW + timedelta(minutes=5))
    db.session.commit()
    expired = book(world, "couples-session", START + timedelta(hours=2), email=BEN)
    assert services.expire_stale_holds(db.session, NOW + timedelta(hours=1)) == 1
    assert {r.booking_id for r in reminder_rows()} == {held.id}
    assert dispatch(START - timedelta(minutes=30)) == Counter(sent=3, superseded=3)
    assert reminder_rows(expired.id) == []


def test_the_individual_sessions_reminder_goes_only_to_the_partner_who_booked_it_and_the_coach(world):
    booking = book(world, "solo", email=BEN)
    assert who(reminder_rows(booking.id)) == [BEN, COACH]
    dispatch(START - timedelta(minutes=50))
    assert reminder_mails(ANA) == [] and len(reminder_mails(BEN)) == 1 and len(reminder_mails(COACH)) == 1
    # Nothing Ana received mentions it.
    for mail in sent_emails(to=ANA):
        assert "Solo" not in mail.subject + mail.text_body and booking.video_url not in mail.text_body


def test_a_reschedule_moves_the_reminders_to_the_new_time(world):
    booking = book(world)
    later = START + timedelta(days=1, hours=2)
    new = services.reschedule_booking(db.session, booking, new_start=later, now=NOW + timedelta(hours=1),
                                      by_user=user_by_email(ANA))
    assert reminder_rows(booking.id) == []
    rows = reminder_rows(new.id)
    assert len(rows) == 6 and who(rows) == [ANA, BEN, COACH]
    assert {r.due_at for r in rows} == {later - timedelta(hours=24), later - timedelta(hours=1)}
    assert dispatch(START - timedelta(minutes=30)) == Counter()  # the old time: nothing
    assert dispatch(later - timedelta(hours=24)) == Counter(sent=3)
    assert "Thu 05 Nov 2026, 12:00 EST" in reminder_mails(ANA)[0].text_body


def test_a_reschedule_close_to_the_new_time_keeps_only_the_reminders_still_ahead(world):
    booking = book(world)
    soon = NOW + timedelta(hours=3)  # 13:00 New York
    new = services.reschedule_booking(db.session, booking, new_start=soon, now=NOW, by_coach=True)
    assert {r.offset_minutes for r in reminder_rows(new.id)} == {60}


def test_a_cancel_drops_the_reminders_not_yet_sent(world):
    booking = book(world)
    assert dispatch(START - timedelta(hours=24)) == Counter(sent=3)
    services.cancel_booking(db.session, db.session.get(Booking, booking.id), now=START - timedelta(hours=20),
                            by_coach=True)
    assert {r.offset_minutes for r in reminder_rows(booking.id)} == {1440}  # the sent ones stay as history
    assert dispatch(START - timedelta(minutes=30)) == Counter()
    assert len(reminder_mails()) == 3


# --- late, off, started --------------------------------------------------------------------------


def test_after_downtime_a_late_reminder_is_sent_once_with_the_real_start_time(world):
    book(world)
    # The worker was down for a day: both reminders are due, ten minutes before the start.
    assert dispatch(START - timedelta(minutes=10)) == Counter(sent=3, superseded=3)
    [ana] = reminder_mails(ANA)
    assert "Wed 04 Nov 2026, 10:00 EST" in ana.text_body and "in 1 hour" not in ana.text_body
    assert {(r.offset_minutes, r.state) for r in reminder_rows() if r.user_id == user_by_email(ANA).id} == {
        (1440, ReminderState.SUPERSEDED), (60, ReminderState.SENT)}


def test_after_downtime_past_the_start_the_reminders_are_skipped(world):
    booking = book(world)
    assert dispatch(START + timedelta(minutes=5)) == Counter(started=6)
    assert reminder_mails() == []
    assert all(r.sent_at == START + timedelta(minutes=5) for r in reminder_rows(booking.id))
    assert dispatch(START + timedelta(hours=2)) == Counter()


def test_reminders_already_made_for_a_person_who_turns_them_off_are_not_sent(world):
    book(world)
    reminders.save_preferences(db.session, user_by_email(ANA), reminders=False, homework_emails=True)
    assert dispatch(START - timedelta(hours=24)) == Counter(sent=2, off=1)
    assert reminder_mails(ANA) == [] and len(reminder_mails(BEN)) == 1
    reminders.save_preferences(db.session, user_by_email(ANA), reminders=True, homework_emails=True)
    assert dispatch(START - timedelta(hours=1)) == Counter(sent=3)
    assert len(reminder_mails(ANA)) == 1


def test_the_periodic_task_dispatches_with_the_apps_clock(world, frozen_clock):
    book(world)
    frozen_clock.set(START - timedelta(hours=1))
    db.session.remove()
    assert dispatch_reminders_now() == {"sent": 3, "superseded": 3}
    assert dispatch_reminders_now() == {}


# --- clocks change -------------------------------------------------------------------------------


def test_24_hours_before_a_session_the_day_after_a_clock_change_is_24_real_hours(dbs, frozen_clock):
    from datetime import time as clock_time

    frozen_clock.set(datetime(2026, 10, 30, 12, 0, tzinfo=UTC))
    free = create_session_type("consultation")
    coach = create_coach(timezone="Europe/London", session_types=[free],
                         hours={d: [(clock_time(4), clock_time(8))] for d in range(7)})
    create_couple(ANA, BEN)
    # New York leaves summer time on Sunday 1 November at 06:00 UTC. The session is on Monday
    # 2 November at 05:00 UTC: 00:00 EST in New York, 05:00 GMT in London.
    start = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)
    booking = book(coach, start=start, now=frozen_clock.at)
    due = {r.due_at for r in reminder_rows(booking.id) if r.offset_minutes == 1440}
    assert due == {datetime(2026, 11, 1, 5, 0, tzinfo=UTC)}  # 01:00 EDT: 24 real hours, not "midnight the day before"
    assert datetime(2026, 11, 1, 4, 0, tzinfo=UTC) not in due  # what a local-calendar-day rule would give
    assert dispatch(datetime(2026, 11, 1, 4, 59, tzinfo=UTC)) == Counter()
    assert dispatch(datetime(2026, 11, 1, 5, 0, tzinfo=UTC)) == Counter(sent=3)
    assert "When: Mon 02 Nov 2026, 00:00 EST to 00:50 EST" in reminder_mails(ANA)[0].text_body
    assert "When: Mon 02 Nov 2026, 05:00 GMT to 05:50 GMT" in reminder_mails(BEN)[0].text_body


# --- exactly once, with workers racing -----------------------------------------------------------

RACE_AT = datetime(2026, 11, 4, 13, 59, tzinfo=UTC)  # every 24-hour reminder of the day is due


def many_bookings(coach) -> list[Booking]:
    """Eight joint sessions on Wednesday 4 November, 9:00 to 16:00 New York."""
    return [book(coach, start=datetime(2026, 11, 4, 14 + h, 0, tzinfo=UTC), now=NOW) for h in range(8)]


def assert_each_sent_exactly_once(bookings: list[Booking]) -> None:
    db.session.remove()
    rows = reminder_rows()
    sent = [r for r in rows if r.state == ReminderState.SENT]
    # One reminder per session and person (the first session's 1-hour one replaces its 24-hour one).
    assert sorted((r.booking_id, r.user_id) for r in sent) == sorted(
        {(r.booking_id, r.user_id) for r in rows if r.due_at <= RACE_AT})
    assert len(sent) == len(bookings) * 3
    outbox = Counter(db.session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.kind == "booking_reminder")))
    assert outbox == Counter({ANA: len(bookings), BEN: len(bookings), COACH: len(bookings)})
    assert all(r.sent_at is None for r in rows if r.due_at > RACE_AT)


def test_two_worker_threads_send_each_reminder_exactly_once(world, app):
    bookings = many_bookings(world)
    start = threading.Barrier(2)
    results: list[Counter[str]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                results.append(reminders.dispatch_due(db.session, RACE_AT, batch=3))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    total = results[0] + results[1]
    assert total == Counter(sent=24, superseded=3)
    assert_each_sent_exactly_once(bookings)


WORKER = """
import sys, time
from datetime import datetime
from pathlib import Path
from coaching import create_app, db
from coaching.config import TestConfig
from coaching.reminders.services import dispatch_due

app = create_app(TestConfig(DATABASE_URL=sys.argv[1], TASKS_MODE="sqlite", HUEY_SQLITE_PATH=sys.argv[4]))
go = Path(sys.argv[3])
deadline = time.monotonic() + 60
while not go.exists() and time.monotonic() < deadline:
    time.sleep(0.005)
with app.app_context():
    print(dict(dispatch_due(db.session, datetime.fromisoformat(sys.argv[2]), batch=2)))
"""


def test_two_worker_processes_send_each_reminder_exactly_once(world, app, database_url, tmp_path):
    bookings = many_bookings(world)
    go = tmp_path / "go"
    env = {**os.environ, "TANDEM_TASKS": "sqlite", "HUEY_SQLITE_PATH": str(tmp_path / "huey.db")}
    env.pop("REDIS_URL", None)
    workers = [subprocess.Popen([sys.executable, "-c", WORKER, database_url, RACE_AT.isoformat(), str(go),
                                 str(tmp_path / "huey.db")],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    time.sleep(1.5)  # both interpreters import the app meanwhile; then release them together
    go.touch()
    outputs = [w.communicate(timeout=120) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [err[-2000:] for _, err in outputs]
    counts = [eval(out.strip().splitlines()[-1]) for out, _ in outputs]  # noqa: S307 - our own dict output
    assert sum((Counter(c) for c in counts), Counter()) == Counter(sent=24, superseded=3)
    assert_each_sent_exactly_once(bookings)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.sent_at.is_(None))) == 48 - 27


def test_sessions_confirmed_without_the_signals_get_their_reminders_from_the_periodic_task(world, frozen_clock):
    import uuid

    from coaching.scheduling.models import BookingStatus

    from coaching.intake.models import Couple
    from coaching.scheduling.models import SessionType

    couple_id = db.session.scalar(select(Couple.id))
    solo_id = db.session.scalar(select(SessionType.id).where(SessionType.slug == "solo"))
    # Written directly, as the demo data and bookings from before this feature are.
    db.session.add(Booking(coach_id=world.id, couple_id=couple_id, session_type_id=solo_id,
                           booked_by_id=user_by_email(BEN).id, starts_at=START, ends_at=START + timedelta(minutes=50),
                           status=BookingStatus.CONFIRMED, confirmed_at=NOW, ical_uid=f"{uuid.uuid4()}@test",
                           video_url="https://meet.jit.si/tandem-direct"))
    db.session.add(Booking(coach_id=world.id, couple_id=couple_id, session_type_id=solo_id,
                           booked_by_id=user_by_email(BEN).id, starts_at=START + timedelta(days=3),
                           ends_at=START + timedelta(days=3, minutes=50), status=BookingStatus.CONFIRMED,
                           confirmed_at=NOW, ical_uid=f"{uuid.uuid4()}@test"))
    db.session.commit()
    frozen_clock.set(START - timedelta(hours=30))
    db.session.remove()
    assert dispatch_reminders_now() == {}
    rows = reminder_rows()
    assert who(rows) == [BEN, COACH] and {r.due_at for r in rows} == {
        START - timedelta(hours=24), START - timedelta(hours=1)}  # the session 3 days ahead: not yet
    assert reminders.backfill(db.session, frozen_clock.at) == 0  # made once
    frozen_clock.set(START - timedelta(hours=24))
    assert dispatch_reminders_now() == {"sent": 2}
    assert reminder_mails(ANA) == [] and "tandem-direct" in reminder_mails(BEN)[0].text_body
