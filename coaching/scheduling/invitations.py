"""Calendar documents (.ics) and "add to calendar" links for bookings, built with icalendar.

Pure: plain values in, text out. One ``CalendarEvent`` describes a booking as one person
sees it (``coaching.scheduling.entries`` makes them); the same event becomes an emailed
invitation (METHOD:REQUEST / CANCEL), a downloaded file (METHOD:PUBLISH), an entry of a
private feed (no METHOD) or a Google Calendar / Outlook on the web link. Times are UTC.

The UID stays the same across a booking's reschedule chain and SEQUENCE grows with each
change, so calendar programs update the one event instead of adding another. Every event
of a booking carries the practice as ORGANIZER and the people who may see the booking
as ATTENDEEs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from threading import Lock
from datetime import UTC, datetime
from urllib.parse import urlencode

from icalendar import Calendar, Event, vCalAddress, vText

__pure__ = True

PRODID = "-//Tandem//Couples coaching//EN"
GOOGLE_URL = "https://calendar.google.com/calendar/render"
OUTLOOK_URLS = {"outlook": "https://outlook.live.com/calendar/0/action/compose",
                "office": "https://outlook.office.com/calendar/0/action/compose"}


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class CalendarEvent:
    """One booking as one person sees it (title, details and links chosen for that person)."""

    uid: str
    sequence: int
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    cancelled: bool = False
    stamp: datetime | None = None  # when the booking was last revised
    organizer: Person | None = None
    attendees: tuple[Person, ...] = field(default_factory=tuple)


def _address(person: Person, **params: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = vText(person.name)
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = vText(value)
    return address


def vevent(event: CalendarEvent, stamp: datetime) -> Event:
    """The VEVENT of ``event`` (DTSTAMP ``event.stamp`` or ``stamp``)."""
    component = Event()
    component.add("uid", event.uid)
    component.add("sequence", event.sequence)
    component.add("dtstamp", (event.stamp or stamp).astimezone(UTC))
    component.add("dtstart", event.start.astimezone(UTC))
    component.add("dtend", event.end.astimezone(UTC))
    component.add("summary", event.summary)
    if event.description:
        component.add("description", event.description)
    if event.location:
        component.add("location", event.location)
    if event.url:
        component.add("url", event.url)
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if event.cancelled else "OPAQUE")
    if event.organizer is not None:
        component.add("organizer", _address(event.organizer))
    for person in event.attendees:
        component.add("attendee", _address(person, cutype="INDIVIDUAL", role="REQ-PARTICIPANT",
                                           partstat="ACCEPTED", rsvp="FALSE"))
    return component


# icalendar folds lines character by character (about 2 ms per event here); a feed of thousands
# of events would take seconds. Each event's VEVENT text is kept (per process, least recently
# used first out): an event's text depends only on its fields, so a feed is built from the
# events that changed since the last fetch plus the kept ones.
_VEVENT_CACHE: OrderedDict[CalendarEvent, str] = OrderedDict()
_VEVENT_CACHE_SIZE = 20_000
_cache_lock = Lock()


def vevent_text(event: CalendarEvent, stamp: datetime) -> str:
    """``vevent(event, stamp)`` as iCalendar text (CRLF lines), from the cache when it can (events
    with their own ``stamp``: an invitation stamped "now" is made once and not kept)."""
    if event.stamp is None:
        return vevent(event, stamp).to_ical().decode()
    key = event
    with _cache_lock:
        text = _VEVENT_CACHE.get(key)
        if text is not None:
            _VEVENT_CACHE.move_to_end(key)
            return text
    text = vevent(event, stamp).to_ical().decode()
    with _cache_lock:
        _VEVENT_CACHE[key] = text
        while len(_VEVENT_CACHE) > _VEVENT_CACHE_SIZE:
            _VEVENT_CACHE.popitem(last=False)
    return text


def calendar(events: Iterable[CalendarEvent], *, stamp: datetime, method: str | None = None,
             name: str | None = None, refresh: str | None = None) -> str:
    """An iCalendar document holding ``events``.

    ``method``: REQUEST or CANCEL for an emailed invitation, PUBLISH for a download, None for
    a subscribed feed. ``name`` and ``refresh`` (an ISO duration such as ``PT1H``) describe a feed.
    The VCALENDAR is icalendar's; the VEVENTs inside it come from ``vevent_text``.
    """
    head, end = _calendar(stamp=stamp, method=method, name=name, refresh=refresh).split("END:VCALENDAR\r\n")
    assert end == ""
    return "".join([head, *(vevent_text(event, stamp) for event in events), "END:VCALENDAR\r\n"])


def _calendar(*, stamp: datetime, method: str | None, name: str | None, refresh: str | None) -> str:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    if refresh:
        cal["refresh-interval"] = vText(refresh)
        cal["refresh-interval"].params["VALUE"] = "DURATION"
        cal.add("x-published-ttl", refresh)
    return cal.to_ical().decode()


def invitation(event: CalendarEvent, *, stamp: datetime) -> str:
    """An emailed invitation: METHOD:REQUEST for a new or moved booking, METHOD:CANCEL for a cancelled one."""
    return calendar([event], stamp=stamp, method="CANCEL" if event.cancelled else "REQUEST")


def attachment(ics: str, cancel: bool = False) -> dict[str, str]:
    """The outbox attachment for an invitation."""
    method = "CANCEL" if cancel else "REQUEST"
    return {"filename": "invite.ics" if not cancel else "cancel.ics",
            "content_type": f"text/calendar; method={method}", "content": ics}


# --- links to add one event in a web calendar ------------------------------------------------------


def _compact(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def google_calendar_url(event: CalendarEvent) -> str:
    """Google Calendar's "create event" template link (``dates`` as UTC start/end)."""
    params: list[tuple[str, str]] = [("action", "TEMPLATE"), ("text", event.summary),
                                     ("dates", f"{_compact(event.start)}/{_compact(event.end)}")]
    if event.description:
        params.append(("details", event.description))
    if event.location:
        params.append(("location", event.location))
    return f"{GOOGLE_URL}?{urlencode(params)}"


def outlook_url(event: CalendarEvent, service: str = "outlook") -> str:
    """Outlook on the web's compose link: ``outlook`` (Outlook.com) or ``office`` (Microsoft 365)."""
    params: list[tuple[str, str]] = [("path", "/calendar/action/compose"), ("rru", "addevent"),
                                     ("subject", event.summary), ("startdt", _iso(event.start)),
                                     ("enddt", _iso(event.end))]
    if event.description:
        params.append(("body", event.description))
    if event.location:
        params.append(("location", event.location))
    return f"{OUTLOOK_URLS[service]}?{urlencode(params)}"


def describe(lines: Sequence[str]) -> str:
    """Description text from the non-empty ``lines``."""
    return "\n".join(line for line in lines if line)
