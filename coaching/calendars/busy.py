"""Busy intervals from iCalendar text. Pure: bytes and instants in, UTC intervals out.

Recurring events are expanded with ``recurring-ical-events`` (RRULE, RDATE, EXDATE and moved
occurrences); an event with a time zone keeps its local wall time across a daylight-saving
change (the library converts each occurrence in its own zone); a floating time is read in the
coach's zone; an all-day event blocks its whole local days in the coach's zone. Free
(``TRANSP:TRANSPARENT``) and cancelled events block nothing, nor do the UIDs Tandem wrote itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

__pure__ = True


class CalendarUnreadable(ValueError):
    """The calendar data is not iCalendar we can read."""


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime
    uid: str


def _instant(value: date | datetime, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return (value if value.tzinfo is not None else value.replace(tzinfo=zone)).astimezone(UTC)
    return datetime.combine(value, time(0), tzinfo=zone).astimezone(UTC)  # an all-day date: local midnight


_TOO_FINE = {"SECONDLY", "MINUTELY"}


def _occurrences(text: bytes | str, start: datetime, end: datetime, limit: int) -> list[icalendar.Event]:
    """The event occurrences of one document in ``[start, end)`` widened by a day (all-day
    dates are local), at most ``limit``. A rule repeating every second or minute is read as
    its first occurrence only: no calendar means that, and expanding it would cost millions."""
    try:
        calendar = icalendar.Calendar.from_ical(text)
        for component in calendar.walk("VEVENT"):
            for rule in component.get("RRULE") if isinstance(component.get("RRULE"), list) else [component.get("RRULE")]:
                if rule is not None and str((rule.get("FREQ") or [""])[0]).upper() in _TOO_FINE:
                    del component["RRULE"]
                    break
        found = recurring_ical_events.of(calendar, components=["VEVENT"]).between(
            start - timedelta(days=1), end + timedelta(days=1))
    except Exception as exc:  # noqa: BLE001 - any parse or expansion error means unreadable
        raise CalendarUnreadable(f"{type(exc).__name__}") from exc
    return found[:limit]


def busy_intervals(data: bytes | str | list[bytes | str], start: datetime, end: datetime, timezone: str, *,
                   skip_uids: Collection[str] = (), limit: int = 20_000) -> list[Interval]:
    """The busy UTC intervals of every event in ``data`` (one or more VCALENDAR texts) that
    overlap ``[start, end)``, sorted; at most ``limit``. Raises ``CalendarUnreadable``."""
    zone = ZoneInfo(timezone)
    texts = data if isinstance(data, list) else [data]
    out: list[Interval] = []
    for text in texts:
        for event in _occurrences(text, start, end, limit):
            uid = str(event.get("UID", ""))
            if uid in skip_uids:
                continue
            if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
                continue
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            dtstart = event.get("DTSTART")
            if dtstart is None:
                continue
            first = dtstart.dt
            dtend = event.get("DTEND")
            if dtend is not None:
                last = dtend.dt
            elif event.get("DURATION") is not None:
                last = first + event["DURATION"].dt
            else:
                last = first + timedelta(days=1) if not isinstance(first, datetime) else first
            lo, hi = _instant(first, zone), _instant(last, zone)
            if hi <= lo or hi <= start or lo >= end:
                continue
            out.append(Interval(lo, hi, uid))
            if len(out) >= limit:
                break
    out.sort(key=lambda i: (i.start, i.end))
    return out[:limit]


def merged(intervals: list[Interval]) -> list[tuple[datetime, datetime]]:
    """Overlapping or touching intervals joined: what is stored (fewer rows for the slot engine)."""
    out: list[tuple[datetime, datetime]] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if out and interval.start <= out[-1][1]:
            if interval.end > out[-1][1]:
                out[-1] = (out[-1][0], interval.end)
        else:
            out.append((interval.start, interval.end))
    return out
