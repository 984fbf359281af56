"""The booking lifecycle as a table of allowed transitions. Pure: statuses are plain strings.

``held -> confirmed -> completed | no_show``, ``held -> expired``, ``held|confirmed -> cancelled``.
A reschedule cancels the old booking (as ``rescheduled``) and creates a confirmed new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__pure__ = True

HELD, CONFIRMED, COMPLETED, NO_SHOW, EXPIRED, CANCELLED = (
    "held", "confirmed", "completed", "no_show", "expired", "cancelled")

# (from status, event) -> to status
TRANSITIONS: dict[tuple[str, str], str] = {
    (HELD, "confirm"): CONFIRMED,
    (HELD, "expire"): EXPIRED,
    (HELD, "release"): EXPIRED,
    (HELD, "cancel"): CANCELLED,
    (CONFIRMED, "cancel"): CANCELLED,
    (CONFIRMED, "reschedule"): CANCELLED,
    (CONFIRMED, "complete"): COMPLETED,
    (CONFIRMED, "no_show"): NO_SHOW,
}
BLOCKING = frozenset({HELD, CONFIRMED})


class TransitionRefused(Exception):
    """The event is not allowed for the booking in its current state (the message says why)."""


@dataclass(frozen=True)
class BookingState:
    status: str
    starts_at: datetime
    hold_expires_at: datetime | None = None


def next_status(state: BookingState, event: str, now: datetime) -> str:
    """The status after ``event`` at ``now``; raise ``TransitionRefused`` if not allowed.

    A hold cannot be confirmed once it has expired; a session can be marked completed or
    no-show only once it has started; nothing already started can be cancelled or moved.
    """
    target = TRANSITIONS.get((state.status, event))
    if target is None:
        raise TransitionRefused(f"a {state.status.replace('_', '-')} booking cannot {event.replace('_', ' ')}")
    if event == "confirm" and hold_has_expired(state, now):
        raise TransitionRefused("the hold has expired")
    if event in ("complete", "no_show") and now < state.starts_at:
        raise TransitionRefused("the session has not started yet")
    if event in ("cancel", "reschedule") and state.status == CONFIRMED and now >= state.starts_at:
        raise TransitionRefused("the session has already started")
    return target


def hold_has_expired(state: BookingState, now: datetime) -> bool:
    return state.status == HELD and state.hold_expires_at is not None and state.hold_expires_at <= now


def within_cancellation_window(starts_at: datetime, now: datetime, min_hours: float) -> bool:
    """True when a client may still cancel or reschedule: at least ``min_hours`` before the start."""
    return starts_at - now >= timedelta(hours=min_hours)
