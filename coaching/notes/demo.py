"""Demo history for ``flask seed-demo``: Jordan and Casey, coached by Ana for a few months.

Ana (``ana@example.com``) sees their record the moment she logs in: a consultation, joint
and individual sessions with signed notes, an addendum, a couple note, a completed session
that still needs its note, and an upcoming session. Idempotent: nothing is added when
Jordan already sits in a couple. (Sam and Alex stay new, for walking through the intake.)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.accounts.services import find_user
from coaching.coaches.models import CoachProfile
from coaching.intake.seats import home_seat
from coaching.intake.models import Couple, CoupleStatus, Partner
from coaching.matching.models import CoachAssignment
from coaching.notes import content
from coaching.notes import note_templates as nt
from coaching.notes.models import Addendum, Note, NoteKind, NoteStatus
from coaching.scheduling.models import Booking, BookingStatus, SessionType

PARTNERS = [
    ("jordan@example.com", "Jordan Lee", "America/New_York", "tandem-client-demo"),
    ("casey@example.com", "Casey Lee", "America/New_York", "tandem-client-demo"),
]
COACH_EMAIL = "ana@example.com"

# (days from now, session type slug, status, partner index for an individual session, note sections, signed)
HISTORY = [
    (-98, "consultation", BookingStatus.COMPLETED, None, {
        "presenting": "Jordan: 'we only talk about logistics.' Casey: feels criticised at home.",
        "history": "Together 9 years, married 6. Two children (4 and 7). Moved cities last spring.",
        "goals": "Fewer evening arguments; time together without the children.",
        "fit": "Screen negative for both. Good fit for joint coaching.",
        "plan": "Six joint sessions every two weeks, individual sessions if useful."}, True),
    (-84, "couples-session", BookingStatus.COMPLETED, None, {
        "focus": "The evening routine and who does what.",
        "partner_a": "Jordan is tired of 'keeping the list'.",
        "partner_b": "Casey wants to be asked, not told.",
        "interventions": "Speaker-listener exercise on the bedtime routine.",
        "agreements": "A 10-minute check-in after the children are asleep, three evenings a week.",
        "plan": "Homework: the check-ins; notice one thing the other did."}, True),
    (-70, "couples-session", BookingStatus.COMPLETED, None, {
        "focus": "How the check-ins went.",
        "observations": "Two of three check-ins happened; both calmer.",
        "plan": "Keep going; add a weekly walk."}, True),
    (-56, "individual-session", BookingStatus.COMPLETED, 0, {
        "focus": "Jordan's stress at work spilling into home.",
        "brought": "Jordan feels they have to hold everything together.",
        "plan": "Practise naming the stress before the evening starts."}, True),
    (-42, "couples-session", BookingStatus.COMPLETED, None, {
        "focus": "Repair after a hard week.",
        "interventions": "Softened start-up; repair attempts.",
        "plan": "Plan a date night without screens."}, True),
    (-28, "couples-session", BookingStatus.NO_SHOW, None, None, False),
    (-14, "couples-session", BookingStatus.COMPLETED, None, {
        "focus": "Date night and what it brought up.",
        "plan": "Talk about visiting family at the holidays."}, True),
    (-3, "couples-session", BookingStatus.COMPLETED, None, None, False),
    (5, "couples-session", BookingStatus.CONFIRMED, None, None, False),
]


def _at(days: int) -> datetime:
    day = (clock.now() + timedelta(days=days)).date()
    return datetime.combine(day, time(15, 0), tzinfo=UTC)


def _user(db: Session, email: str, name: str, zone: str, password: str) -> User:
    user = find_user(db, email)
    if user is None:
        user = User(email=email, name=name, role=Role.CLIENT, timezone=zone,
                    password_hash=passwords.hash_password(password), email_verified_at=clock.now())
        db.add(user)
        db.flush()
    return user


def _sign(db: Session, note: Note, coach_user: User, at: datetime) -> None:
    from coaching.notes.services import note_digest

    db.flush()
    note.content_sha256 = note_digest(note)
    note.status, note.signed_at, note.signed_by_id = NoteStatus.SIGNED, at, coach_user.id


def seed_history(db: Session) -> list[str]:
    """Create the demo couple with history if missing; return lines to print."""
    users = [_user(db, e, n, z, p) for e, n, z, p in PARTNERS]
    coach_user = find_user(db, COACH_EMAIL)
    coach = db.scalar(select(CoachProfile).where(CoachProfile.user_id == coach_user.id)) if coach_user else None
    types = {t.slug: t for t in db.scalars(select(SessionType))}
    lines = [f"  partner {e} / {p}  (a couple with months of history; coach {COACH_EMAIL})" for e, _n, _z, p in PARTNERS]
    if coach is None or home_seat(db, users[0].id) is not None:
        db.commit()
        return lines
    start = _at(HISTORY[0][0] - 14)
    couple = Couple(status=CoupleStatus.ACTIVE, coach_id=coach.id, intake_completed_at=start, created_at=start)
    db.add(couple)
    db.flush()
    partners = [Partner(couple_id=couple.id, slot=slot, user_id=u.id, joined_at=start, timezone=u.timezone)
                for slot, u in zip("ab", users)]
    db.add_all(partners)
    db.add(CoachAssignment(couple_id=couple.id, coach_id=coach.id, method="admin", reason="Demo couple",
                           created_at=start))
    db.flush()
    for days, slug, status, partner_index, sections, signed in HISTORY:
        session_type = types[slug]
        begins = _at(days)
        booked_by = users[partner_index] if partner_index is not None else users[0]
        booking = Booking(coach_id=coach.id, couple_id=couple.id, session_type_id=session_type.id,
                          booked_by_id=booked_by.id, starts_at=begins,
                          ends_at=begins + timedelta(minutes=session_type.duration_min), status=status,
                          confirmed_at=begins - timedelta(days=7), ical_uid=f"{uuid.uuid4()}@tandem")
        db.add(booking)
        db.flush()
        if sections is None:
            continue
        template = nt.for_session(slug, session_type.kind.value)
        written = begins + timedelta(hours=2)
        note = Note(couple_id=couple.id, booking_id=booking.id, coach_id=coach.id, kind=NoteKind.SESSION,
                    partner_id=partners[partner_index].id if partner_index is not None else None,
                    template_key=template.key, template_version=template.version,
                    sections=nt.clean_sections(template, sections), created_at=written, updated_at=written)
        db.add(note)
        if signed:
            _sign(db, note, coach_user, written + timedelta(minutes=20))
        if days == -84:
            db.flush()
            body = "Correction: the check-ins are four evenings a week, not three."
            at = written + timedelta(days=2)
            db.add(Addendum(note_id=note.id, coach_id=coach.id, body=body, signed_at=at, signed_by_id=coach_user.id,
                            content_sha256=content.sha256(content.canonical_addendum(
                                note_id=note.id, signed_at=at.isoformat(), body=body))))
    couple_note = Note(couple_id=couple.id, coach_id=coach.id, kind=NoteKind.COUPLE, template_key="couple",
                       template_version=nt.CURRENT["couple"],
                       sections={"note": "Both prefer evening sessions after 7pm Eastern."},
                       created_at=_at(-60), updated_at=_at(-60))
    db.add(couple_note)
    _sign(db, couple_note, coach_user, _at(-60))
    db.commit()
    return lines
