"""After a separation, a person starts again with a new partner (SQLite and PostgreSQL).

The world (``tests.erasure_data``): A (Qzxa) and B (Bxqv) with a full history, their coach Ana.
They separate; A starts a new couple and invites C, who joins as any invited client does. What
is tried: one current seat per person (the database refuses a second, also when many threads
start at once), the ended couple taking no more changes, each person reaching exactly their own
couples' bookings, summaries and exports, and erasure reaching every seat.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from coaching import db
from coaching.erasure import services as erasure
from coaching.exports import collect
from coaching.homework import services as homework
from coaching.intake import invites, seats, services as intake
from coaching.intake.models import Couple, Partner, PrivateAnswer
from coaching.matching import services as matching
from coaching.scheduling.models import Booking, BookingStatus
from coaching.scheduling.services import NotFound, visible_booking
from coaching.security import can_see_couple
from tests.conftest import PASSWORD
from tests.erasure_data import A_MARK, B_MARK, World, build_world, containing, user
from tests.mail import sent_emails
from tests.racing import race
from tests.scheduling_data import create_coach, create_user_row

C_EMAIL, C_MARK = "czxo@example.com", "czxo"


@pytest.fixture
def world(dbs, frozen_clock) -> World:
    return build_world()


def separate(dbs, frozen_clock, world: World) -> None:
    erasure.separate_couple(dbs, user(world.a), now=frozen_clock())


def start_with_c(app, dbs, world: World) -> tuple[int, int]:
    """A starts again and invites C, who registers through the link; (new couple id, C's id)."""
    couple = intake.start_intake(dbs, user(world.a))
    seat_a = couple.partner_for(world.a)
    intake.give_consent(dbs, seat_a, terms=True, sharing=True, sensitive_data=True)
    with app.test_request_context():
        token = invites.invite_partner(dbs, seat_a, C_EMAIL)
        c = invites.register_through_invite(dbs, token, name="Czxo Cleo", password=PASSWORD,
                                            timezone="America/New_York")
    dbs.add(PrivateAnswer(partner_id=seat_a.id, step="own_view", version=1,
                          answers={"own_view": f"{A_MARK} about {C_MARK}: new view"}))
    dbs.add(PrivateAnswer(partner_id=couple.partner_for(c.id).id, step="own_view", version=1,
                          answers={"own_view": f"{C_MARK} private view"}))
    dbs.commit()
    return couple.id, c.id


def test_after_a_separation_a_starts_a_new_couple_and_invites_a_new_partner(app, dbs, frozen_clock, world):
    assert intake.start_intake(dbs, user(world.a)).id == world.couple  # while it is current: the same couple
    separate(dbs, frozen_clock, world)
    assert {p.ended_at for p in dbs.get(Couple, world.couple).partners} == {frozen_clock()}

    new_id, c_id = start_with_c(app, dbs, world)
    assert new_id != world.couple
    # A: the new couple is home; the ended one is still theirs to read.
    assert seats.home_seat(dbs, world.a).couple_id == new_id
    assert seats.current_seat(dbs, world.a).couple_id == new_id
    assert seats.couple_ids_of(dbs, world.a) == [new_id, world.couple]
    assert can_see_couple(user(world.a), dbs.get(Couple, world.couple))
    # C sits in the new couple only; B in the ended one only.
    assert seats.couple_ids_of(dbs, c_id) == [new_id]
    assert seats.couple_ids_of(dbs, world.b) == [world.couple]
    assert not can_see_couple(user(c_id), dbs.get(Couple, world.couple))
    assert not can_see_couple(user(world.b), dbs.get(Couple, new_id))
    # C was invited by the ordinary invitation email, and B heard nothing of it.
    assert [m.kind for m in sent_emails(to=C_EMAIL)] == ["invite_partner"]
    assert not any(C_MARK in (m.text_body or "") or "Czxo" in (m.text_body or "")
                   for m in sent_emails(to="bxqv@example.com"))


def test_the_database_refuses_a_second_current_seat(dbs, frozen_clock, world):
    other = dbs.get(Couple, world.other_couple)
    dbs.add(Partner(couple_id=_new_couple(dbs), slot="a", user_id=world.a))
    with pytest.raises(IntegrityError):
        dbs.commit()
    dbs.rollback()
    # Once the couple has ended, the same seat is allowed.
    separate(dbs, frozen_clock, world)
    dbs.add(Partner(couple_id=_new_couple(dbs), slot="a", user_id=world.a))
    dbs.commit()
    # And a seat of A's in another current couple is refused again.
    dbs.add(Partner(couple_id=_new_couple(dbs), slot="a", user_id=world.a))
    with pytest.raises(IntegrityError):
        dbs.commit()
    dbs.rollback()
    assert len(other.partners) == 2


def _new_couple(dbs) -> int:
    couple = Couple()
    dbs.add(couple)
    dbs.flush()
    return couple.id


def test_many_threads_starting_again_at_once_make_one_new_couple(app, dbs, frozen_clock, world):
    separate(dbs, frozen_clock, world)
    db.session.remove()

    def start() -> int | Exception:
        with app.app_context():
            try:
                return intake.start_intake(db.session, user(world.a)).id
            except Exception as exc:  # noqa: BLE001 - an answer, asserted below
                return exc
            finally:
                db.session.remove()

    results = race([start] * 6)
    assert len(set(results)) == 1 and isinstance(results[0], int), results
    with app.app_context():
        current = db.session.scalars(select(Partner).where(Partner.user_id == world.a,
                                                           Partner.ended_at.is_(None))).all()
        assert [p.couple_id for p in current] == [results[0]]


def test_an_ended_couple_takes_no_more_changes_or_invitations(app, dbs, frozen_clock, world):
    separate(dbs, frozen_clock, world)
    seat_a = dbs.get(Partner, world.seat_a)
    with pytest.raises(intake.IntakeError, match="ended"):
        intake.save_private_step(dbs, seat_a, "view", 1, {"own_view": ["changed after the end"]})
    with pytest.raises(intake.IntakeError, match="ended"):
        intake.save_shared_step(dbs, seat_a, "goals", 1, {"goals": ["changed after the end"]})
    with app.test_request_context(), pytest.raises(intake.IntakeError, match="ended"):
        invites.invite_partner(dbs, seat_a, C_EMAIL)
    summary = dbs.scalar(select(homework.SharedSummary).where(homework.SharedSummary.couple_id == world.couple,
                                                               homework.SharedSummary.partner_id.is_(None)))
    with pytest.raises(homework.CoupleEnded):
        homework.add_reflection(dbs, user(world.a), summary.id, text="after the end", audience="shared")
    with pytest.raises(homework.CoupleEnded):
        homework.set_done(dbs, user(world.b), summary.items[0].id, False)
    # Nor a coach: no rematch request for the former partner to answer, no new choice.
    couple = dbs.get(Couple, world.couple)
    with pytest.raises(matching.MatchingError, match="ended"):
        matching.request_rematch(dbs, couple, user(world.a), "after the end")
    couple.coach_id = None
    dbs.commit()
    with pytest.raises(matching.MatchingError, match="ended"):
        matching.require_matching_open(dbs, couple)
    assert containing(dbs, "after the end") == []


def test_each_person_reaches_exactly_their_own_couples_bookings(app, dbs, frozen_clock, world):
    separate(dbs, frozen_clock, world)
    new_id, c_id = start_with_c(app, dbs, world)
    coach = create_coach("ben@example.com", name="Ben Other")
    dbs.add(Booking(coach_id=coach.id, couple_id=new_id, session_type_id=world.joint_type, booked_by_id=c_id,
                    starts_at=frozen_clock().replace(hour=20), ends_at=frozen_clock().replace(hour=21),
                    status=BookingStatus.CONFIRMED, ical_uid="new@test"))
    dbs.commit()
    new_booking = dbs.scalar(select(Booking.id).where(Booking.couple_id == new_id))
    old = world.bookings
    a, b, c = user(world.a), user(world.b), user(c_id)
    # A: the old joint history, their own old individual session, and the new couple's booking.
    for booking_id in (old["past"], old["solo_a"], new_booking):
        assert visible_booking(dbs, a, booking_id).id == booking_id
    # B: the old couple's joint history and their own individual session, nothing new.
    for booking_id in (old["past"], old["solo_b"]):
        assert visible_booking(dbs, b, booking_id).id == booking_id
    # Nobody reaches what is not theirs.
    for who, booking_id in ((a, old["solo_b"]), (b, old["solo_a"]), (b, new_booking),
                            (c, old["past"]), (c, old["solo_a"]), (c, old["solo_b"])):
        with pytest.raises(NotFound):
            visible_booking(dbs, who, booking_id)
    # Their coaches: Ana sees the ended couple and not the new one; Ben (the new couple's coach) the reverse.
    dbs.get(Couple, new_id).coach_id = coach.id
    dbs.commit()
    ana, ben = user(world.coach_user), user(coach.user_id)
    with app.test_request_context():
        assert can_see_couple(ana, dbs.get(Couple, world.couple)) and not can_see_couple(ana, dbs.get(Couple, new_id))
        assert can_see_couple(ben, dbs.get(Couple, new_id)) and not can_see_couple(ben, dbs.get(Couple, world.couple))


def test_exports_hold_each_persons_couples_and_nothing_of_the_others(app, dbs, frozen_clock, world):
    separate(dbs, frozen_clock, world)
    _new_id, c_id = start_with_c(app, dbs, world)
    with app.test_request_context():
        a_data = json.dumps(collect.collect(dbs, user(world.a), frozen_clock(), with_notes=True, notes_setting="always"))
        b_data = json.dumps(collect.collect(dbs, user(world.b), frozen_clock(), with_notes=True, notes_setting="always"))
        c_data = json.dumps(collect.collect(dbs, user(c_id), frozen_clock(), with_notes=True, notes_setting="always"))
    # A's export: both couples (the new one first, the ended one under "earlier_couples").
    assert "earlier_couples" in a_data and f"{A_MARK} about {C_MARK}" in a_data and f"{A_MARK} private view" in a_data
    assert f"{C_MARK} private view" not in a_data and f"{B_MARK} private view" not in a_data
    # C's: nothing of the ended couple (not A's old answers, not B, not its sessions' notes).
    assert f"{C_MARK} private view" in c_data
    for foreign in (B_MARK, f"{A_MARK} private view", "Worked on listening", "We practised listening", "earlier_couples"):
        assert foreign not in c_data, foreign
    # B's: the ended couple as before, nothing of A's new couple.
    assert f"{B_MARK} private view" in b_data
    for foreign in (C_MARK, "Czxo", "earlier_couples"):
        assert foreign not in b_data, foreign


def test_erasure_of_a_reaches_every_seat_and_tells_the_current_partner_only(app, dbs, frozen_clock, world):
    separate(dbs, frozen_clock, world)
    new_id, c_id = start_with_c(app, dbs, world)
    before_b = sent_emails(to="bxqv@example.com")
    erasure.request_deletion(dbs, user(world.a), PASSWORD, now=frozen_clock())
    frozen_clock.advance(days=7, minutes=1)
    assert erasure.erase_due(dbs, frozen_clock()) == 1
    dbs.expire_all()
    assert containing(dbs, A_MARK) == []
    assert containing(dbs, C_MARK) != []  # C's own answers stay
    assert erasure.separation_of(dbs, new_id).reason == "erasure"
    assert [m.kind for m in sent_emails(to=C_EMAIL)].count("partner_left") == 1
    assert len(sent_emails(to="bxqv@example.com")) == len(before_b)  # B: already apart, told nothing
    # C may now start again too: every seat of theirs has ended.
    assert seats.current_seat(dbs, c_id) is None
    assert intake.start_intake(dbs, user(c_id)).id not in (new_id, world.couple)


def test_a_separated_person_may_join_someone_elses_couple_but_not_a_current_one(app, dbs, frozen_clock, world):
    stranger = create_user_row("dana@example.com", name="Dana Doe")
    dbs.commit()
    couple = intake.start_intake(dbs, stranger)
    seat = couple.partner_for(stranger.id)
    intake.give_consent(dbs, seat, terms=True, sharing=True, sensitive_data=True)
    with app.test_request_context():
        token = invites.invite_partner(dbs, seat, "bxqv@example.com")
        with pytest.raises(intake.IntakeError, match="already part of a couple"):
            invites.accept_invite(dbs, token, user(world.b))  # B's couple is current
        separate(dbs, frozen_clock, world)
        joined = invites.accept_invite(dbs, token, user(world.b))
    assert joined.id == couple.id
    assert seats.couple_ids_of(dbs, world.b) == [couple.id, world.couple]
