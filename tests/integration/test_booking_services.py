"""Booking use cases against a real database (each test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coaching import db
from coaching.intake.models import JointSessionOpening
from coaching.notify.models import OutboxMessage
from coaching.scheduling import events, services
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.mail import sent_emails
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
TOMORROW_10 = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)


@pytest.fixture
def world(dbs, frozen_clock):
    free = create_session_type("consultation")
    paid = create_session_type("couples-session", price_cents=15000)
    solo = create_session_type("individual-session", price_cents=12000, kind=SessionKind.INDIVIDUAL)
    coach = create_coach(session_types=[free, paid, solo])
    create_couple("ana@example.com", "ben@example.com")
    return coach


def hold(slug, start=TOMORROW_10, email="ana@example.com", now=NOW, coach_id=None):
    coach_id = coach_id or db.session.scalar(select(Booking.coach_id).limit(1)) or 1
    return services.place_hold(db.session, user=user_by_email(email), coach_id=coach_id,
                               session_type_slug=slug, start=start, now=now)


def blocking_count():
    return db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.status.in_([BookingStatus.HELD, BookingStatus.CONFIRMED])))


def test_free_session_is_confirmed_at_once_and_both_partners_and_coach_are_emailed(world):
    booking = hold("consultation", coach_id=world.id)
    assert booking.status == BookingStatus.CONFIRMED and booking.video_url.startswith("https://meet.jit.si/tandem-")
    messages = sorted(sent_emails(), key=lambda m: m.to_addr)
    assert [m.to_addr for m in messages] == ["ana@example.com", "ben@example.com", "coach@example.com"]
    assert {m.subject for m in messages} == {"Your Tandem appointment is confirmed"}
    ics = messages[1].attachments[0]["content"]
    assert f"UID:{booking.ical_uid}" in ics and "METHOD:REQUEST" in ics and "SEQUENCE:0" in ics
    assert "GMT" in messages[1].text_body  # Ben reads it in London time
    assert "EST" in messages[0].text_body


def test_each_booking_gets_its_own_unguessable_video_room(world):
    first = hold("consultation", coach_id=world.id)
    second = hold("consultation", TOMORROW_10 + timedelta(hours=2), coach_id=world.id)
    assert first.video_url != second.video_url and len(first.video_url) > 40


def test_paid_session_stays_held_and_announces_the_hold(world):
    seen = []
    with events.hold_placed.connected_to(lambda sender, **kw: seen.append((sender.id, kw["now"]))):
        booking = hold("couples-session", coach_id=world.id)
    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at == NOW + timedelta(minutes=15)
    assert seen == [(booking.id, NOW)]


def test_taken_slot_is_refused_with_the_next_free_slots(world):
    hold("consultation", coach_id=world.id)
    with pytest.raises(services.SlotTaken) as err:
        hold("consultation", coach_id=world.id, email="ben@example.com")
    assert err.value.next_slots[0][0] == TOMORROW_10 + timedelta(hours=1)
    assert blocking_count() == 1


def test_overlapping_but_unequal_start_is_refused(world):
    fine_grid = create_session_type("fine-grid", slot_interval_min=15)
    world.session_types.append(fine_grid)
    db.session.commit()
    hold("fine-grid", coach_id=world.id)
    with pytest.raises(services.SlotTaken):
        hold("fine-grid", TOMORROW_10 + timedelta(minutes=30), email="ben@example.com", coach_id=world.id)
    hold("fine-grid", TOMORROW_10 + timedelta(minutes=60), email="ben@example.com", coach_id=world.id)


def test_start_off_the_grid_is_not_a_slot(world):
    with pytest.raises(services.NotASlot):
        hold("consultation", TOMORROW_10 + timedelta(minutes=7), coach_id=world.id)
    with pytest.raises(services.NotASlot):
        hold("consultation", datetime(2026, 11, 3, 3, tzinfo=UTC), coach_id=world.id)  # 22:00 in New York


def test_expired_hold_does_not_block_the_slot_and_never_becomes_a_booking(world):
    first = hold("couples-session", coach_id=world.id)
    later = NOW + timedelta(minutes=16)
    released = []
    with events.hold_released.connected_to(lambda sender, **kw: released.append(sender.id)):
        second = hold("couples-session", email="ben@example.com", now=later, coach_id=world.id)
    db.session.refresh(first)
    assert first.status == BookingStatus.EXPIRED and released == [first.id]
    assert second.status == BookingStatus.HELD
    with pytest.raises(services.HoldExpired):
        services.confirm_hold(db.session, first, later)


def test_confirming_a_hold_after_its_expiry_marks_it_expired(world):
    booking = hold("couples-session", coach_id=world.id)
    with pytest.raises(services.HoldExpired):
        services.confirm_hold(db.session, booking, NOW + timedelta(minutes=15))
    assert booking.status == BookingStatus.EXPIRED


def test_confirm_hold_confirms_without_committing(world):
    booking = hold("couples-session", coach_id=world.id)
    services.confirm_hold(db.session, booking, NOW + timedelta(minutes=5))
    assert booking.status == BookingStatus.CONFIRMED
    db.session.rollback()
    assert db.session.get(Booking, booking.id).status == BookingStatus.HELD


def test_released_hold_cannot_be_confirmed(world):
    booking = hold("couples-session", coach_id=world.id)
    services.release_hold(db.session, booking, NOW)
    db.session.commit()
    with pytest.raises(services.HoldExpired):
        services.confirm_hold(db.session, booking, NOW)


def test_periodic_sweep_expires_stale_holds(world):
    hold("couples-session", coach_id=world.id)
    assert services.expire_stale_holds(db.session, NOW + timedelta(minutes=10)) == 0
    assert services.expire_stale_holds(db.session, NOW + timedelta(minutes=15)) == 1
    assert blocking_count() == 0


def test_cancelled_booking_frees_its_slot_and_sends_a_calendar_cancel(world):
    booking = hold("consultation", coach_id=world.id)
    services.cancel_booking(db.session, booking, now=NOW, by_coach=True, reason="I am unwell")
    assert booking.status == BookingStatus.CANCELLED
    [cancel] = sent_emails(to="ana@example.com", kind="booking_cancelled")
    assert "METHOD:CANCEL" in cancel.attachments[0]["content"] and "I am unwell" in cancel.text_body
    again = hold("consultation", email="ben@example.com", coach_id=world.id)
    assert again.status == BookingStatus.CONFIRMED


def test_client_cannot_cancel_inside_the_policy_window_but_the_coach_can(world):
    booking = hold("consultation", coach_id=world.id)
    with pytest.raises(services.TooLate):
        services.cancel_booking(db.session, booking, now=TOMORROW_10 - timedelta(hours=2))
    services.cancel_booking(db.session, booking, now=TOMORROW_10 - timedelta(hours=2), by_coach=True, reason="x")
    assert booking.status == BookingStatus.CANCELLED


def test_reschedule_moves_the_booking_keeping_its_uid_with_a_higher_sequence(world):
    booking = hold("consultation", datetime(2026, 11, 5, 15, tzinfo=UTC), coach_id=world.id)
    uid, moved = booking.ical_uid, []
    with events.booking_rescheduled.connected_to(lambda sender, **kw: moved.append((sender.id, kw["new"].id))):
        new = services.reschedule_booking(db.session, booking, new_start=datetime(2026, 11, 5, 16, tzinfo=UTC), now=NOW)
    assert booking.status == BookingStatus.CANCELLED and new.status == BookingStatus.CONFIRMED
    assert new.ical_uid == uid and new.ical_sequence == booking.ical_sequence + 1 and new.replaces_id == booking.id
    assert moved == [(booking.id, new.id)]
    assert new.video_url == booking.video_url


def test_reschedule_onto_a_taken_slot_changes_nothing(world):
    booking = hold("consultation", datetime(2026, 11, 5, 15, tzinfo=UTC), coach_id=world.id)
    hold("consultation", datetime(2026, 11, 5, 17, tzinfo=UTC), email="ben@example.com", coach_id=world.id)
    with pytest.raises(services.SlotTaken):
        services.reschedule_booking(db.session, booking, new_start=datetime(2026, 11, 5, 17, tzinfo=UTC), now=NOW)
    db.session.refresh(booking)
    assert booking.status == BookingStatus.CONFIRMED and blocking_count() == 2


def test_joint_session_is_refused_until_the_coach_opens_joint_sessions_but_individual_is_allowed(world):
    couple = create_couple("cy@example.com", "dee@example.com", joint_open=False)
    with pytest.raises(services.JointSessionsNotOpen):
        hold("consultation", email="cy@example.com", coach_id=world.id)
    booking = hold("individual-session", email="cy@example.com", coach_id=world.id)
    assert booking.status == BookingStatus.HELD
    couple.joint_opening = JointSessionOpening(couple_id=couple.id, opened_at=NOW)
    db.session.commit()
    later = TOMORROW_10 + timedelta(hours=2)
    assert hold("consultation", later, email="cy@example.com", coach_id=world.id).status == BookingStatus.CONFIRMED


def test_database_refuses_overlapping_rows_even_without_the_service(world):
    couple_id = db.session.scalar(select(func.min(Booking.id))) or None
    for offset in (0, 30):
        db.session.add(Booking(coach_id=world.id, starts_at=TOMORROW_10 + timedelta(minutes=offset),
                               ends_at=TOMORROW_10 + timedelta(minutes=offset + 50), status=BookingStatus.CONFIRMED,
                               ical_uid=f"raw-{offset}", couple_id=couple_id))
        if offset:
            with pytest.raises(IntegrityError):
                db.session.flush()
        else:
            db.session.commit()


def test_block_time_blocks_slots_and_refuses_overlap(world):
    services.block_time(db.session, world, start=TOMORROW_10, end=TOMORROW_10 + timedelta(hours=2), now=NOW)
    slots = services.free_slots(db.session, world.id, services.bookable_session_type(db.session, world.id, "consultation")[1],
                                TOMORROW_10 - timedelta(hours=1), TOMORROW_10 + timedelta(hours=3), NOW)
    assert [s for s, _ in slots] == [TOMORROW_10 - timedelta(hours=1), TOMORROW_10 + timedelta(hours=2)]
    with pytest.raises(services.SlotTaken):
        services.block_time(db.session, world, start=TOMORROW_10 + timedelta(hours=1),
                            end=TOMORROW_10 + timedelta(hours=3), now=NOW)


def test_attendance_is_marked_only_after_the_start(world):
    booking = hold("consultation", coach_id=world.id)
    with pytest.raises(services.NotChangeable):
        services.mark_attendance(db.session, booking, "complete", NOW)
    services.mark_attendance(db.session, booking, "no_show", TOMORROW_10 + timedelta(minutes=10))
    assert booking.status == BookingStatus.NO_SHOW


@pytest.mark.parametrize("slug", ["consultation", "couples-session"])
def test_joint_sessions_closed_while_the_hold_was_on_its_way_are_refused_inside_the_transaction(world, slug):
    """The gate is read first on the couple as loaded; a separation (or a change of coach) that
    deletes the opening after that read, before the booking's transaction, must still win."""
    ana = user_by_email("ana@example.com")
    couple = services.couple_of_user(db.session, ana.id)
    assert couple.joint_sessions_open  # loaded now: this session keeps seeing it open
    db.session.commit()  # (objects are not expired on commit)
    with db.session.get_bind().connect() as other:  # another request ends the couple's joint sessions meanwhile
        other.execute(JointSessionOpening.__table__.delete().where(JointSessionOpening.couple_id == couple.id))
        other.commit()
    assert couple.joint_sessions_open  # still the stale copy
    with pytest.raises(services.JointSessionsNotOpen):
        hold(slug, coach_id=world.id)
    assert blocking_count() == 0
