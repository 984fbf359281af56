"""Caches of the public slots answer (the busiest read in Tandem), shared-invalidated through Redis.

Two caches live in each app (``app.extensions["tandem_slot_cache"]``):

- the **answer cache**: the JSON body of one slots query for ``SLOTS_CACHE_SECONDS`` (0 turns it
  off);
- the **calendar cache** (``coaching.scheduling.calendar``): each coach's zone, offered session
  types and working time, for at most ``SLOTS_CALENDAR_CACHE_SECONDS`` (0 turns it off).

Both are keyed by *generations*: a counter per coach (bumped when one of the coach's bookings
changes) and one for all calendars (bumped when hours, overrides, time off, session types or a
coach change). A change is noticed on the ORM session itself (``after_flush`` and bulk
statements, see ``_watch``), whatever the code path, and the counters are bumped **after the
commit**, both in this app and, with ``REDIS_URL``, in Redis (``INCR``), which every process
reads before answering: a booking made through one process removes the slot from every other
process's answers at once. A reader that read the old generation before the commit computed
from the old rows and stored them under the old key, which nobody asks for any more.

Redis is read with a short timeout; when it does not answer, both caches are bypassed (every
answer computed from the database) for a second before Redis is tried again: never a stale
answer, never a 500. Why an answer cache is safe at all: the database alone decides whether a
booking can be made, so an answer can at worst offer a time that was just taken (only while a
commit's ``INCR`` is lost), and booking it answers 409 with the next free times.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from coaching.scheduling import events

log = logging.getLogger("tandem.slots")

EXTENSION = "tandem_slot_cache"
CONFIG_KEY = "tandem:slots:calendars"
COACH_KEY = "tandem:slots:coach:{}"
REDIS_TIMEOUT = 0.1  # seconds: a generation read must be much cheaper than computing the answer
REDIS_RETRY_AFTER = 1.0  # seconds to bypass the caches after Redis failed to answer
_MAX_ENTRIES = 2048

Generations = tuple[Hashable, Hashable]  # (all calendars, this coach)


class SlotCache:
    """One app's caches and generation counters (see the module docstring)."""

    def __init__(self, redis_url: str | None = None) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._config_gen = 0
        self._coach_gen: dict[int, int] = {}
        self._redis: Any = None
        self._redis_down_until = 0.0
        if redis_url:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._redis = redis.Redis.from_url(redis_url, socket_connect_timeout=REDIS_TIMEOUT,
                                               socket_timeout=REDIS_TIMEOUT, retry=Retry(NoBackoff(), 0))

    # --- generations ---------------------------------------------------------------------------

    def generations(self, coach_id: int) -> Generations | None:
        """The current (calendars, coach) generations, or None while Redis does not answer."""
        with self._lock:
            local = (self._config_gen, self._coach_gen.get(coach_id, 0))
        if self._redis is None:
            return local
        if time.monotonic() < self._redis_down_until:
            return None
        try:
            shared = self._redis.mget(CONFIG_KEY, COACH_KEY.format(coach_id))
        except Exception as exc:  # noqa: BLE001 - any Redis failure means: bypass the caches
            self._redis_failed("read", exc)
            return None
        return (local[0], shared[0]), (local[1], shared[1])

    def generations_many(self, coach_ids: Sequence[int]) -> dict[int, Generations] | None:
        """``generations`` of many coaches read together (one ``MGET``), or None while Redis does
        not answer: the match page keys thousands of per-coach entries by them."""
        with self._lock:
            config = self._config_gen
            local = [self._coach_gen.get(cid, 0) for cid in coach_ids]
        if self._redis is None:
            return {cid: (config, gen) for cid, gen in zip(coach_ids, local)}
        if time.monotonic() < self._redis_down_until:
            return None
        try:
            shared = self._redis.mget(CONFIG_KEY, *(COACH_KEY.format(cid) for cid in coach_ids))
        except Exception as exc:  # noqa: BLE001 - any Redis failure means: bypass the caches
            self._redis_failed("read", exc)
            return None
        shared_config = (config, shared[0])
        return {cid: (shared_config, (gen, value)) for cid, gen, value in zip(coach_ids, local, shared[1:])}

    def bump(self, coach_ids: set[int], all_coaches: bool, config: bool) -> None:
        """Invalidate after a commit: here at once, and in every process through Redis."""
        with self._lock:
            if config or all_coaches:
                self._config_gen += 1
                self._entries.clear()
            for cid in coach_ids:
                self._coach_gen[cid] = self._coach_gen.get(cid, 0) + 1
        if self._redis is None or not (coach_ids or all_coaches or config):
            return
        try:
            with self._redis.pipeline(transaction=False) as pipe:
                if config or all_coaches:
                    pipe.incr(CONFIG_KEY)
                for cid in sorted(coach_ids):
                    pipe.incr(COACH_KEY.format(cid))
                pipe.execute()
        except Exception as exc:  # noqa: BLE001 - readers bypass the caches until Redis answers again
            self._redis_failed("write", exc)

    def _redis_failed(self, what: str, exc: Exception) -> None:
        self._redis_down_until = time.monotonic() + REDIS_RETRY_AFTER
        log.warning("slot cache: Redis %s failed (%s); answering from the database", what, type(exc).__name__)

    # --- entries ----------------------------------------------------------------------------------

    def get(self, key: Hashable, ttl_seconds: float) -> Any:
        """The value stored under ``key`` less than ``ttl_seconds`` ago (monotonic clock), or None."""
        if ttl_seconds <= 0:
            return None
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored_at, value = entry
            if not 0 <= now - stored_at < ttl_seconds:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > _MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._config_gen += 1


def install(app: Flask) -> SlotCache:
    cache = SlotCache(app.config.get("REDIS_URL"))
    app.extensions[EXTENSION] = cache
    return cache


def current() -> SlotCache:
    return current_app.extensions[EXTENSION]


def _current_or_none() -> SlotCache | None:
    return current_app.extensions.get(EXTENSION) if has_app_context() else None


# Module-level helpers for the answer cache (key: coach id, slug, first, last, zone, generations).


def generations(coach_id: int) -> Generations | None:
    return current().generations(coach_id)


def generations_many(coach_ids: Sequence[int]) -> dict[int, Generations] | None:
    return current().generations_many(coach_ids)


def get(key: Hashable, ttl_seconds: float) -> bytes | None:
    return current().get(("answer", key), ttl_seconds)


def put(key: Hashable, body: bytes, ttl_seconds: float) -> None:
    current().put(("answer", key), body, ttl_seconds)


def forget_coach(coach_id: int) -> None:
    """Drop every cached answer about one coach, here and (through Redis) in every process."""
    cache = _current_or_none()
    if cache is not None:
        cache.bump({coach_id}, all_coaches=False, config=False)


def clear() -> None:
    cache = _current_or_none()
    if cache is not None:
        cache.clear()


# --- noticing changes on the ORM session ---------------------------------------------------------

_PENDING = "tandem_slot_changes"


def _config_tables() -> frozenset[str]:
    return frozenset({"availability_rules", "date_overrides", "time_off", "session_types", "coach_profiles",
                      "coach_session_types", "users"})


_CONFIG_TABLES = _config_tables()
# Rows that make one coach busy: bookings, and the busy times read from the coach's calendar
# elsewhere (coaching/calendars; a sync replaces them in bulk, which bumps every coach).
_PER_COACH_TABLES = frozenset({"bookings", "external_busy", "external_calendars"})


def _pending(session: Session) -> dict[str, Any]:
    return session.info.setdefault(_PENDING, {"coaches": set(), "all": False, "config": False})


def _after_flush(session: Session, _flush_context: Any) -> None:
    for state, objects in (("new", session.new), ("dirty", session.dirty), ("deleted", session.deleted)):
        for obj in objects:
            table = getattr(obj, "__tablename__", None)
            if table in _PER_COACH_TABLES:
                if obj.coach_id is not None:
                    _pending(session)["coaches"].add(obj.coach_id)
            elif table == "users":
                # Only a coach's account being (de)activated or deleted changes what is offered.
                if state == "deleted" or inspect(obj).attrs.is_active.history.has_changes():
                    _pending(session)["config"] = True
            elif table in _CONFIG_TABLES:
                _pending(session)["config"] = True


def _on_orm_execute(state: Any) -> None:
    """Bulk ``update()``/``delete()``/``insert()`` of a watched model (no objects to look at)."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    for mapper in state.all_mappers:
        table = mapper.local_table.name
        if table in _PER_COACH_TABLES:
            _pending(state.session)["all"] = True
        elif table in _CONFIG_TABLES:
            _pending(state.session)["config"] = True


def _after_commit(session: Session) -> None:
    changes = session.info.pop(_PENDING, None)
    if not changes:
        return
    cache = _current_or_none()
    if cache is not None:
        cache.bump(changes["coaches"], changes["all"], changes["config"])


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _on_calendar_change(booking: Any, db: Session | None = None, **_kwargs: Any) -> None:
    """Lifecycle signals: make sure the coach is bumped after the sender's commit."""
    if db is not None and booking.coach_id is not None:
        _pending(db)["coaches"].add(booking.coach_id)


event.listen(Session, "after_flush", _after_flush)
event.listen(Session, "do_orm_execute", _on_orm_execute)
event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_rollback", _after_rollback)

for _signal in (events.hold_placed, events.booking_confirmed, events.hold_released,
                events.booking_cancelled, events.booking_rescheduled):
    _signal.connect(_on_calendar_change, weak=False)
