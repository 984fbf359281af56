"""Emails about a booking: one per person, in their own time zone, with an .ics invitation."""

from __future__ import annotations

from email.utils import parseaddr

from flask import current_app
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.notify.outbox import queue_email
from coaching.scheduling import invitations, links
from coaching.scheduling.models import Booking, SessionKind, SessionType
from coaching.templating import local_time


def manage_url(booking: Booking) -> str:
    """The signed single-use link to reschedule or cancel ``booking`` in its current version."""
    token = links.make_link_token(str(current_app.config["SECRET_KEY"]), booking.id, booking.version)
    return f"{current_app.config['TANDEM_BASE_URL']}/bookings/manage/{token}"


def recipients(db: Session, booking: Booking, session_type: SessionType | None) -> list[tuple[User, str]]:
    """(user, zone) of each client told about the booking: both partners for a joint session,
    only the partner who booked an individual one."""
    if booking.couple_id is None:
        return []
    couple = db.get(Couple, booking.couple_id)
    if couple is None:
        return []
    individual = session_type is not None and session_type.kind == SessionKind.INDIVIDUAL
    out = []
    for partner in couple.partners:
        if partner.user is None or (individual and partner.user_id != booking.booked_by_id):
            continue
        out.append((partner.user, partner.timezone or partner.user.timezone or "UTC"))
    return out


def booking_notices(db: Session, booking: Booking, kind: str) -> None:
    """Queue the ``booking_<kind>`` email (confirmed, rescheduled, cancelled) to the clients and the coach."""
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    coach = db.get(CoachProfile, booking.coach_id)
    if coach is None:
        return
    cancel = kind == "cancelled"
    organizer = parseaddr(current_app.config["MAIL_FROM"])[1] or "hello@tandem.localhost"
    title = session_type.name if session_type else "Session"
    ics = invitations.invitation(
        uid=booking.ical_uid, sequence=booking.ical_sequence, start=booking.starts_at, end=booking.ends_at,
        summary=f"Tandem: {title} with {coach.name}", description=f"Video room: {booking.video_url or ''}",
        location=booking.video_url or "", stamp=clock.now(), organizer_email=organizer, cancel=cancel)
    attachment = invitations.attachment(ics, cancel=cancel)
    link = None if cancel else manage_url(booking)
    people = [(user, zone, link and f"{link}?tz={zone}") for user, zone in recipients(db, booking, session_type)]
    people.append((coach.user, coach.timezone, None))
    for user, zone, manage in people:
        queue_email(db, user.email, f"booking_{kind}", attachments=[attachment], name=user.name,
                    when=local_time(booking.starts_at, zone), until=local_time(booking.ends_at, zone, "%H:%M"),
                    zone=zone, title=title, coach_name=coach.name, video_url=booking.video_url,
                    manage_url=manage, reason=booking.cancel_reason if cancel else None,
                    is_coach=user.id == coach.user_id)
