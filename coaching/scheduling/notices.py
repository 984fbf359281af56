"""Emails about a booking: one per person, in their own time zone, with an .ics invitation."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.intake.models import Couple
from coaching.notify.outbox import queue_email
from coaching.scheduling import entries, invitations
from coaching.scheduling.models import Booking, SessionKind, SessionType
from coaching.templating import local_time


manage_url = entries.manage_url  # the signed single-use link to reschedule or cancel a booking


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
    """Queue the ``booking_<kind>`` email (confirmed, rescheduled, cancelled) to the clients and the coach,
    each with an invitation as that person sees the booking (``entries``: a neutral title for clients;
    the practice as ORGANIZER, everyone who may see the booking as ATTENDEEs)."""
    session_type = db.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    coach = db.get(CoachProfile, booking.coach_id)
    if coach is None:
        return
    cancel = kind == "cancelled"
    title = session_type.name if session_type else "Session"
    link = None if cancel else manage_url(booking)
    people = [(user, zone, link and f"{link}?tz={zone}") for user, zone in recipients(db, booking, session_type)]
    people.append((coach.user, coach.timezone, None))
    stamp = clock.now()
    for user, zone, manage in people:
        [event] = entries.events_for(db, [booking], entries.Viewer(is_coach=user.id == coach.user_id, zone=zone))
        ics = invitations.invitation(replace(event, stamp=None), stamp=stamp)
        queue_email(db, user.email, f"booking_{kind}", attachments=[invitations.attachment(ics, cancel=cancel)],
                    name=user.name, when=local_time(booking.starts_at, zone),
                    until=local_time(booking.ends_at, zone, "%H:%M"),
                    zone=zone, title=title, coach_name=coach.name, video_url=booking.video_url,
                    manage_url=manage, reason=booking.cancel_reason if cancel else None,
                    is_coach=user.id == coach.user_id)
