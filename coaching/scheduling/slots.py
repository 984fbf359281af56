"""The slot engine: which session starts a coach can offer. Pure: values in, UTC instants out.

Working hours are local wall-clock times in the coach's IANA zone and stay local across a
daylight-saving change. Candidate starts step through local wall time from each range's start;
a wall time that does not exist (spring forward) is skipped, and a repeated wall time
(autumn back) is offered once, at its first occurrence. Buffers keep distance from busy
intervals, not from the edges of working hours. Notice and horizon are measured from ``now``.
"""

from __future__ import annotations

import bisect
import functools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class WeeklyHours:
    """One working range on a weekday (0 = Monday), local to the coach."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class DateHours:
    """Hours replacing the weekly ones on one local date; ``start``/``end`` None = closed."""

    on_date: date
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class DaysOff:
    """Whole local dates off, inclusive."""

    start: date
    end: date


@dataclass(frozen=True)
class Busy:
    """An occupied UTC interval ``[start, end)``; ``counts`` toward the session's daily maximum."""

    start: datetime
    end: datetime
    counts: bool = False


@dataclass(frozen=True)
class SessionRules:
    duration_min: int
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    min_notice_hours: int = 0
    horizon_days: int = 60
    slot_interval_min: int = 30
    daily_max: int | None = None


@dataclass(frozen=True)
class Availability:
    """A coach's working time: zone, weekly hours, per-date overrides and days off."""

    timezone: str
    weekly: tuple[WeeklyHours, ...] = ()
    overrides: tuple[DateHours, ...] = ()
    days_off: tuple[DaysOff, ...] = field(default_factory=tuple)


Slot = tuple[datetime, datetime]


def local_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime | None:
    """The UTC instant of a local wall time, its first occurrence if repeated; None if it does not exist."""
    local = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first occurrence
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _edge_to_utc(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """Like ``local_to_utc``, but a wall time inside a gap maps to the moment the gap ends."""
    instant = local_to_utc(day, wall, zone)
    if instant is not None:
        return instant
    target = datetime.combine(day, wall)
    probe = datetime.combine(day, wall, tzinfo=zone).replace(fold=1).astimezone(UTC)
    probe = probe.replace(second=0, microsecond=0)
    for _ in range(26 * 60):  # gaps are at most a day long
        if probe.astimezone(zone).replace(tzinfo=None) >= target:
            return probe
        probe += timedelta(minutes=1)
    return probe


def working_ranges(availability: Availability, day: date) -> list[tuple[time, time]]:
    """The local working ranges of one date: override, else weekly hours; none on days off."""
    if any(off.start <= day <= off.end for off in availability.days_off):
        return []
    overrides = [o for o in availability.overrides if o.on_date == day]
    if overrides:
        return sorted((o.start, o.end) for o in overrides if o.start is not None and o.end is not None
                      and o.start < o.end)
    return sorted((w.start, w.end) for w in availability.weekly if w.weekday == day.weekday())


def _working_ranges_by_day(availability: Availability) -> Callable[[date], list[tuple[time, time]]]:
    """``working_ranges`` of one availability for many days: weekly hours sorted per weekday once,
    overrides looked up by date."""
    if not availability.overrides and not availability.days_off:
        weekly: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for w in availability.weekly:
            if 0 <= w.weekday < 7:
                weekly[w.weekday].append((w.start, w.end))
        by_weekday = [sorted(ranges) for ranges in weekly]
        return lambda day: by_weekday[day.weekday()]
    return functools.partial(working_ranges, availability)


def _merge(busy: list[Busy], before: timedelta, after: timedelta) -> tuple[list[datetime], list[datetime]]:
    """Busy intervals widened by the buffers, merged into disjoint sorted (starts, ends)."""
    starts: list[datetime] = []
    ends: list[datetime] = []
    for b in sorted(busy, key=lambda b: b.start):
        lo, hi = b.start - after, b.end + before
        if ends and lo <= ends[-1]:
            ends[-1] = max(ends[-1], hi)
        else:
            starts.append(lo)
            ends.append(hi)
    return starts, ends


def free_slots(
    availability: Availability,
    rules: SessionRules,
    busy: list[Busy] | tuple[Busy, ...],
    window_start: datetime,
    window_end: datetime,
    now: datetime,
    within: list[Slot] | tuple[Slot, ...] | None = None,
) -> list[Slot]:
    """Every free ``(start, end)`` in UTC whose start lies in ``[window_start, window_end)``.

    A slot lies inside one working range, starts on the local interval grid of that range,
    is at least ``min_notice_hours`` and less than ``horizon_days`` from ``now``, keeps the
    session's buffers clear of every busy interval, and sits on a local day that has fewer
    than ``daily_max`` counted bookings. Sorted by start.

    ``within`` (sorted, disjoint UTC intervals, e.g. when both partners are free): only the
    slots lying entirely inside one of them, found without stepping through the others.
    """
    zone = ZoneInfo(availability.timezone)
    duration = timedelta(minutes=rules.duration_min)
    step = timedelta(minutes=max(1, rules.slot_interval_min))
    earliest = _bounded(max(window_start, _bounded(now, timedelta(hours=rules.min_notice_hours))))
    latest = _bounded(min(window_end, _bounded(now, timedelta(days=rules.horizon_days))))
    if earliest >= latest:
        return []
    # Buffers of the new session: nothing busy within `before` ahead of it or `after` behind it.
    busy_starts, busy_ends = _merge(list(busy), timedelta(minutes=rules.buffer_before_min),
                                    timedelta(minutes=rules.buffer_after_min))
    per_day = Counter(b.start.astimezone(zone).date() for b in busy if b.counts)
    slots: list[Slot] = []
    day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    windows = None if within is None else sorted(within)
    ranges_of = _working_ranges_by_day(availability)
    while day <= last_day:
        if rules.daily_max is None or per_day[day] < rules.daily_max:
            for start_wall, end_wall in ranges_of(day):
                found = _range_slots(day, start_wall, end_wall, zone, duration, step, earliest, latest,
                                     busy_starts, busy_ends, windows)
                if windows is not None:
                    found = [slot for slot in found if _inside(slot, windows)]
                slots.extend(found)
        day += timedelta(days=1)
    return sorted(set(slots))


def _inside(slot: Slot, windows: list[Slot]) -> bool:
    i = bisect.bisect_right(windows, (slot[0], _LAST_INSTANT)) - 1
    return i >= 0 and windows[i][0] <= slot[0] and slot[1] <= windows[i][1]


# Instants a slot computation may reach: local dates a day either side of them still exist.
_FIRST_INSTANT = datetime(2, 1, 1, tzinfo=UTC)
_LAST_INSTANT = datetime(9998, 12, 31, tzinfo=UTC)


def _bounded(value: datetime, delta: timedelta = timedelta(0)) -> datetime:
    """``value + delta`` kept inside years 2..9998 instead of overflowing (hostile dates, huge horizons)."""
    try:
        value = value + delta
    except OverflowError:
        return _LAST_INSTANT if delta > timedelta(0) else _FIRST_INSTANT
    return min(max(value, _FIRST_INSTANT), _LAST_INSTANT)


def _range_slots(day: date, start_wall: time, end_wall: time, zone: ZoneInfo, duration: timedelta,
                 step: timedelta, earliest: datetime, latest: datetime,
                 busy_starts: list[datetime], busy_ends: list[datetime], windows: list[Slot] | None = None
                 ) -> list[Slot]:
    offset = _day_offset(zone, day)
    if offset is not None:  # one UTC offset all day: wall times are UTC times shifted by it
        first = datetime.combine(day, start_wall, tzinfo=UTC) - offset
        range_end = datetime.combine(day, end_wall, tzinfo=UTC) - offset
    else:
        range_end = _edge_to_utc(day, end_wall, zone)
        first = local_to_utc(day, start_wall, zone)
    if first is not None and (offset is not None or
                              first.astimezone(zone).utcoffset() == range_end.astimezone(zone).utcoffset()):
        # No clock change inside the range: steps of wall time are steps of UTC time.
        if windows is None:
            return _steady_range_slots(first, range_end, duration, step, earliest, latest, busy_starts, busy_ends)
        out: list[Slot] = []
        i = max(0, bisect.bisect_right(windows, (first, first)) - 1)
        while i < len(windows) and windows[i][0] < range_end:
            lo, hi = windows[i]
            if hi > first:  # the range's grid, from the window's start, ending by the window's end
                out.extend(_steady_range_slots(first, min(range_end, hi), duration, step, max(earliest, lo),
                                               latest, busy_starts, busy_ends))
            i += 1
        return out
    return _wall_clock_range_slots(day, start_wall, end_wall, zone, range_end, duration, step, earliest, latest,
                                   busy_starts, busy_ends)


@functools.lru_cache(maxsize=16384)
def _day_offset(zone: ZoneInfo, day: date) -> timedelta | None:
    """The zone's UTC offset on ``day`` if it is the same from its midnight to the next, else
    None (a clock change that day: convert each wall time on its own)."""
    try:
        at_start = datetime.combine(day, time(0), tzinfo=zone).utcoffset()
        at_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).utcoffset()
    except OverflowError:
        return None
    return at_start if at_start == at_end else None


def _wall_clock_range_slots(day: date, start_wall: time, end_wall: time, zone: ZoneInfo, range_end: datetime,
                            duration: timedelta, step: timedelta, earliest: datetime, latest: datetime,
                            busy_starts: list[datetime], busy_ends: list[datetime]) -> list[Slot]:
    """Candidate starts stepped through local wall time, each converted on its own (clock-change days)."""
    wall = datetime.combine(day, start_wall)
    wall_end = datetime.combine(day, end_wall)
    out: list[Slot] = []
    while wall < wall_end:
        start = local_to_utc(day, wall.time(), zone)
        wall += step
        if start is None or start < earliest or start >= latest:
            continue
        end = start + duration
        if end > range_end:
            break
        if _overlaps_busy(start, end, busy_starts, busy_ends):
            continue
        out.append((start, end))
    return out


def _steady_range_slots(first: datetime, range_end: datetime, duration: timedelta, step: timedelta,
                        earliest: datetime, latest: datetime, busy_starts: list[datetime],
                        busy_ends: list[datetime]) -> list[Slot]:
    """``_range_slots`` for a range with one UTC offset throughout: plain UTC arithmetic."""
    out: list[Slot] = []
    start = first
    if earliest > first:  # jump to the first step on or after `earliest`
        start = first + step * -((first - earliest) // step)
    # `_overlaps_busy` inlined: starts only grow, so the first busy interval ending after the
    # start only moves forward (the same index its bisect finds).
    i, count = bisect.bisect_right(busy_ends, start), len(busy_ends)
    while start < latest:
        end = start + duration
        if end > range_end:
            break
        while i < count and busy_ends[i] <= start:
            i += 1
        if i == count or busy_starts[i] >= end:
            out.append((start, end))
        start += step
    return out


def _overlaps_busy(start: datetime, end: datetime, starts: list[datetime], ends: list[datetime]) -> bool:
    i = bisect.bisect_right(ends, start)  # first merged interval ending after `start`
    return i < len(starts) and starts[i] < end


# --- a couple's shared free times ------------------------------------------------------------


@dataclass(frozen=True)
class FreeTimes:
    """One partner's weekly free times, local to their zone: {"mon": [("18:00", "21:00")], ...}."""

    timezone: str
    weekly: dict[str, list[tuple[str, str]]]


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes)) if int(hours) < 24 else time(23, 59, 59)


def within_free_times(slot: Slot, partner: FreeTimes) -> bool:
    """True when the whole slot lies inside one of the partner's free ranges, in their zone."""
    try:
        zone = ZoneInfo(partner.timezone)
    except Exception:  # noqa: BLE001 - an unknown zone means we cannot say it fits
        return False
    start, end = slot[0].astimezone(zone), slot[1].astimezone(zone)
    if end.date() != start.date() and end.timetz().replace(tzinfo=None) != time(0):
        return False
    key = WEEKDAY_KEYS[start.weekday()]
    for lo, hi in partner.weekly.get(key, []):
        try:
            lo_t, hi_t = _hhmm(lo), _hhmm(hi)
        except (ValueError, AttributeError):
            continue
        end_t = end.time() if end.date() == start.date() else time(23, 59, 59)
        if lo_t <= start.time() and end_t <= hi_t:
            return True
    return False


def both_free(slot: Slot, partners: list[FreeTimes]) -> bool:
    """True when the couple has two partners with free times and the slot suits both."""
    return len(partners) == 2 and all(within_free_times(slot, p) for p in partners)


def parse_ranges(text: str) -> list[tuple[time, time]]:
    """Parse "09:00-12:00, 13:00-17:00" into sorted ranges; raise ValueError with a clear message.

    Each range must end after it starts, and ranges of one day must not overlap.
    """
    ranges: list[tuple[time, time]] = []
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        if not sep:
            raise ValueError(f'"{part}" is not a range like 09:00-12:00')
        try:
            start = time.fromisoformat(lo.strip())
            end = time.fromisoformat(hi.strip()) if hi.strip() not in ("24:00",) else time(23, 59)
        except ValueError as exc:
            raise ValueError(f'"{part}" has a time that is not HH:MM') from exc
        if end <= start:
            raise ValueError(f"{part}: the end must be after the start")
        ranges.append((start, end))
    ranges.sort()
    for (a_start, a_end), (b_start, b_end) in zip(ranges, ranges[1:], strict=False):
        if b_start < a_end:
            raise ValueError(f"{a_start:%H:%M}-{a_end:%H:%M} and {b_start:%H:%M}-{b_end:%H:%M} overlap")
    return ranges
