"""The coach's record of a couple: every session and note in time order, in a fixed number
of queries however long the history (no query per session or note).

``couple_record`` is the page; ``printable_record`` adds the content of every note the
viewer may read (the print page, logged as "export"); ``admin_overview`` is the metadata
admins see. Who sees what is decided by ``coaching.notes.policy`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from coaching import clock
from coaching.accounts.models import User
from coaching.audit.models import AuditEvent
from coaching.audit.services import AuditFilter, events, record
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple, Partner
from coaching.notes import note_templates as nt
from coaching.notes import policy
from coaching.notes.models import Addendum, Note, NoteKind, NoteStatus
from coaching.notes.policy import Access, CoupleFacts, Viewer
from coaching.notes.services import NOTE_STATUSES_NEEDING_NOTES, NotFound, couple_facts, viewer_for
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

SHOWN_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


@dataclass(frozen=True)
class NoteMeta:
    id: int
    kind: str
    status: str
    created_at: datetime
    signed_at: datetime | None
    author_coach_id: int
    author_name: str
    access: Access
    title: str
    confidential_for: str | None  # the partner whose individual session it is
    addenda: int

    @property
    def signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


@dataclass(frozen=True)
class SessionItem:
    booking_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    name: str
    individual: bool
    partner_name: str | None  # for an individual session: with whom
    coach_name: str
    held_by_viewer: bool
    note: NoteMeta | None
    needs_note: bool
    upcoming: bool

    @property
    def at(self) -> datetime:
        return self.starts_at


@dataclass(frozen=True)
class CoupleNoteItem:
    note: NoteMeta

    @property
    def at(self) -> datetime:
        return self.note.created_at


@dataclass
class Record:
    couple: Couple
    names: str
    facts: CoupleFacts
    items: list[SessionItem | CoupleNoteItem]
    needs_notes: int
    hidden_earlier: int  # earlier coaches' notes the viewer may know of but not read
    contents: dict[int, dict[str, Any]] = field(default_factory=dict)  # print: note id -> content


def partner_label(partner: Partner | None) -> str:
    if partner is None:
        return "a partner"
    return partner.user.name if partner.user is not None else f"Partner {partner.slot.upper()}"


def couple_names(couple: Couple) -> str:
    return " & ".join(partner_label(p) for p in couple.partners) or f"Couple #{couple.id}"


def _load_couple(db: Session, couple_id: int) -> Couple | None:
    return db.scalar(select(Couple).where(Couple.id == couple_id)
                     .options(selectinload(Couple.partners).selectinload(Partner.user)))


def _template_title(key: str, version: int) -> str:
    try:
        return nt.get(key, version).title
    except nt.UnknownTemplate:
        return key


def _build(db: Session, viewer: Viewer, couple: Couple, facts: CoupleFacts, now: datetime) -> Record:
    partners = {p.id: p for p in couple.partners}
    partner_by_user = {p.user_id: p for p in couple.partners if p.user_id is not None}
    notes = db.execute(select(
        Note.id, Note.booking_id, Note.kind, Note.status, Note.created_at, Note.signed_at, Note.coach_id,
        Note.partner_id, Note.template_key, Note.template_version).where(Note.couple_id == couple.id)).all()
    addenda = dict(db.execute(select(Addendum.note_id, func.count()).join(Note, Note.id == Addendum.note_id)
                              .where(Note.couple_id == couple.id).group_by(Addendum.note_id)).all())
    sessions = db.execute(
        select(Booking.id, Booking.starts_at, Booking.ends_at, Booking.status, Booking.booked_by_id,
               Booking.coach_id, SessionType.name, SessionType.kind)
        .outerjoin(SessionType, SessionType.id == Booking.session_type_id)
        .where(Booking.couple_id == couple.id, Booking.status.in_(SHOWN_STATUSES))).all()
    coach_ids = {n.coach_id for n in notes} | {s.coach_id for s in sessions}
    coach_names = dict(db.execute(select(CoachProfile.id, User.name).join(User, User.id == CoachProfile.user_id)
                                  .where(CoachProfile.id.in_(coach_ids))).all()) if coach_ids else {}

    metas: dict[int, NoteMeta] = {}
    by_booking: dict[int, NoteMeta] = {}
    hidden = 0
    for n in notes:
        access = policy.note_access(viewer, facts, author_coach_id=n.coach_id, created_at=n.created_at, now=now)
        if access == Access.NONE:
            continue
        hidden += access == Access.EXISTS
        meta = NoteMeta(id=n.id, kind=n.kind.value, status=n.status.value, created_at=n.created_at,
                        signed_at=n.signed_at, author_coach_id=n.coach_id,
                        author_name=coach_names.get(n.coach_id, "a coach"), access=access,
                        title=_template_title(n.template_key, n.template_version),
                        confidential_for=partner_label(partners.get(n.partner_id)) if n.partner_id else None,
                        addenda=addenda.get(n.id, 0))
        metas[n.id] = meta
        if n.booking_id is not None:
            by_booking[n.booking_id] = meta

    items: list[SessionItem | CoupleNoteItem] = []
    needs = 0
    for s in sessions:
        note = by_booking.get(s.id)
        individual = s.kind == SessionKind.INDIVIDUAL
        needs_note = s.status in NOTE_STATUSES_NEEDING_NOTES and not (note is not None and note.signed)
        needs += needs_note
        items.append(SessionItem(
            booking_id=s.id, starts_at=s.starts_at, ends_at=s.ends_at, status=s.status.value,
            name=s.name or "Session", individual=individual,
            partner_name=partner_label(partner_by_user.get(s.booked_by_id)) if individual else None,
            coach_name=coach_names.get(s.coach_id, "a coach"), held_by_viewer=s.coach_id == viewer.coach_id,
            note=note, needs_note=needs_note, upcoming=s.starts_at > now))
    items += [CoupleNoteItem(m) for m in metas.values() if m.kind == NoteKind.COUPLE]
    items.sort(key=lambda item: item.at)
    return Record(couple=couple, names=couple_names(couple), facts=facts, items=items, needs_notes=needs,
                  hidden_earlier=hidden)


def _open(db: Session, user: User, couple_id: int) -> tuple[Viewer, Couple, CoupleFacts, datetime]:
    viewer = viewer_for(db, user)
    couple = _load_couple(db, couple_id)
    if couple is None:
        raise NotFound()
    now = clock.now()
    facts = couple_facts(db, viewer, couple, now)
    if not policy.may_open_record(viewer, facts):
        raise NotFound()
    return viewer, couple, facts, now


def couple_record(db: Session, user: User, couple_id: int) -> Record:
    """The record page for the couple's assigned coach (``NotFound`` for anyone else); logged
    as a "read" of the record (it shows dates and statuses, no note text)."""
    viewer, couple, facts, now = _open(db, user, couple_id)
    result = _build(db, viewer, couple, facts, now)
    record(db, actor=user, action="read", couple_id=couple.id, object_type="record", object_id=couple.id)
    db.commit()
    return result


def printable_record(db: Session, user: User, couple_id: int) -> Record:
    """The record with the text of every note and addendum the coach may read; logged "export"."""
    viewer, couple, facts, now = _open(db, user, couple_id)
    result = _build(db, viewer, couple, facts, now)
    readable = [item.note.id for item in result.items
                if getattr(item, "note", None) is not None and item.note.access == Access.CONTENT]
    if readable:
        for note in db.scalars(select(Note).where(Note.id.in_(readable))):
            result.contents[note.id] = {"note": note, "template": nt.get(note.template_key, note.template_version),
                                        "addenda": []}
        for addendum in db.scalars(select(Addendum).where(Addendum.note_id.in_(readable)).order_by(Addendum.id)):
            result.contents[addendum.note_id]["addenda"].append(addendum)
    record(db, actor=user, action="export", couple_id=couple.id, object_type="record", object_id=couple.id,
           detail=f"notes={len(readable)}")
    db.commit()
    return result


def admin_overview(db: Session, user: User, couple_id: int) -> Record:
    """What an admin sees of a couple's notes: metadata, or content links in a break-glass window."""
    viewer = viewer_for(db, user)
    if viewer.role != "admin":
        raise NotFound()
    couple = _load_couple(db, couple_id)
    if couple is None:
        raise NotFound()
    now = clock.now()
    return _build(db, viewer, couple, couple_facts(db, viewer, couple, now), now)


def access_log(db: Session, user: User, couple_id: int) -> tuple[Couple, list[AuditEvent]]:
    """The access log of the couple's record, for its assigned coach (``NotFound`` otherwise)."""
    _viewer, couple, _facts, _now = _open(db, user, couple_id)
    return couple, list(events(db, AuditFilter(couple_id=couple.id), limit=500))
