"""Calendar invitations (.ics) for bookings, built with the icalendar library.

The UID stays the same across a booking's reschedule chain and SEQUENCE grows with each
change, so calendar programs update the one event instead of adding another.
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vText


def invitation(*, uid: str, sequence: int, start: datetime, end: datetime, summary: str,
               description: str, location: str, stamp: datetime, organizer_email: str,
               cancel: bool = False) -> str:
    """An iCalendar document: METHOD:REQUEST for a new or moved booking, METHOD:CANCEL for a cancelled one."""
    cal = Calendar()
    cal.add("prodid", "-//Tandem//Couples coaching//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancel else "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    event.add("url", location)
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event["organizer"] = vText(f"mailto:{organizer_email}")
    cal.add_component(event)
    return cal.to_ical().decode()


def attachment(ics: str, cancel: bool = False) -> dict[str, str]:
    """The outbox attachment for an invitation."""
    method = "CANCEL" if cancel else "REQUEST"
    return {"filename": "invite.ics" if not cancel else "cancel.ics",
            "content_type": f"text/calendar; method={method}", "content": ics}
