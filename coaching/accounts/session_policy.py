"""When a sign-in times out, and when its "last seen" time is worth writing down.

Plain values in, values out: the caller passes ``now`` and the limits from configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

__pure__ = True

# "Last seen" is written at most this often per sign-in, so a busy page does not UPDATE the
# database on every request; idle timeouts are therefore accurate to about this much.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionLimits:
    """Idle and absolute limits for one kind of account (clients, or staff)."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, idle_minutes: float, max_hours: float) -> SessionLimits:
        return cls(idle=timedelta(minutes=idle_minutes), absolute=timedelta(hours=max_hours))


def ends_at(*, created_at: datetime, last_seen_at: datetime, limits: SessionLimits,
            staff: bool, remembered: bool) -> datetime:
    """The instant a live sign-in stops working unless it is used again before then.

    Every sign-in ends at ``created_at + absolute``. It also ends after ``idle`` without a
    request, except a client's remembered sign-in ("keep me logged in on this device"), which
    lasts to the absolute limit. Staff sign-ins always time out when idle.
    """
    hard = created_at + limits.absolute
    if remembered and not staff:
        return hard
    return min(hard, last_seen_at + limits.idle)


def is_live(*, now: datetime, created_at: datetime, last_seen_at: datetime, limits: SessionLimits,
            staff: bool, remembered: bool) -> bool:
    return now < ends_at(created_at=created_at, last_seen_at=last_seen_at, limits=limits,
                         staff=staff, remembered=remembered)


def needs_touch(*, now: datetime, last_seen_at: datetime) -> bool:
    """Whether to record this request as the sign-in's last activity (throttled)."""
    return now - last_seen_at >= TOUCH_EVERY
