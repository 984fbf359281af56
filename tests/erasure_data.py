"""A couple with a full history for the erasure, separation and retention tests.

Everything partner A (Qzxa) wrote or is carries the marker ``qzxa``; everything of partner
B (Bxqv) carries ``bxqv``. Made directly in the database (the flows have their own tests),
inside the caller's app context, at the frozen clock's "now".
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, Text, select

from coaching import clock, db
from coaching.accounts.models import ApiToken, LoginSession, Role, User
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.db import Base
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, ReflectionAudience, SharedSummary
from coaching.intake.models import (
    Consent, CoupleStatus, Invite, PrivateAnswer, SafetyFlag, SafetyFlagNote, SafetyScreen, SatisfactionResponse,
    SharedAnswer,
)
from coaching.matching.models import MatchFeedback, RematchRequest
from coaching.notes.models import Note, NoteKind, NoteStatus
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.payments.models import Payment, Provider
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row, user_by_email

A_MARK, B_MARK = "qzxa", "bxqv"
A_EMAIL, B_EMAIL, COACH_EMAIL = "qzxa@example.com", "bxqv@example.com", "ana@example.com"
PRICE = 12000


@dataclass
class World:
    couple: int
    other_couple: int
    a: int  # user ids
    b: int
    seat_a: int  # partner ids
    seat_b: int
    coach: int  # CoachProfile id
    coach_user: int
    joint_type: int
    solo_type: int
    bookings: dict[str, int] = field(default_factory=dict)
    payments: dict[str, int] = field(default_factory=dict)


def booking(world: World | None, *, coach_id: int, couple_id: int, type_id: int, by: int, start: datetime,
            status: BookingStatus, minutes: int = 50) -> Booking:
    row = Booking(coach_id=coach_id, couple_id=couple_id, session_type_id=type_id, booked_by_id=by,
                  starts_at=start, ends_at=start + timedelta(minutes=minutes), status=status,
                  confirmed_at=clock.now() - timedelta(days=1), ical_uid=f"{uuid.uuid4()}@test",
                  video_url="https://meet.example/x")
    db.session.add(row)
    db.session.flush()
    return row


def payment(b: Booking, payer: int, status: PaymentStatus, amount: int = PRICE) -> Payment:
    row = Payment(booking_id=b.id, couple_id=b.couple_id, coach_id=b.coach_id, payer_id=payer,
                  provider=Provider.MANUAL, status=status, amount_cents=amount, currency="usd",
                  description="Couples session")
    if status == PaymentStatus.PAID:
        row.paid_at = clock.now()
    db.session.add(row)
    db.session.flush()
    if status == PaymentStatus.PAID:
        row.receipt_number = f"R-{row.id:06d}"
    return row


def build_world(*, future_from: datetime | None = None, screen_positive: bool = True) -> World:
    """The couple, its coach, another couple; history in the past, bookings ahead of ``future_from``."""
    now = clock.now()
    ahead = future_from or now
    joint = create_session_type("couples-session", price_cents=PRICE, kind=SessionKind.JOINT)
    solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL)
    coach = create_coach(COACH_EMAIL, name="Ana Ruiz", session_types=[joint, solo])
    create_user_row("ada@example.com", role=Role.ADMIN, name="Ada Admin")
    couple = create_couple(A_EMAIL, B_EMAIL, free_times=({"mon": [["18:00", "21:00"]]}, {"tue": [["09:00", "12:00"]]}))
    other = create_couple("cleo@example.com", "dev@example.com")
    couple.coach_id, couple.status, couple.intake_completed_at = coach.id, CoupleStatus.ACTIVE, now - timedelta(days=60)
    seat_a, seat_b = couple.partners
    a, b = seat_a.user, seat_b.user
    a.name, b.name = "Qzxa Annabel", "Bxqv Boris"
    world = World(couple.id, other.id, a.id, b.id, seat_a.id, seat_b.id, coach.id, coach.user_id, joint.id, solo.id)
    then = now - timedelta(days=60)
    for seat, mark in ((seat_a, A_MARK), (seat_b, B_MARK)):
        db.session.add(Consent(partner_id=seat.id, user_id=seat.user_id, version="v1", terms=True, sharing=True,
                               sensitive_data=True, given_at=then))
        db.session.add(SharedAnswer(couple_id=couple.id, step=f"you:{seat.slot}", version=1,
                                    answers={"place": f"{mark} lives in Springfield"}, updated_by_id=seat.id))
        db.session.add(PrivateAnswer(partner_id=seat.id, step="own_view", version=1,
                                     answers={"own_view": f"{mark} private view of us"}))
        db.session.add(SatisfactionResponse(partner_id=seat.id, version=1, items={"csi1": 3, "csi2": 3, "csi3": 3, "csi4": 3}))
    db.session.add(SharedAnswer(couple_id=couple.id, step="about", version=1, updated_by_id=seat_a.id,
                                answers={"partner_a_name": "Qzxa", "partner_a_pronouns": "she/qzxa",
                                         "partner_b_name": "Bxqv", "together_for": "3to10"}))
    db.session.add(SharedAnswer(couple_id=couple.id, step="goals", version=1,
                                answers={"goals": f"{B_MARK} wants us to talk more"}, updated_by_id=seat_b.id))
    db.session.add(SafetyScreen(partner_id=seat_a.id, version=1,
                                answers={"fear": "often" if screen_positive else "never", "free": f"{A_MARK} screen"},
                                result={"positive": screen_positive, "reasons": ["fear"] if screen_positive else []}))
    db.session.add(SafetyScreen(partner_id=seat_b.id, version=1, answers={"fear": "never", "free": f"{B_MARK} screen"},
                                result={"positive": False, "reasons": []}))
    if screen_positive:
        flag = SafetyFlag(couple_id=couple.id, partner_id=seat_a.id)
        db.session.add(flag)
        db.session.flush()
        db.session.add(SafetyFlagNote(flag_id=flag.id, author_id=coach.user_id, body=f"Reviewed {A_MARK}'s screen"))
    # History: a joint session A paid for, an individual session each, a booking A cancelled.
    past = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=joint.id, by=a.id,
                   start=now - timedelta(days=20), status=BookingStatus.COMPLETED)
    world.payments["past"] = payment(past, a.id, PaymentStatus.PAID).id
    solo_a = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=solo.id, by=a.id,
                     start=now - timedelta(days=15), status=BookingStatus.COMPLETED)
    solo_b = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=solo.id, by=b.id,
                     start=now - timedelta(days=14), status=BookingStatus.COMPLETED)
    gone = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=joint.id, by=a.id,
                   start=now - timedelta(days=10), status=BookingStatus.CANCELLED)
    gone.cancel_reason, gone.cancelled_by_id, gone.cancelled_at = f"{A_MARK} had the flu", a.id, now - timedelta(days=12)
    world.bookings.update(past=past.id, solo_a=solo_a.id, solo_b=solo_b.id, gone=gone.id)
    # Ahead: joint paid by A (in time: full refund), joint invoiced to B, joint paid by B
    # 30 hours ahead (late: half back), and an individual session each.
    ahead_a = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=joint.id, by=a.id,
                      start=ahead + timedelta(days=3), status=BookingStatus.CONFIRMED)
    invoiced = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=joint.id, by=b.id,
                       start=ahead + timedelta(days=4), status=BookingStatus.CONFIRMED)
    late_b = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=joint.id, by=b.id,
                     start=ahead + timedelta(hours=30), status=BookingStatus.CONFIRMED)
    solo_a_ahead = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=solo.id, by=a.id,
                           start=ahead + timedelta(days=2), status=BookingStatus.CONFIRMED)
    solo_b_ahead = booking(world, coach_id=coach.id, couple_id=couple.id, type_id=solo.id, by=b.id,
                           start=ahead + timedelta(days=5), status=BookingStatus.CONFIRMED)
    world.payments["ahead_a"] = payment(ahead_a, a.id, PaymentStatus.PAID).id
    world.payments["invoiced"] = payment(invoiced, b.id, PaymentStatus.INVOICED).id
    world.payments["late_b"] = payment(late_b, b.id, PaymentStatus.PAID).id
    world.bookings.update(ahead_a=ahead_a.id, invoiced=invoiced.id, late_b=late_b.id, solo_a_ahead=solo_a_ahead.id,
                          solo_b_ahead=solo_b_ahead.id)
    # Homework: a joint summary with each partner's reflection and tick, and one for A alone.
    joint_summary = SharedSummary(booking_id=past.id, couple_id=couple.id, coach_id=coach.id,
                                  summary="We practised listening.")
    joint_summary.items = [HomeworkItem(position=1, text="Ten minutes a day")]
    db.session.add(joint_summary)
    db.session.flush()
    for seat, mark in ((seat_a, A_MARK), (seat_b, B_MARK)):
        db.session.add(Reflection(summary_id=joint_summary.id, partner_id=seat.id, audience=ReflectionAudience.SHARED,
                                  text=f"{mark} reflection"))
        db.session.add(HomeworkTick(item_id=joint_summary.items[0].id, partner_id=seat.id))
    db.session.add(SharedSummary(booking_id=solo_a.id, couple_id=couple.id, coach_id=coach.id, partner_id=seat_a.id,
                                 summary=f"For {A_MARK} alone"))
    db.session.add(SharedSummary(booking_id=solo_b.id, couple_id=couple.id, coach_id=coach.id, partner_id=seat_b.id,
                                 summary=f"For {B_MARK} alone"))
    checkin = CheckIn(couple_id=couple.id, sent_by_id=coach.user_id, created_at=now - timedelta(days=5))
    db.session.add(checkin)
    db.session.flush()
    for seat, mark in ((seat_a, A_MARK), (seat_b, B_MARK)):
        db.session.add(CheckInResponse(checkin_id=checkin.id, partner_id=seat.id, version=1, csi_items={"csi1": 3, "csi2": 3, "csi3": 3, "csi4": 3},
                                       safety_answers={"free": f"{mark} check-in"}, safety_result={"positive": False, "reasons": []}))
    # What else A wrote or left behind: feedback, a rematch reason, an invitation, sign-ins, emails.
    db.session.add(MatchFeedback(couple_id=couple.id, user_id=a.id, missing=f"{A_MARK} wanted evenings"))
    db.session.add(RematchRequest(couple_id=couple.id, requested_by_id=a.id, reason=f"{A_MARK} reason",
                                  resolved_at=now - timedelta(days=30)))
    db.session.add(Invite(couple_id=couple.id, email=A_EMAIL, token_hash=hashlib.sha256(b"qzxa").hexdigest(),
                          invited_by_id=b.id, expires_at=then + timedelta(days=7), used_at=then, used_by_id=a.id))
    db.session.add(LoginSession(user_id=a.id, secret_hash=hashlib.sha256(b"s-a").hexdigest(),
                                user_agent=f"{A_MARK}-browser", ip="203.0.113.9"))
    db.session.add(ApiToken(user_id=a.id, name=f"{A_MARK} token", token_hash=hashlib.sha256(b"t-a").hexdigest(),
                            expires_at=now + timedelta(days=30)))
    db.session.add(OutboxMessage(to_addr=A_EMAIL, kind="receipt", status=OutboxStatus.SENT, sent_at=then,
                                 subject=None, text_body=None, html_body=None, attachments=None))
    # The coach's signed note on the joint session (kept for the practice's retention period).
    db.session.add(Note(couple_id=couple.id, booking_id=past.id, coach_id=coach.id, kind=NoteKind.SESSION,
                        template_key="joint", template_version=1, sections={"observations": "Worked on listening."},
                        status=NoteStatus.SIGNED, signed_at=now - timedelta(days=19), signed_by_id=coach.user_id,
                        content_sha256="0" * 64))
    db.session.commit()
    return world


def every_value(dbs: Any) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null value of every table in the models'
    metadata, encrypted columns decrypted (selecting through the model types does it)."""
    out = []
    for table in Base.metadata.sorted_tables:
        for row in dbs.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None:
                    out.append((table.name, column, str(value)))
    return out


def text_columns() -> list[str]:
    return [f"{t.name}.{c.name}" for t in Base.metadata.sorted_tables for c in t.columns
            if isinstance(c.type, (String, Text)) or getattr(c.type, "impl", None) is Text]


def containing(dbs: Any, marker: str) -> list[tuple[str, str]]:
    return sorted({(table, column) for table, column, value in every_value(dbs) if marker in value.lower()})


def user(user_id: int) -> User:
    return db.session.get(User, user_id)


def by_email(email: str) -> User:
    return user_by_email(email)
