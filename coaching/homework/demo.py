"""Demo data for the couple's portal: summaries, homework, ticks and reflections for Sam and Alex.

Called by ``coaching.demo.seed`` (``flask seed-demo``). It uses the couple's completed
sessions with their coach when there are some (so it can also be called for the notes demo's
couple, after their history is made); otherwise it assigns the first demo coach and makes
three past sessions. Idempotent: it does nothing once the couple has a shared summary.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.audit.services import record
from coaching.coaches.models import CoachProfile
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, ReflectionAudience, SharedSummary
from coaching.intake.seats import home_seat
from coaching.intake.models import Couple, Partner
from coaching.matching.models import CoachAssignment
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

DEMO_COACH = "ana@example.com"
# Whose portal gets the demo: the notes demo's couple with months of history if it is there
# (Jordan and Casey); otherwise Sam and Alex, who are then given Ana as their coach.
DEMO_PARTNERS = ("jordan@example.com", "sam@example.com")
PORTAL_LINE = "  {names} find their coach's summaries and homework at /homework."

JOINT = [
    ("We looked at how your evenings end in the same argument about chores, and at what each of you "
     "hears in it: {a} hears \"you don't care\", {b} hears \"you're failing\".\n"
     "You both want the evenings back.",
     ["Ten minutes each evening: one talks, the other only listens and sums up.",
      "Write down one thing your partner did this week that you appreciated, and tell them."]),
    ("A good session: you used the listening exercise twice this week, and it showed.\n"
     "Next we start on the money conversation, slowly.",
     ["Each of you: write three things money means to you (safety, freedom ...).",
      "Agree on one evening for a 20-minute money talk, with a timer."]),
]
INDIVIDUAL = ("We talked about what makes it hard for you to raise things early, and practised saying "
              "the first sentence.",
              ["Notice one moment this week when you held something back, and write it down."])


def _coach(db: Session, couple: Couple) -> CoachProfile | None:
    if couple.coach_id is not None:
        return db.get(CoachProfile, couple.coach_id)
    coach = db.scalar(select(CoachProfile).join(User).where(User.email == DEMO_COACH))
    if coach is not None:
        couple.coach_id = coach.id
        db.add(CoachAssignment(couple_id=couple.id, coach_id=coach.id, method="admin",
                               reason="Demo data: assigned so that the record and homework can be tried."))
    return coach


def _past_sessions(db: Session, couple: Couple, coach: CoachProfile, sam: Partner) -> list[tuple[Booking, bool]]:
    """(booking, individual) of the couple's completed sessions with ``coach``, made if none."""
    rows = db.execute(select(Booking, SessionType.kind).join(SessionType, SessionType.id == Booking.session_type_id)
                      .where(Booking.couple_id == couple.id, Booking.coach_id == coach.id,
                             Booking.status == BookingStatus.COMPLETED).order_by(Booking.starts_at)).all()
    if rows:
        return [(b, kind == SessionKind.INDIVIDUAL) for b, kind in rows]
    types = {t.slug: t for t in db.scalars(select(SessionType))}
    now = clock.now().replace(hour=15, minute=0, second=0, microsecond=0)  # mid-morning in the Americas
    plan = [("couples-session", 35, False), ("individual-session", 24, True), ("couples-session", 14, False)]
    made = []
    for slug, days_ago, individual in plan:
        session_type = types.get(slug)
        if session_type is None:
            continue
        start = now - timedelta(days=days_ago)
        booking = Booking(coach_id=coach.id, couple_id=couple.id, session_type_id=session_type.id,
                          booked_by_id=sam.user_id, starts_at=start,
                          ends_at=start + timedelta(minutes=session_type.duration_min),
                          status=BookingStatus.COMPLETED, confirmed_at=start - timedelta(days=5),
                          ical_uid=f"demo-{uuid.uuid4()}@tandem.localhost")
        db.add(booking)
        made.append((booking, individual))
    db.flush()
    return made


def _first_name(partner: Partner | None) -> str:
    user = partner.user if partner is not None else None
    return user.name.split()[0] if user is not None and user.name.strip() else "your partner"


def seed_homework(db: Session, partner_email: str | None = None) -> list[str]:
    """Share summaries and homework with the couple of ``partner_email`` (default: the first of
    ``DEMO_PARTNERS`` who has an account), with ticks and reflections; that partner is "Sam"
    below. Commits."""
    if partner_email is None:
        partner_email = next((e for e in DEMO_PARTNERS if db.scalar(select(User.id).where(User.email == e))),
                             DEMO_PARTNERS[-1])
    sam_user = db.scalar(select(User).where(User.email == partner_email))
    sam = home_seat(db, sam_user.id) if sam_user else None
    if sam is None:
        return []
    couple = sam.couple
    alex = next((p for p in couple.partners if p.id != sam.id), None)
    names = {"a": _first_name(sam), "b": _first_name(alex)}
    line = PORTAL_LINE.format(names=f"{names['a']} and {names['b']}")
    if db.scalar(select(SharedSummary.id).where(SharedSummary.couple_id == couple.id).limit(1)) is not None:
        return [line]
    coach = _coach(db, couple)
    if coach is None:
        return []
    joint_texts, shared = iter(JOINT), []
    for booking, individual in _past_sessions(db, couple, coach, sam):
        if individual and booking.booked_by_id != sam.user_id:
            continue  # the demo only writes for Sam's own individual sessions
        text, items = INDIVIDUAL if individual else next(joint_texts, (None, None))
        if text is None:
            continue
        summary = SharedSummary(booking_id=booking.id, couple_id=couple.id, coach_id=coach.id,
                                partner_id=sam.id if individual else None, summary=text.format(**names),
                                published_at=booking.ends_at + timedelta(hours=2),
                                items=[HomeworkItem(position=n, text=t) for n, t in enumerate(items)])
        db.add(summary)
        db.flush()
        record(db, actor=coach.user, action="publish", couple_id=couple.id, object_type="homework_summary",
               object_id=summary.id, detail="demo data")
        shared.append(summary)
    joint = [s for s in shared if not s.is_individual]
    later = timedelta(days=2)
    if joint:
        first = joint[0]
        db.add(HomeworkTick(item_id=first.items[0].id, partner_id=sam.id, done_at=first.published_at + later))
        db.add(Reflection(summary_id=first.id, partner_id=sam.id, audience=ReflectionAudience.SHARED,
                          created_at=first.published_at + later,
                          text="The listening exercise felt awkward the first night, then it helped."))
        if alex is not None:
            for item in first.items:
                db.add(HomeworkTick(item_id=item.id, partner_id=alex.id, done_at=first.published_at + later))
            db.add(Reflection(summary_id=first.id, partner_id=alex.id, audience=ReflectionAudience.COACH,
                              created_at=first.published_at + later,
                              text="For you only: I still find it hard not to defend myself straight away."))
    for summary in shared:
        if summary.is_individual:
            db.add(Reflection(summary_id=summary.id, partner_id=sam.id, audience=ReflectionAudience.COACH,
                              created_at=summary.published_at + later,
                              text="Saying the first sentence out loud made it easier. I tried it on Tuesday."))
    db.commit()
    return [line] if shared else []
