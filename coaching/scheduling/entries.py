"""Bookings as calendar events, as one person sees them: invitations, downloads, feeds, links.

Clients get a neutral title ("Tandem appointment": a calendar is often seen by others) and
the details they need (the coach, the video room, the link to reschedule or cancel); the
coach gets the session type and the partners' names. Every event of a couple's booking
names the practice (``MAIL_FROM``) as ORGANIZER and the people who may see that booking
as ATTENDEEs: the coach, both partners for a joint session, only the partner who booked an
individual one (``visible_booking``'s rule). A coach's own blocked time has neither.

``events_for`` looks everything up in a fixed number of queries however many bookings
it is given (a coach's feed holds thousands).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Partner
from coaching.scheduling import links
from coaching.scheduling.invitations import CalendarEvent, Person, describe
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

CLIENT_TITLE = "Tandem appointment"
BLOCK_TITLE = "Blocked time"


@dataclass(frozen=True)
class Viewer:
    """Who the events are for: a coach (``is_coach``) or a client, and the zone their links open in."""

    is_coach: bool
    zone: str = "UTC"


def organizer() -> Person:
    """The practice, from ``MAIL_FROM`` ("Tandem <hello@...>")."""
    name, address = parseaddr(current_app.config["MAIL_FROM"])
    return Person(name or "Tandem", address or "hello@tandem.localhost")


def manage_url(booking: Booking) -> str:
    """The signed single-use link to reschedule or cancel ``booking`` in its current version."""
    token = links.make_link_token(str(current_app.config["SECRET_KEY"]), booking.id, booking.version)
    return f"{current_app.config['TANDEM_BASE_URL']}/bookings/manage/{token}"


def _stamp(booking: Booking) -> datetime:
    """When the booking was last revised (as far as its columns say)."""
    return max(t for t in (booking.created_at, booking.confirmed_at, booking.cancelled_at) if t is not None)


#: The columns an event is made of: ``select(*COLUMNS)`` rows work wherever a Booking does
#: (a feed of thousands loads these instead of whole rows, and decrypts nothing).
COLUMNS = (Booking.id, Booking.version, Booking.coach_id, Booking.couple_id, Booking.session_type_id,
           Booking.booked_by_id, Booking.status, Booking.starts_at, Booking.ends_at, Booking.ical_uid,
           Booking.ical_sequence, Booking.video_url, Booking.created_at, Booking.confirmed_at, Booking.cancelled_at)


@dataclass(frozen=True)
class Context:
    """What events need besides the bookings: session types (name, kind), coaches, partners, the practice."""

    types: dict[int, tuple[str, SessionKind]]
    coaches: dict[int, Person]
    partners: dict[int, tuple[tuple[int, Person], ...]]
    practice: Person
    base: str
    secret_digest: str  # manage links are signed with SECRET_KEY: a new key changes them

    def fingerprint(self) -> str:
        return repr((sorted(self.types.items()), sorted(self.coaches.items()), sorted(self.partners.items()),
                     self.practice, self.base, self.secret_digest))


def load_context(db: Session, bookings: Sequence[Booking]) -> Context:
    """The ``Context`` of ``bookings`` in three queries, however many there are."""
    type_ids = {b.session_type_id for b in bookings if b.session_type_id}
    types = {row.id: (row.name, row.kind) for row in db.execute(
        select(SessionType.id, SessionType.name, SessionType.kind).where(SessionType.id.in_(type_ids)))}
    coach_ids = {b.coach_id for b in bookings}
    coaches = {row.id: Person(row.name, row.email) for row in db.execute(
        select(CoachProfile.id, User.name, User.email).join(User, User.id == CoachProfile.user_id)
        .where(CoachProfile.id.in_(coach_ids)))} if coach_ids else {}
    couple_ids = {b.couple_id for b in bookings if b.couple_id}
    partners: dict[int, list[tuple[int, Person]]] = defaultdict(list)
    if couple_ids:
        for row in db.execute(select(Partner.couple_id, User.id, User.name, User.email)
                              .join(User, User.id == Partner.user_id)
                              .where(Partner.couple_id.in_(couple_ids)).order_by(Partner.slot)):
            partners[row.couple_id].append((row.id, Person(row.name, row.email)))
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return Context(types, coaches, {k: tuple(v) for k, v in partners.items()}, organizer(),
                   current_app.config["TANDEM_BASE_URL"], hashlib.sha256(secret).hexdigest()[:16])


def events_for(db: Session, bookings: Sequence[Booking], viewer: Viewer) -> list[CalendarEvent]:
    """``bookings`` as ``viewer`` sees them, in order (three queries for any number)."""
    if not bookings:
        return []
    return build_events(bookings, load_context(db, bookings), viewer)


def build_events(bookings: Sequence[Booking], context: Context, viewer: Viewer) -> list[CalendarEvent]:
    """``bookings`` (or ``COLUMNS`` rows) as ``viewer`` sees them; no queries."""
    out = []
    for booking in bookings:
        session_type = context.types.get(booking.session_type_id) if booking.session_type_id else None
        coach = context.coaches.get(booking.coach_id, Person("your coach", ""))
        out.append(_event(booking, session_type, coach, context.partners.get(booking.couple_id or 0, ()), viewer,
                          context.practice, context.base))
    return out


def _event(booking: Booking, session_type: tuple[str, SessionKind] | None, coach: Person,
           partners: Sequence[tuple[int, Person]], viewer: Viewer, practice: Person, base: str) -> CalendarEvent:
    cancelled = booking.status in (BookingStatus.CANCELLED, BookingStatus.EXPIRED)
    common = dict(uid=booking.ical_uid, sequence=booking.ical_sequence, start=booking.starts_at,
                  end=booking.ends_at, cancelled=cancelled, stamp=_stamp(booking))
    week = f"{base}/coach/calendar?week={booking.starts_at.date().isoformat()}"
    if booking.couple_id is None:  # the coach's own blocked time
        return CalendarEvent(summary=BLOCK_TITLE, url=week if viewer.is_coach else "", **common)
    individual = session_type is not None and session_type[1] == SessionKind.INDIVIDUAL
    seen_by = [person for user_id, person in partners if not individual or user_id == booking.booked_by_id]
    attendees = tuple(p for p in (coach, *seen_by) if p.email)
    title = session_type[0] if session_type else "Session"
    video = booking.video_url if not cancelled else ""
    if viewer.is_coach:
        names = " & ".join(p.name for p in seen_by) or "a couple"
        return CalendarEvent(summary=f"{title}: {names}", location=video or "", url=week,
                             description=describe([f"{title} with {names}", video and f"Video room: {video}",
                                                   f"Your week: {week}"]),
                             organizer=practice, attendees=attendees, **common)
    manage = ""
    if booking.status == BookingStatus.CONFIRMED:
        manage = f"{manage_url(booking)}?tz={viewer.zone}"
    return CalendarEvent(summary=CLIENT_TITLE, location=video or "", url=manage or f"{base}/home",
                         description=describe([f"With {coach.name}", video and f"Video room: {video}",
                                               manage and f"To reschedule or cancel: {manage}"]),
                         organizer=practice, attendees=attendees, **common)
