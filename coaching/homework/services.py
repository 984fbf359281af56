"""Publishing summaries and homework, ticking homework, writing reflections; loading them.

Every function takes the session and the acting ``User`` and enforces who may do what (the
rules of ``coaching.homework.rules``): the couple's assigned coach publishes after a completed
session of their own and sees everything; a partner sees what is for the couple or for them.
Anything else is ``NotFound``, so that existence is not revealed. These functions commit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from coaching.accounts.models import Role, User
from coaching.audit.services import record
from coaching.coaches.models import CoachProfile
from coaching.db import immediate
from coaching.homework import rules
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, ReflectionAudience, SharedSummary
from coaching.intake.models import Couple, Partner
from coaching.notify.outbox import queue_email
from coaching.reminders.services import wants_homework_emails
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

__all__ = ["AlreadyShared", "CoupleEnded", "CoupleShared", "HomeworkError", "InvalidText", "NotFound", "NotShareable",
           "add_reflection", "audience_of", "coach_booking", "publish", "set_done", "shared_for_couple"]

InvalidText = rules.InvalidText
_T = TypeVar("_T")


class HomeworkError(Exception):
    """A refused request; ``status`` is the HTTP status a view should answer with."""

    status = 400


class NotFound(HomeworkError):
    status = 404


class NotShareable(HomeworkError):
    """The session is not one a summary can be shared for (yet)."""

    status = 409


class AlreadyShared(HomeworkError):
    status = 409


class CoupleEnded(HomeworkError):
    """The summary belongs to a couple that has ended: it stays readable, nothing is added."""

    status = 409

    def __init__(self) -> None:
        super().__init__("Your couple has ended: what was shared stays here to read, but nothing more can be added.")


# Ids are 32-bit integers on PostgreSQL; a larger number from a URL names nothing (and must
# not reach the database, where it would be an error rather than "not found").
_MAX_ID = 2**31 - 1


def _get(db: Session, model: type[_T], row_id: int) -> _T | None:
    return db.get(model, row_id) if 0 < row_id <= _MAX_ID else None


# --- who is who ------------------------------------------------------------------------------


def _coach_profile(db: Session, user: User) -> CoachProfile | None:
    if user.role != Role.COACH:
        return None
    return db.scalar(select(CoachProfile).where(CoachProfile.user_id == user.id))


def _seat_in(db: Session, user: User, couple_id: int) -> Partner | None:
    """``user``'s seat in that couple (current or ended), if they are a client holding one."""
    if user.role != Role.CLIENT:
        return None
    return db.scalar(select(Partner).where(Partner.couple_id == couple_id, Partner.user_id == user.id))


def coach_booking(db: Session, user: User, booking_id: int) -> tuple[CoachProfile, Booking, Couple]:
    """The booking, its coach and couple, when ``user`` is that booking's coach AND the couple's
    assigned coach now (a previous coach may no longer share); else ``NotFound``."""
    coach = _coach_profile(db, user)
    booking = _get(db, Booking, booking_id) if coach is not None else None
    if coach is None or booking is None or booking.coach_id != coach.id or booking.couple_id is None:
        raise NotFound()
    couple = db.get(Couple, booking.couple_id)
    if couple is None or couple.coach_id != coach.id:
        raise NotFound()
    return coach, booking, couple


def audience_of(db: Session, booking: Booking, couple: Couple) -> Partner | None:
    """The partner an individual session's summary is for; None (both partners) for a joint one.

    Raises ``NotShareable`` when an individual session's partner cannot be told."""
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    if session_type is None or session_type.kind != SessionKind.INDIVIDUAL:
        return None
    seat = next((p for p in couple.partners if p.user_id is not None and p.user_id == booking.booked_by_id), None)
    if seat is None:
        raise NotShareable("We cannot tell which partner this individual session was with, so nothing can be shared.")
    return seat


# --- coach -----------------------------------------------------------------------------------


def existing_summary(db: Session, booking_id: int) -> SharedSummary | None:
    return db.scalar(select(SharedSummary).where(SharedSummary.booking_id == booking_id))


def publish(db: Session, user: User, booking_id: int, *, summary: str | None, homework: str | None) -> SharedSummary:
    """Share a summary and homework of a completed session with the partners who may see it.

    Writes the rows, an audit entry ("publish") and one neutral email per recipient in one
    transaction. Raises ``NotFound`` (not this coach's session of their couple),
    ``NotShareable`` (not completed), ``AlreadyShared`` or ``InvalidText``; nothing is stored then.
    """
    coach, booking, couple = coach_booking(db, user, booking_id)
    text = rules.clean_text(summary, field="summary", limit=rules.SUMMARY_MAX, label="summary")
    items = rules.homework_items(homework)
    if booking.status != BookingStatus.COMPLETED:
        raise NotShareable("A summary can be shared once the session is marked completed.")
    seat = audience_of(db, booking, couple)
    audience = seat.id if seat is not None else None
    try:
        # The write lock from the first statement (SQLite), so two publishers cannot both pass
        # the check; on PostgreSQL the unique booking_id settles a race (IntegrityError).
        with immediate(db):
            if existing_summary(db, booking.id) is not None:
                raise AlreadyShared("A summary of this session has already been shared.")
            shared = SharedSummary(booking_id=booking.id, couple_id=couple.id, coach_id=coach.id,
                                   partner_id=audience, summary=text,
                                   items=[HomeworkItem(position=n, text=t) for n, t in enumerate(items)])
            db.add(shared)
            db.flush()
            record(db, actor=user, action="publish", couple_id=couple.id, object_type="homework_summary",
                   object_id=shared.id, detail=f"booking {booking.id}, {len(items)} homework item(s)")
            for partner in couple.partners:
                if partner.user is not None and rules.partner_sees_summary(audience, partner.id) \
                        and wants_homework_emails(db, partner.user.id):  # their choice (/account/notifications)
                    queue_email(db, partner.user.email, "homework_shared", name=partner.user.name,
                                coach_name=coach.name)
            db.commit()
    except IntegrityError as exc:  # the same session shared twice at once: one wins
        raise AlreadyShared("A summary of this session has already been shared.") from exc
    return shared


# --- partners --------------------------------------------------------------------------------


def _summary_to_answer(db: Session, user: User, summary_id: int) -> tuple[Partner, SharedSummary]:
    """A summary the partner ``user`` sees and may still answer (tick, reflect): ``NotFound``
    if they may not see it, ``CoupleEnded`` once its couple has ended (no more channel between
    the former partners)."""
    shared = _get(db, SharedSummary, summary_id)
    seat = _seat_in(db, user, shared.couple_id) if shared is not None else None
    if seat is None or shared is None or not rules.partner_sees_summary(shared.partner_id, seat.id):
        raise NotFound()
    if seat.ended_at is not None:
        raise CoupleEnded()
    return seat, shared


def set_done(db: Session, user: User, item_id: int, done: bool) -> None:
    """Tick (or untick) a homework item for the partner ``user``; ``NotFound`` if they may not see it."""
    item = _get(db, HomeworkItem, item_id)
    if item is None:
        raise NotFound()
    seat, _shared = _summary_to_answer(db, user, item.summary_id)
    try:
        with immediate(db):
            ticked = db.scalar(select(HomeworkTick.id).where(HomeworkTick.item_id == item.id,
                                                            HomeworkTick.partner_id == seat.id))
            if done and ticked is None:
                db.add(HomeworkTick(item_id=item.id, partner_id=seat.id))
            elif not done and ticked is not None:
                db.execute(delete(HomeworkTick).where(HomeworkTick.id == ticked))
            db.commit()
    except IntegrityError:  # ticked twice at once (PostgreSQL): it is ticked, which is what was asked
        pass


def add_reflection(db: Session, user: User, summary_id: int, *, text: str | None, audience: str | None) -> Reflection:
    """Store partner ``user``'s reflection on a summary they see, for the coach only or shared.

    Raises ``NotFound`` (a summary they may not see) or ``InvalidText`` (empty, too long, or
    shared on an individual session's summary); nothing is stored then.
    """
    seat, shared = _summary_to_answer(db, user, summary_id)
    body = rules.clean_text(text, field="text", limit=rules.REFLECTION_MAX, label="reflection")
    if audience not in rules.reflection_choices(shared.is_individual):
        raise InvalidText("audience", "Please choose who may read your reflection.")
    with immediate(db):
        reflection = Reflection(summary_id=shared.id, partner_id=seat.id, audience=ReflectionAudience(audience),
                                text=body)
        db.add(reflection)
        db.commit()
    return reflection


# --- reading ---------------------------------------------------------------------------------


@dataclass
class SummaryView:
    summary: SharedSummary
    starts_at: datetime
    session_name: str
    items: list[tuple[HomeworkItem, set[int]]]  # each item with the partner seats that ticked it
    reflections: list[Reflection]


@dataclass
class CoupleShared:
    """What ``viewer`` may see of what was shared with a couple (see ``shared_for_couple``)."""

    couple: Couple
    partners: dict[int, Partner]
    viewer_seat: int | None  # the viewer's partner seat; None for the coach
    summaries: list[SummaryView] = field(default_factory=list)
    unshared: list[Booking] = field(default_factory=list)  # coach only: completed sessions without a summary
    page: int = 1
    has_more: bool = False  # older summaries on the next page

    @property
    def is_coach(self) -> bool:
        return self.viewer_seat is None

    def partner_name(self, partner_id: int | None) -> str:
        partner = self.partners.get(partner_id) if partner_id is not None else None
        return partner.user.name if partner is not None and partner.user is not None else "a partner"


PAGE_SIZE = 10  # summaries per page: every text is decrypted, so a page must stay bounded
UNSHARED_SHOWN = 20
MAX_PAGE = 10_000


def shared_for_couple(db: Session, couple_id: int, viewer: User, *, booking_id: int | None = None,
                      page: int = 1, audit: bool = True) -> CoupleShared:
    """Everything shared with the couple that ``viewer`` may see, newest session first.

    The couple's assigned coach sees every summary, tick and reflection, and the completed
    sessions of theirs not yet shared (``unshared``); a partner sees summaries for the couple
    or for them, their own reflections and the other partner's shared ones. Anyone else:
    ``NotFound``. A fixed number of queries whatever the number of summaries (no N+1).
    ``booking_id`` narrows the summaries to that session's (the coach's share page). Summaries
    come ``PAGE_SIZE`` at a time (``page`` from 1; ``has_more`` says an older page exists), so the
    time (decryption) stays bounded however long the couple's history.

    When the coach is shown at least one reflection and ``audit`` is true, one
    "reflection_read" entry naming them is written to the access log and COMMITTED here.
    """
    couple = None if not 0 < couple_id <= _MAX_ID else db.scalar(
        select(Couple).where(Couple.id == couple_id).options(selectinload(Couple.partners).selectinload(Partner.user)))
    if couple is None:
        raise NotFound()
    coach = _coach_profile(db, viewer)
    seat = couple.partner_for(viewer.id) if viewer.role == Role.CLIENT else None
    if not ((coach is not None and couple.coach_id == coach.id) or seat is not None):
        raise NotFound()
    query = (select(SharedSummary, Booking.starts_at, SessionType.name)
             .join(Booking, Booking.id == SharedSummary.booking_id)
             .outerjoin(SessionType, SessionType.id == Booking.session_type_id)
             .where(SharedSummary.couple_id == couple.id)
             .options(selectinload(SharedSummary.items), selectinload(SharedSummary.reflections))
             .order_by(Booking.starts_at.desc(), SharedSummary.id.desc())
             .execution_options(populate_existing=True))  # never a stale collection from earlier in the session
    if booking_id is not None:
        query = query.where(SharedSummary.booking_id == booking_id)
    if seat is not None:
        query = query.where((SharedSummary.partner_id.is_(None)) | (SharedSummary.partner_id == seat.id))
    page = min(max(page, 1), MAX_PAGE)
    rows = db.execute(query.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    has_more, rows = len(rows) > PAGE_SIZE, rows[:PAGE_SIZE]
    item_ids = [item.id for s, _, _ in rows for item in s.items]
    ticks: dict[int, set[int]] = defaultdict(set)
    if item_ids:
        for item_id, partner_id in db.execute(select(HomeworkTick.item_id, HomeworkTick.partner_id)
                                              .where(HomeworkTick.item_id.in_(item_ids))):
            ticks[item_id].add(partner_id)
    out = CoupleShared(couple=couple, partners={p.id: p for p in couple.partners},
                       viewer_seat=seat.id if seat is not None else None, page=page, has_more=has_more)
    for s, starts_at, name in rows:
        reflections = [r for r in s.reflections if seat is None or rules.partner_sees_reflection(
            s.partner_id, r.partner_id, r.audience.value, seat.id)]
        # Only partners who see a summary can tick its items, so its ticks are safe to show.
        items = [(item, ticks[item.id]) for item in s.items]
        out.summaries.append(SummaryView(s, starts_at, name or "Session", items, reflections))
    if coach is not None and booking_id is None:
        shared_ids = select(SharedSummary.booking_id).where(SharedSummary.couple_id == couple.id)
        out.unshared = list(db.scalars(select(Booking).where(
            Booking.couple_id == couple.id, Booking.coach_id == coach.id, Booking.status == BookingStatus.COMPLETED,
            Booking.id.not_in(shared_ids)).order_by(Booking.starts_at.desc()).limit(UNSHARED_SHOWN)))
    if coach is not None:
        shown = [r.id for view in out.summaries for r in view.reflections]
        if shown and audit:
            record(db, actor=viewer, action="reflection_read", couple_id=couple.id, object_type="homework_reflections",
                   object_id=None, detail="reflections " + ",".join(map(str, shown)))
            db.commit()
    return out

