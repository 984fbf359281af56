"""Notes use cases: who is looking (``viewer_for``, ``couple_facts``), open, write a draft,
sign, add an addendum, break the glass, answer the handover question.

Every decision about who may read or write comes from ``coaching.notes.policy``; every
access that shows or changes content appends to the access log in the same transaction.
Errors carry a message for the person and the HTTP status a view should answer with.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.audit.models import AuditEvent
from coaching.audit.services import record
from coaching.coaches.models import CoachProfile
from coaching.db import immediate
from coaching.intake.models import Couple, Partner
from coaching.matching.models import RematchRequest
from coaching.notes import content, policy
from coaching.notes import note_templates as nt
from coaching.notes.models import Addendum, HandoverConsent, Note, NoteKind, NoteStatus
from coaching.notes.policy import Access, CoupleFacts, Viewer
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

NOTE_STATUSES_NEEDING_NOTES = (BookingStatus.COMPLETED, BookingStatus.NO_SHOW)


class NotesError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(NotesError):
    """Nothing the viewer may know of (404: existence itself is private)."""
    status = 404

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(message)


class Refused(NotesError):
    """The viewer may see the thing but not do this to it."""
    status = 403


class Locked(NotesError):
    """The note is signed: it can never change again; corrections are addenda."""
    status = 409


class Stale(NotesError):
    """The draft changed since the form was opened (another tab, another request)."""
    status = 409


class BadTemplate(NotesError):
    """The submitted template key/version is unknown or not this note's (tampered form)."""
    status = 400


# --- who is looking --------------------------------------------------------------------------


def viewer_for(db: Session, user: Any) -> Viewer:
    """The policy's view of ``user`` (a User, or an anonymous user)."""
    if not getattr(user, "is_authenticated", False):
        return Viewer(user_id=None, role=None)
    coach_id = None
    if user.role == Role.COACH:
        coach_id = db.scalar(select(CoachProfile.id).where(CoachProfile.user_id == user.id))
    return Viewer(user_id=user.id, role=user.role.value, coach_id=coach_id)


def handovers(db: Session, couple_ids: list[int]) -> dict[int, list[datetime]]:
    """For each couple, when each rematch that both partners agreed to hand over was resolved."""
    if not couple_ids:
        return {}
    agreed = (select(HandoverConsent.rematch_request_id)
              .join(Partner, and_(Partner.user_id == HandoverConsent.user_id,
                                  Partner.couple_id == HandoverConsent.couple_id))
              .where(HandoverConsent.agreed.is_(True), HandoverConsent.couple_id.in_(couple_ids))
              .group_by(HandoverConsent.rematch_request_id)
              .having(func.count(func.distinct(HandoverConsent.user_id)) >= 2))
    rows = db.execute(select(RematchRequest.couple_id, RematchRequest.resolved_at)
                      .where(RematchRequest.id.in_(agreed), RematchRequest.resolved_at.is_not(None)))
    out: dict[int, list[datetime]] = {}
    for couple_id, resolved_at in rows:
        out.setdefault(couple_id, []).append(resolved_at)
    return out


def break_glass_minutes() -> int:
    return int(current_app.config.get("NOTES_BREAK_GLASS_MINUTES", 60))


def couple_facts(db: Session, viewer: Viewer, couple: Couple, now: datetime) -> CoupleFacts:
    """What the policy needs to know about ``couple`` for ``viewer`` (two small queries)."""
    until = None
    if viewer.role == "admin":
        window = timedelta(minutes=break_glass_minutes())
        opened = db.scalar(select(func.max(AuditEvent.created_at)).where(
            AuditEvent.action == "break_glass", AuditEvent.actor_id == viewer.user_id,
            AuditEvent.couple_id == couple.id, AuditEvent.created_at > now - window))
        until = opened + window if opened is not None else None
    return CoupleFacts(couple_id=couple.id, current_coach_id=couple.coach_id,
                       handovers=tuple(handovers(db, [couple.id]).get(couple.id, ())),
                       break_glass_until=until)


def access_to(viewer: Viewer, facts: CoupleFacts, note: Note, now: datetime) -> Access:
    return policy.note_access(viewer, facts, author_coach_id=note.coach_id, created_at=note.created_at,
                              now=now)


# --- reading -----------------------------------------------------------------------------------


def open_note(db: Session, user: User, note_id: int) -> tuple[Note, Access, CoupleFacts]:
    """The note with how much of it ``user`` sees; a content read is logged ("read").

    ``NotFound`` when the user may not know the note exists.
    """
    now = clock.now()
    viewer = viewer_for(db, user)
    note = db.get(Note, note_id)
    if note is None:
        raise NotFound()
    facts = couple_facts(db, viewer, db.get(Couple, note.couple_id), now)
    access = access_to(viewer, facts, note, now)
    if access == Access.NONE:
        raise NotFound()
    if access == Access.CONTENT:
        record(db, actor=user, action="read", couple_id=note.couple_id, object_type="note", object_id=note.id)
        db.commit()
    return note, access, facts


def session_note_target(db: Session, user: User, booking_id: int) -> tuple[Booking, Couple, Note | None]:
    """The session the coach is about to write a note for, and its note if one exists.

    ``NotFound`` unless the user is the couple's assigned coach and held the session;
    ``Refused`` for a session that has not started or did not take place.
    """
    viewer = viewer_for(db, user)
    booking = db.get(Booking, booking_id)
    if booking is None or booking.couple_id is None:
        raise NotFound()
    couple = db.get(Couple, booking.couple_id)
    facts = couple_facts(db, viewer, couple, clock.now())
    if not policy.may_write(viewer, facts) or booking.coach_id != viewer.coach_id:
        raise NotFound()
    if booking.status not in (BookingStatus.CONFIRMED, *NOTE_STATUSES_NEEDING_NOTES) or \
            booking.starts_at > clock.now():
        raise Refused("A note can be written once the session has started.")
    note = db.scalar(select(Note).where(Note.booking_id == booking.id))
    return booking, couple, note


def template_for_booking(db: Session, booking: Booking) -> nt.Template:
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    return nt.for_session(session_type.slug if session_type else None,
                          session_type.kind.value if session_type else None)


def individual_partner(db: Session, booking: Booking) -> Partner | None:
    """For an individual session, the partner whose confidential sphere it is."""
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    if session_type is None or session_type.kind != SessionKind.INDIVIDUAL:
        return None
    return db.scalar(select(Partner).where(Partner.couple_id == booking.couple_id,
                                           Partner.user_id == booking.booked_by_id))


# --- writing -----------------------------------------------------------------------------------


def _check_template(template_key: str, template_version: Any, expected: nt.Template) -> None:
    try:
        version = int(template_version)
    except (TypeError, ValueError):
        raise BadTemplate("This form's template version is not valid; reload the page.") from None
    if (template_key, version) != (expected.key, expected.version):
        raise BadTemplate("This form was made for another template version; reload the page.")


def create_note(db: Session, user: User, *, couple: Couple, booking: Booking | None, template_key: str,
                template_version: Any, values: Mapping[str, str | None]) -> Note:
    """Start a draft (a session note when ``booking`` is given, else a couple note); log "write".

    For a session that already has a note, saves into that draft instead (two tabs, a
    double submit). ``BadTemplate``, ``NoteInvalid``, ``NotFound`` as for ``save_draft``.
    """
    viewer = viewer_for(db, user)
    now = clock.now()
    if not policy.may_write(viewer, couple_facts(db, viewer, couple, now)):
        raise NotFound()
    expected = template_for_booking(db, booking) if booking is not None else nt.current("couple")
    _check_template(template_key, template_version, expected)
    sections = nt.clean_sections(expected, values)
    partner = individual_partner(db, booking) if booking is not None else None
    note = Note(couple_id=couple.id, booking_id=booking.id if booking else None, coach_id=viewer.coach_id,
                partner_id=partner.id if partner else None,
                kind=NoteKind.SESSION if booking is not None else NoteKind.COUPLE,
                template_key=expected.key, template_version=expected.version, sections=sections,
                status=NoteStatus.DRAFT, revision=1, created_at=now, updated_at=now)
    db.add(note)
    try:
        db.flush()
    except IntegrityError:  # the session's note was created meanwhile: edit that one
        db.rollback()
        existing = db.scalar(select(Note).where(Note.booking_id == booking.id)) if booking else None
        if existing is None:
            raise
        return save_draft(db, user, existing.id, template_key=template_key, template_version=template_version,
                          revision=existing.revision, values=values)
    record(db, actor=user, action="write", couple_id=couple.id, object_type="note", object_id=note.id)
    db.commit()
    return note


def writable_note(db: Session, user: User, note_id: int) -> tuple[Viewer, Note]:
    """The note if ``user`` may change it (``NotFound``/``Refused`` otherwise), read afresh."""
    viewer = viewer_for(db, user)
    note = db.get(Note, note_id, populate_existing=True)  # the row as it is now, not as cached
    if note is None:
        raise NotFound()
    now = clock.now()
    facts = couple_facts(db, viewer, db.get(Couple, note.couple_id), now)
    if not policy.may_write(viewer, facts, author_coach_id=note.coach_id):
        if access_to(viewer, facts, note, now) == Access.NONE:
            raise NotFound()
        raise Refused("Only the couple's coach who wrote this note can change it.")
    return viewer, note


def save_draft(db: Session, user: User, note_id: int, *, template_key: str, template_version: Any,
               revision: Any, values: Mapping[str, str | None]) -> Note:
    """Save the draft's sections; log "write". Refuses a signed note (``Locked``), a form made
    for another template version (``BadTemplate``), an out-of-date form (``Stale``)."""
    _viewer, note = writable_note(db, user, note_id)
    if note.is_signed:
        raise Locked("This note is signed and can no longer change. Add an addendum instead.")
    _check_template(template_key, template_version, nt.get(note.template_key, note.template_version))
    sections = nt.clean_sections(nt.get(note.template_key, note.template_version), values)
    try:
        expected_revision = int(revision)
    except (TypeError, ValueError):
        raise Stale("This form is out of date; reload the page.") from None
    changed = db.execute(update(Note).where(Note.id == note.id, Note.status == NoteStatus.DRAFT,
                                            Note.revision == expected_revision)
                         .values(sections=sections, revision=Note.revision + 1, updated_at=clock.now()))
    if changed.rowcount != 1:
        db.rollback()
        db.refresh(note)
        if note.is_signed:
            raise Locked("This note was signed meanwhile; add an addendum instead.")
        raise Stale("The draft was changed elsewhere since you opened it; reload it and write again.")
    record(db, actor=user, action="write", couple_id=note.couple_id, object_type="note", object_id=note.id)
    db.commit()
    db.refresh(note)
    return note


def note_digest(note: Note) -> str:
    template = nt.get(note.template_key, note.template_version)
    return content.sha256(content.canonical_note(
        note_id=note.id, couple_id=note.couple_id, booking_id=note.booking_id, template_key=note.template_key,
        template_version=note.template_version, section_keys=[s.key for s in template.sections],
        sections=note.sections))


def sign(db: Session, user: User, note_id: int) -> tuple[Note, bool]:
    """Sign and lock the draft; return (note, whether this call signed it).

    Signing a note that is already signed returns it unchanged (two clicks, two requests
    at once: one signature). Records signer, time, template version (the note's) and the
    SHA-256 of the canonical plaintext; logs "sign". ``Refused`` for an empty note.
    """
    with immediate(db):
        _viewer, note = writable_note(db, user, note_id)
        if note.is_signed:
            db.rollback()
            return note, False
        if not any(note.sections.values()):
            raise Refused("Write something before signing.")
        now = clock.now()
        signed = db.execute(update(Note).where(Note.id == note.id, Note.status == NoteStatus.DRAFT,
                                               Note.revision == note.revision)
                            .values(status=NoteStatus.SIGNED, signed_at=now, signed_by_id=user.id,
                                    content_sha256=note_digest(note)))
        if signed.rowcount != 1:
            db.rollback()
            db.refresh(note)
            if note.is_signed:
                return note, False
            raise Stale("The draft changed while you were signing it; read it again and sign.")
        record(db, actor=user, action="sign", couple_id=note.couple_id, object_type="note", object_id=note.id)
        db.commit()
    db.refresh(note)
    return note, True


def add_addendum(db: Session, user: User, note_id: int, body: str | None) -> Addendum:
    """Append a signed addendum under a signed note; log "addendum"."""
    _viewer, note = writable_note(db, user, note_id)
    if not note.is_signed:
        raise Refused("A draft is corrected by editing it; addenda are for signed notes.")
    text = nt.clean_text(body)
    if not text:
        raise nt.NoteInvalid({"body": "Write the addendum."})
    if len(text) > nt.SECTION_MAX:
        raise nt.NoteInvalid({"body": f"Keep the addendum under {nt.SECTION_MAX:,} characters."})
    now = clock.now()
    viewer = viewer_for(db, user)
    addendum = Addendum(note_id=note.id, coach_id=viewer.coach_id, body=text, signed_at=now, signed_by_id=user.id,
                        content_sha256=content.sha256(content.canonical_addendum(
                            note_id=note.id, signed_at=now.isoformat(), body=text)))
    db.add(addendum)
    db.flush()
    record(db, actor=user, action="addendum", couple_id=note.couple_id, object_type="addendum",
           object_id=addendum.id)
    db.commit()
    return addendum


# --- admins ------------------------------------------------------------------------------------


def break_glass(db: Session, admin: User, couple: Couple, reason: str | None) -> datetime:
    """Open a window in which ``admin`` reads the couple's notes; return when it closes.

    The written reason goes to the access log ("break_glass"), where the coach sees it.
    """
    if admin.role != Role.ADMIN:
        raise NotFound()
    text = nt.clean_text(reason)
    if len(text) < 10:
        raise nt.NoteInvalid({"reason": "Write why you need to read these notes (at least 10 characters)."})
    if len(text) > 2000:
        raise nt.NoteInvalid({"reason": "Keep the reason under 2,000 characters."})
    now = clock.now()
    record(db, actor=admin, action="break_glass", couple_id=couple.id, object_type="couple_notes",
           object_id=couple.id, detail=text)
    db.commit()
    return now + timedelta(minutes=break_glass_minutes())


# --- the rematch question ---------------------------------------------------------------------


def answer_handover(db: Session, user: User, rematch_request_id: int, agreed: bool) -> HandoverConsent:
    """Store the partner's private answer to "may our next coach read our notes?" for that
    rematch (asked again: the newer answer counts)."""
    rematch = db.get(RematchRequest, rematch_request_id)
    partner = None if rematch is None else db.scalar(
        select(Partner).where(Partner.couple_id == rematch.couple_id, Partner.user_id == user.id))
    if rematch is None or partner is None:
        raise NotFound()
    answer = db.scalar(select(HandoverConsent).where(HandoverConsent.rematch_request_id == rematch.id,
                                                     HandoverConsent.user_id == user.id))
    if answer is None:
        answer = HandoverConsent(couple_id=rematch.couple_id, rematch_request_id=rematch.id, user_id=user.id)
        db.add(answer)
    answer.agreed = bool(agreed)
    answer.answered_at = clock.now()
    db.commit()
    return answer


# --- the coach's home --------------------------------------------------------------------------


def sessions_needing_notes(db: Session, coach_id: int) -> int:
    """How many of the coach's completed or no-show sessions have no signed note."""
    signed = select(Note.booking_id).where(Note.booking_id.is_not(None), Note.status == NoteStatus.SIGNED)
    return db.scalar(select(func.count()).select_from(Booking).where(
        Booking.coach_id == coach_id, Booking.couple_id.is_not(None),
        Booking.status.in_(NOTE_STATUSES_NEEDING_NOTES), Booking.id.not_in(signed))) or 0
