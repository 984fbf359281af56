"""A couple with history for notes tests: a previous coach, a rematch, the current coach.

Timeline (relative to the frozen clock's "now", 2026-11-02 15:00 UTC):
- day -60: consultation with Pat (previous coach), note signed by Pat;
- day -30: both partners asked for another coach (the rematch), answering the handover
  question as the test asks (default: both no); then Cora (current coach) is assigned;
- day -10: joint session with Cora, note signed, with one addendum;
- day -5: individual session of Sam with Cora, note left as a draft;
- day -2: joint session with Cora, completed, no note yet;
- day +3: joint session with Cora, upcoming.
Una is a coach with no tie to the couple; Root an admin.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from coaching import clock, db
from coaching.accounts.models import Role, User
from coaching.intake.models import Couple
from coaching.matching.models import CoachAssignment, RematchRequest
from coaching.notes import services
from coaching.notes.models import HandoverConsent
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row, user_by_email

JOINT_TEXT = "They agreed to a weekly check-in walk."
INDIVIDUAL_TEXT = "Sam spoke about the move to Denver."
PREVIOUS_TEXT = "Consultation: both want to stop the Sunday arguments."
ADDENDUM_TEXT = "Correction: the walk is on Saturdays."


@dataclass
class World:
    couple_id: int
    sam: User
    alex: User
    cora: User   # assigned coach
    pat: User    # previous coach
    una: User    # unassigned coach
    root: User   # admin
    cora_id: int
    pat_id: int
    notes: dict[str, int]
    bookings: dict[str, int]
    rematch_id: int


def booking(coach_id: int, couple: Couple, session_type, days: float, status: BookingStatus,
            booked_by: User) -> Booking:
    start = clock.now() + timedelta(days=days)
    row = Booking(coach_id=coach_id, couple_id=couple.id, session_type_id=session_type.id, booked_by_id=booked_by.id,
                  starts_at=start, ends_at=start + timedelta(minutes=50), status=status, ical_uid=uuid.uuid4().hex)
    db.session.add(row)
    db.session.commit()
    return row


def write(user: User, couple: Couple, b: Booking | None, text: str, *, sign: bool = True) -> int:
    template = services.template_for_booking(db.session, b) if b is not None else services.nt.current("couple")
    first = template.sections[0].key
    note = services.create_note(db.session, user, couple=couple, booking=b, template_key=template.key,
                                template_version=template.version, values={first: text})
    if sign:
        services.sign(db.session, user, note.id)
    return note.id


def build_world(frozen_clock, *, consent: tuple[bool, bool] = (False, False)) -> World:
    now = frozen_clock.at
    consult = create_session_type("consultation")
    joint = create_session_type("couples-session")
    individual = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
    pat_profile = create_coach("pat@example.com", name="Pat Previous")
    cora_profile = create_coach("cora@example.com", name="Cora Current")
    create_coach("una@example.com", name="Una Unassigned")
    couple = create_couple("sam@example.com", "alex@example.com")
    sam, alex = user_by_email("sam@example.com"), user_by_email("alex@example.com")
    pat, cora = user_by_email("pat@example.com"), user_by_email("cora@example.com")
    root = create_user_row("root@example.com", role=Role.ADMIN, name="Root Admin")
    db.session.commit()

    frozen_clock.set(now - timedelta(days=61))
    couple.coach_id = pat_profile.id
    db.session.add(CoachAssignment(couple_id=couple.id, coach_id=pat_profile.id, method="admin", reason="test"))
    db.session.commit()
    b_consult = booking(pat_profile.id, couple, consult, 0, BookingStatus.COMPLETED, sam)
    frozen_clock.set(now - timedelta(days=60))
    previous_note = write(pat, couple, b_consult, PREVIOUS_TEXT)

    frozen_clock.set(now - timedelta(days=30))
    rematch = RematchRequest(couple_id=couple.id, requested_by_id=sam.id, agreed_by_id=alex.id, resolved_at=clock.now())
    db.session.add(rematch)
    db.session.flush()
    for user, agreed in zip((sam, alex), consent):
        db.session.add(HandoverConsent(couple_id=couple.id, rematch_request_id=rematch.id, user_id=user.id,
                                       agreed=agreed, answered_at=clock.now()))
    couple.coach_id = cora_profile.id
    db.session.add(CoachAssignment(couple_id=couple.id, coach_id=cora_profile.id, method="admin", reason="test"))
    db.session.commit()

    frozen_clock.set(now - timedelta(days=10))
    b_joint = booking(cora_profile.id, couple, joint, 0, BookingStatus.COMPLETED, sam)
    frozen_clock.set(now - timedelta(days=10) + timedelta(hours=2))
    joint_note = write(cora, couple, b_joint, JOINT_TEXT)
    services.add_addendum(db.session, cora, joint_note, ADDENDUM_TEXT)
    frozen_clock.set(now - timedelta(days=5))
    b_individual = booking(cora_profile.id, couple, individual, 0, BookingStatus.COMPLETED, sam)
    frozen_clock.set(now - timedelta(days=5) + timedelta(hours=2))
    individual_note = write(cora, couple, b_individual, INDIVIDUAL_TEXT, sign=False)
    frozen_clock.set(now - timedelta(days=2))
    b_open = booking(cora_profile.id, couple, joint, 0, BookingStatus.COMPLETED, sam)
    frozen_clock.set(now)
    b_next = booking(cora_profile.id, couple, joint, 3, BookingStatus.CONFIRMED, sam)
    return World(couple_id=couple.id, sam=sam, alex=alex, cora=cora, pat=pat, una=user_by_email("una@example.com"),
                 root=root, cora_id=cora_profile.id, pat_id=pat_profile.id,
                 notes={"previous": previous_note, "joint": joint_note, "individual": individual_note},
                 bookings={"consult": b_consult.id, "joint": b_joint.id, "individual": b_individual.id,
                           "open": b_open.id, "next": b_next.id},
                 rematch_id=rematch.id)
