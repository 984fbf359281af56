"""A small world for homework tests: one couple (Sam and Alex) with its coach, an unassigned
coach, a previous coach, an admin and another couple with their own coach, and sessions in
every state that matters (joint and individual completed, one upcoming, one by the previous
coach, one of the other couple)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.homework import services
from coaching.matching.models import CoachAssignment
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row, user_by_email

EMAILS = {
    "sam": "sam@example.com",  # partner A (seat a)
    "alex": "alex@example.com",  # partner B (seat b)
    "coach": "ana@example.com",  # the couple's assigned coach
    "other_coach": "una@example.com",  # a coach with another couple
    "previous_coach": "pia@example.com",  # coached Sam and Alex before a rematch
    "admin": "admin@example.com",
    "kim": "kim@example.com",  # a partner of the other couple
}


@dataclass
class World:
    couple_id: int
    other_couple_id: int
    bookings: dict[str, int]
    seats: dict[str, int]  # sam / alex -> partner id

    def user(self, who: str):  # type: ignore[no-untyped-def]
        return user_by_email(EMAILS[who])


def _booking(coach_id: int, couple_id: int, session_type_id: int, booked_by: int, days: float,
             status: BookingStatus) -> int:
    start = clock.now() + timedelta(days=days)
    booking = Booking(coach_id=coach_id, couple_id=couple_id, session_type_id=session_type_id,
                      booked_by_id=booked_by, starts_at=start, ends_at=start + timedelta(minutes=50),
                      status=status, confirmed_at=start - timedelta(days=3), ical_uid=f"{uuid.uuid4()}@test")
    db.session.add(booking)
    db.session.flush()
    return booking.id


def build_world() -> World:
    """Create the world (inside an app context) and return its ids."""
    joint = create_session_type("joint-session", kind=SessionKind.JOINT)
    solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
    coach = create_coach(EMAILS["coach"], session_types=[joint, solo], name="Ana Coach")
    other_coach = create_coach(EMAILS["other_coach"], session_types=[joint], name="Una Other")
    previous = create_coach(EMAILS["previous_coach"], session_types=[joint], name="Pia Previous")
    couple = create_couple(EMAILS["sam"], EMAILS["alex"])
    other = create_couple(EMAILS["kim"], "lee@example.com")
    create_user_row(EMAILS["admin"], role=Role.ADMIN)
    couple.coach_id, other.coach_id = coach.id, other_coach.id
    db.session.add(CoachAssignment(couple_id=couple.id, coach_id=previous.id, method="chosen", reason="first",
                                   ended_at=clock.now() - timedelta(days=20)))
    db.session.add(CoachAssignment(couple_id=couple.id, coach_id=coach.id, method="chosen", reason="rematch"))
    sam, alex = (user_by_email(EMAILS[w]).id for w in ("sam", "alex"))
    bookings = {
        "joint": _booking(coach.id, couple.id, joint.id, sam, -7, BookingStatus.COMPLETED),
        "solo_sam": _booking(coach.id, couple.id, solo.id, sam, -5, BookingStatus.COMPLETED),
        "solo_alex": _booking(coach.id, couple.id, solo.id, alex, -4, BookingStatus.COMPLETED),
        "upcoming": _booking(coach.id, couple.id, joint.id, sam, 2, BookingStatus.CONFIRMED),
        "previous": _booking(previous.id, couple.id, joint.id, sam, -30, BookingStatus.COMPLETED),
        "other": _booking(other_coach.id, other.id, joint.id, user_by_email(EMAILS["kim"]).id, -3,
                          BookingStatus.COMPLETED),
    }
    db.session.commit()
    seats = {p.user.email.split("@")[0]: p.id for p in couple.partners}
    return World(couple.id, other.id, bookings, seats)


def publish(world: World, booking: str, summary: str = "We talked about listening.",
            homework: str = "Ten minutes of talk each evening\nOne kind note a day"):  # type: ignore[no-untyped-def]
    """Publish as the booking's coach (assigned coach, or the other couple's coach)."""
    who = "other_coach" if booking == "other" else "coach"
    return services.publish(db.session, world.user(who), world.bookings[booking], summary=summary, homework=homework)
