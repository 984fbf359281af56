"""When both partners are free: weekly local free times turned into shared UTC intervals. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__pure__ = True

Interval = tuple[datetime, datetime]
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _wall(value: str) -> time | None:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
    except (ValueError, AttributeError):
        return None
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        return None
    return time(hours, minutes)


def weekly_to_utc(zone_name: str, weekly: Mapping[str, Sequence[Sequence[str]]],
                  start: datetime, end: datetime) -> list[Interval]:
    """The UTC intervals within ``[start, end)`` covered by weekly local ranges in ``zone_name``.

    Local ranges stay local across daylight-saving changes ("18:00-21:00" is 18:00-21:00 on
    the day the clocks move). Malformed ranges are ignored, not guessed at.
    """
    zone = ZoneInfo(zone_name)
    out: list[Interval] = []
    day: date = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    while day <= last:
        for pair in weekly.get(WEEKDAY_KEYS[day.weekday()], ()):
            if len(pair) != 2:
                continue
            lo, hi = _wall(pair[0]), _wall(pair[1])
            if lo is None or hi is None or lo >= hi:
                continue
            a = datetime.combine(day, lo, tzinfo=zone).astimezone(UTC)
            b = (datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone) if hi == time.max
                 else datetime.combine(day, hi, tzinfo=zone)).astimezone(UTC)
            a, b = max(a, start), min(b, end)
            if a < b:
                out.append((a, b))
        day += timedelta(days=1)
    return merge(out)


def merge(intervals: Sequence[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(intervals):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """Intersection of two sorted, merged interval lists."""
    i = j = 0
    out: list[Interval] = []
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo < hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def shared_free(partners: Sequence[tuple[str, Mapping[str, Sequence[Sequence[str]]]]],
                start: datetime, end: datetime) -> list[Interval]:
    """When every partner ``(zone, weekly)`` is free within ``[start, end)``; empty without two."""
    if len(partners) < 2:
        return []
    result = weekly_to_utc(*partners[0], start, end)
    for zone, weekly in partners[1:]:
        result = intersect(result, weekly_to_utc(zone, weekly, start, end))
    return result
