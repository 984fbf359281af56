"""The review workflow of a safety flag, as a table of allowed moves. Pure.

open -> acknowledged -> resolved, or open -> resolved directly; notes can be added in
any state, a resolved flag takes no further moves.
"""

from __future__ import annotations

__pure__ = True

OPEN, ACKNOWLEDGED, RESOLVED = "open", "acknowledged", "resolved"

TRANSITIONS: dict[str, dict[str, str]] = {
    OPEN: {"acknowledge": ACKNOWLEDGED, "resolve": RESOLVED, "note": OPEN},
    ACKNOWLEDGED: {"resolve": RESOLVED, "note": ACKNOWLEDGED},
    RESOLVED: {"note": RESOLVED},
}


class ReviewRefused(ValueError):
    """The flag's state does not allow this action; the message is safe to show."""


def next_status(status: str, action: str) -> str:
    """The status after ``action``; ``ReviewRefused`` if it is not allowed from ``status``."""
    try:
        return TRANSITIONS[status][action]
    except KeyError as exc:
        raise ReviewRefused(f"A flag that is {status} cannot be {action}d.") from exc
