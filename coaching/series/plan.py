"""The dates of a series: the same local wall time in the booker's zone, every 1 or 2 weeks.

Pure: values in, values out. A wall time that does not exist on a date (it falls in the hour
skipped when clocks go forward) is reported as such, never silently moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__pure__ = True

MIN_COUNT, MAX_COUNT = 2, 12


class PlanError(ValueError):
    """The request for a series is malformed (the message is safe to show)."""


@dataclass(frozen=True)
class Occurrence:
    position: int            # 0-based, in the order of the series
    start: datetime | None   # UTC; None when the wall time does not exist that day
    local_date: str          # ISO date in the booker's zone


def interval_weeks(name: object) -> int:
    """1 for ``weekly``, 2 for ``fortnightly`` (``every-other-week`` and 1/2 accepted); PlanError otherwise."""
    aliases = {"weekly": 1, "1": 1, 1: 1, "fortnightly": 2, "every-other-week": 2, "biweekly": 2, "2": 2, 2: 2}
    if isinstance(name, bool) or name not in aliases:
        raise PlanError("The interval must be weekly or every other week.")
    return aliases[name]  # type: ignore[index]


def check_count(count: object) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= MAX_COUNT:
        raise PlanError(f"A series has between {MIN_COUNT} and {MAX_COUNT} sessions.")
    return count


def occurrences(first: datetime, zone: str, weeks: int, count: int) -> list[Occurrence]:
    """``count`` occurrences from ``first`` (aware), every ``weeks`` weeks at ``first``'s wall
    time in ``zone``, converted to UTC (so across a clock change the UTC time moves, the
    local time stays)."""
    if first.tzinfo is None:
        raise PlanError("The first time needs a time zone offset.")
    if weeks not in (1, 2):
        raise PlanError("The interval must be weekly or every other week.")
    check_count(count)
    tz = ZoneInfo(zone)
    local = first.astimezone(tz)
    out = []
    for i in range(count):
        wall = (local.replace(tzinfo=None) + timedelta(weeks=weeks * i))
        aware = wall.replace(tzinfo=tz)
        back = aware.astimezone(UTC).astimezone(tz)
        exists = back.replace(tzinfo=None) == wall
        out.append(Occurrence(i, aware.astimezone(UTC) if exists else None, wall.date().isoformat()))
    return out
