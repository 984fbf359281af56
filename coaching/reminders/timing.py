"""When reminders fall due, and what to do with one that came due late (pure).

Offsets are elapsed time before the session's start ("24h" is 24 hours of real time, so a
session the day after a clock change is reminded at the instant 24 hours before it, whatever
the wall clocks say).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

__pure__ = True

_PART = re.compile(r"^\s*(\d{1,5})\s*([mhd])\s*$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 24 * 60}
MAX_OFFSET_MINUTES = 30 * 24 * 60


def parse_offsets(raw: str) -> tuple[int, ...]:
    """``"24h,1h"`` -> ``(1440, 60)``: minutes before the start, longest first, no repeats.

    Each part is a whole number and a unit (``m``, ``h`` or ``d``), 1 minute to 30 days; an
    empty string means no reminders. Raises ``ValueError`` naming the part it cannot read.
    """
    minutes: set[int] = set()
    for part in (raw or "").split(","):
        if not part.strip():
            continue
        match = _PART.match(part.lower())
        if match is None:
            raise ValueError(f"{part.strip()!r} is not a number followed by m, h or d")
        value = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
        if not 1 <= value <= MAX_OFFSET_MINUTES:
            raise ValueError(f"{part.strip()!r} must be between 1 minute and 30 days")
        minutes.add(value)
    return tuple(sorted(minutes, reverse=True))


def describe(minutes: int) -> str:
    """``1440`` -> ``"24 hours"``, ``90`` -> ``"90 minutes"``, ``2880`` -> ``"2 days"``."""
    if minutes % (24 * 60) == 0 and minutes >= 48 * 60:
        n, unit = minutes // (24 * 60), "day"
    elif minutes % 60 == 0:
        n, unit = minutes // 60, "hour"
    else:
        n, unit = minutes, "minute"
    return f"{n} {unit}{'' if n == 1 else 's'}"


def due_times(starts_at: datetime, offsets: tuple[int, ...], now: datetime) -> list[tuple[int, datetime]]:
    """``(offset, due_at)`` of each reminder still worth making for a session at ``starts_at``:
    those due after ``now`` (a booking made an hour ahead gets no 24-hour reminder)."""
    out = []
    for offset in offsets:
        due = starts_at - timedelta(minutes=offset)
        if due > now:
            out.append((offset, due))
    return out


def has_started(starts_at: datetime, now: datetime) -> bool:
    """A reminder found due at or after the session's start is skipped, never sent."""
    return now >= starts_at
