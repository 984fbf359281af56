"""What the client home shows as the next step, once a coach is chosen. Pure.

The intake (``coaching.intake.progress``) says where the couple stands; this refines its
"welcome_calls" and "joint_sessions" steps with the bookings the viewing partner may see
(joint sessions, and individual sessions they booked themselves: the same rule as
``scheduling.services.visible_booking``), so a partner's home never depends on the other
partner's individual sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

__pure__ = True

UPCOMING = ("held", "confirmed")
HAPPENED = ("confirmed", "completed")


@dataclass(frozen=True)
class Seen:
    """A booking as the viewing partner may see it."""

    id: int
    slug: str
    status: str
    starts_at: datetime
    ends_at: datetime
    booked_by_viewer: bool


def next_action(step: str, seen: Sequence[Seen], now: datetime, *, welcome_slug: str,
                joint_slug: str) -> tuple[str, Seen | None]:
    """(what is next, the booking it is about). Besides the intake's steps, one of
    "welcome_booked" (my welcome call is booked), "welcome_had" (it happened; the coach opens
    joint sessions next), "consultation_booked" (the first joint session is booked) and
    "book_next" (the consultation happened: book the next session)."""
    ordered = sorted(seen, key=lambda b: b.starts_at)
    if step == "welcome_calls":
        mine = [b for b in ordered if b.slug == welcome_slug and b.booked_by_viewer]
        coming = [b for b in mine if b.status in UPCOMING and b.ends_at > now]
        if coming:
            return "welcome_booked", coming[0]
        had = [b for b in mine if b.status in HAPPENED and b.ends_at <= now]
        if had:
            return "welcome_had", had[-1]
        return step, None
    if step == "joint_sessions":
        joint = [b for b in ordered if b.slug == joint_slug]
        coming = [b for b in joint if b.status in UPCOMING and b.ends_at > now]
        if coming:
            return "consultation_booked", coming[0]
        if any(b.status in HAPPENED and b.ends_at <= now for b in joint):
            return "book_next", None
    return step, None
