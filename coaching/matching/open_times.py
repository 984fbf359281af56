"""Each coach's open times for the matching session type, kept per process between changes.

The match page ranks every eligible coach, and each needs its open times in the next three
weeks. Computing them is the slot engine's work per coach and day; they change only when the
coach's bookings or calendar change, or as time passes. So each process keeps, per coach, the
open times of a whole UTC day's window (``OpenTimes``, a bit mask) and answers a request by
cutting them to ``[now + notice, now + window)``.

An entry is keyed by the coach's generations (``slot_cache.generations_many``: bumped after
every commit that changes the coach's bookings, external busy times or any calendar, here and
through Redis in every process, which is read before any row), the session type with its rules,
the coach's zone and the UTC day. It is used only from the moment it was computed until the
first live hold it saw expires. When Redis does not answer, or the rules reach past what a
day's window covers, nothing is cached: the caller computes the open times from the database.

Why cutting a day's open times is exact: the engine's slots are the grid starts that pass
independent tests (inside a working range, after ``earliest``, before ``latest``, clear of busy
times, under the daily maximum), so a wider window gives a superset to filter. The wider
window reads more busy times only farther than the engine's margins (two days for bookings,
one for external busy times) from the cut window, and those can neither overlap a slot nor
share its local day while buffers plus the duration stay within a day (``_cacheable``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.matching.scoring import OpenTimes
from coaching.scheduling import slot_cache
from coaching.scheduling import slots as engine
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.scheduling.services import availabilities_of, busy_by_coach, rules_of

EXTENSION = "tandem_match_open_times"
DAY = timedelta(days=1)
_MAX_ENTRIES = 200_000  # one per coach and session type: a bound, not a working size


@dataclass(frozen=True)
class _Entry:
    key: Hashable
    stored_at: float  # monotonic
    computed_at: datetime  # holds that had expired by then were not read as busy
    valid_until: datetime | None  # the first live hold read as busy expires then
    times: OpenTimes


class OpenTimesCache:
    """One app's entries, one per coach (a new key replaces the old entry)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, _Entry] = {}

    def get(self, coach_id: int, key: Hashable, now: datetime, ttl_seconds: float) -> OpenTimes | None:
        entry = self._entries.get(coach_id)
        if (entry is None or entry.key != key or not 0 <= time.monotonic() - entry.stored_at < ttl_seconds
                or now < entry.computed_at or (entry.valid_until is not None and now >= entry.valid_until)):
            return None
        return entry.times

    def put(self, coach_id: int, entry: _Entry) -> None:
        with self._lock:
            if len(self._entries) >= _MAX_ENTRIES:
                self._entries.clear()
            self._entries[coach_id] = entry


def _cache() -> OpenTimesCache:
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        found = current_app.extensions.setdefault(EXTENSION, OpenTimesCache())
    return found


def _cacheable(rules: engine.SessionRules) -> bool:
    """Rules whose open times a day's window gives exactly (see the module docstring)."""
    minutes_a_day = 24 * 60
    return (0 <= rules.buffer_before_min <= minutes_a_day
            and 0 <= rules.buffer_after_min + rules.duration_min <= minutes_a_day
            and 0 <= rules.min_notice_hours <= 24 * 366 and 0 <= rules.horizon_days <= 3660)


def open_times(db: Session, zones: Mapping[int, str], session_type: SessionType, now: datetime,
               window: timedelta) -> dict[int, OpenTimes] | None:
    """Each coach's (``zones``: coach id -> IANA zone) open times for ``session_type`` starting in
    ``[now, now + window)``, as ``slots.free_slots`` gives them; None when they cannot come from
    the cache (turned off, Redis not answering, rules it does not cover): compute them plainly."""
    ttl = float(current_app.config["MATCH_OPEN_TIMES_CACHE_SECONDS"])
    rules = rules_of(session_type)
    if ttl <= 0 or not _cacheable(rules) or window > timedelta(days=366):
        return None
    ids = list(zones)
    gens = slot_cache.generations_many(ids)  # before any row is read
    if gens is None:
        return None
    now = now.astimezone(UTC)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    cache = _cache()
    found: dict[int, OpenTimes] = {}
    keys: dict[int, Hashable] = {}
    for cid in ids:
        key = (session_type.id, rules, zones[cid], day, window, gens[cid])
        times = cache.get(cid, key, now, ttl)
        if times is None:
            keys[cid] = key
        else:
            found[cid] = times
    if keys:
        computed = _day_open_times(db, {cid: zones[cid] for cid in keys}, session_type, rules, day, now, window)
        stored_at = time.monotonic()
        for cid, (times, valid_until) in computed.items():
            cache.put(cid, _Entry(keys[cid], stored_at, now, valid_until, times))
            found[cid] = times
    earliest = max(now, now + timedelta(hours=rules.min_notice_hours))
    latest = min(now + window, now + timedelta(days=rules.horizon_days))
    return {cid: found[cid].between(earliest, latest) for cid in ids}


def _day_open_times(db: Session, zones: Mapping[int, str], session_type: SessionType,
                    rules: engine.SessionRules, day: datetime, now: datetime, window: timedelta
                    ) -> dict[int, tuple[OpenTimes, datetime | None]]:
    """Open times for every request of ``day`` (notice from its start, horizon a day longer),
    with the moment each coach's first live hold expires."""
    end = day + window + DAY
    availabilities = availabilities_of(db, zones, day, end)
    busy = busy_by_coach(db, zones, session_type.id, day, end, now)
    expiries = dict(db.execute(  # every live hold, a superset of those read as busy: a few rows
        select(Booking.coach_id, func.min(Booking.hold_expires_at))
        .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now).group_by(Booking.coach_id)).all())
    wide = replace(rules, horizon_days=rules.horizon_days + 1)
    return {cid: (OpenTimes.of(engine.free_slots(availabilities[cid], wide, busy[cid], day, end, day)),
                  expiries.get(cid)) for cid in zones}
