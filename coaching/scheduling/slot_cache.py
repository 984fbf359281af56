"""A short-lived, per-process cache of the public slots answer (the busiest read in Tandem).

Why it is safe: the database alone decides whether a booking can be made (the exclusion
constraint and the booking transaction), so a slot list a second or two old can at worst
offer a time that was just taken, and booking it answers 409 with the next free times.
Entries for a coach are dropped at once when this process changes that coach's calendar;
other processes see the change within ``SLOTS_CACHE_SECONDS`` (0 turns the cache off).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

from coaching.scheduling import events

Key = tuple[int, str, str, str, str]  # coach id, session type slug, first date, last date, zone

_MAX_ENTRIES = 2048
_lock = threading.Lock()
_entries: OrderedDict[Key, tuple[float, bytes]] = OrderedDict()


def get(key: Key, ttl_seconds: float) -> bytes | None:
    """The cached body for ``key`` if it was stored less than ``ttl_seconds`` ago.

    Age is measured on the monotonic clock: this is an operational bound, not domain time.
    """
    if ttl_seconds <= 0:
        return None
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
        if entry is None:
            return None
        stored_at, body = entry
        if not 0 <= now - stored_at < ttl_seconds:
            del _entries[key]
            return None
        _entries.move_to_end(key)
        return body


def put(key: Key, body: bytes, ttl_seconds: float) -> None:
    if ttl_seconds <= 0:
        return
    with _lock:
        _entries[key] = (time.monotonic(), body)
        _entries.move_to_end(key)
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)


def forget_coach(coach_id: int) -> None:
    """Drop every cached answer about one coach."""
    with _lock:
        for key in [k for k in _entries if k[0] == coach_id]:
            del _entries[key]


def clear() -> None:
    with _lock:
        _entries.clear()


def _on_calendar_change(booking: Any, **_kwargs: Any) -> None:
    forget_coach(booking.coach_id)


for _signal in (events.hold_placed, events.booking_confirmed, events.hold_released,
                events.booking_cancelled, events.booking_rescheduled):
    _signal.connect(_on_calendar_change, weak=False)
