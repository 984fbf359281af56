"""When a coach may open joint sessions for a couple. Pure: values in, a refusal or None out.

Every couple begins with an individual welcome call for each partner with their coach
(clinical guidance: screen each partner separately before joint work). Joint sessions (the
consultation and couples sessions) open only when the coach opens them, and the coach may
open them only when:

- both partners' welcome calls are marked completed (the coach has spoken with each alone);
- and, when the couple has a safety flag that admins have not resolved, the coach confirms
  they have reviewed it and writes a note; the note goes on the flag's review log for the
  admins. A flag never closes anything by itself: for a flagged couple the coach simply does
  not open joint sessions, and may offer individual sessions instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__pure__ = True

NOTE_MAX = 4000


@dataclass(frozen=True)
class OpeningRequest:
    already_open: bool
    welcome_calls_completed: Sequence[bool]  # one per joined partner
    unresolved_flags: int
    flags_reviewed: bool = False
    note: str = ""


def opening_refusal(request: OpeningRequest) -> str | None:
    """The reason the coach may not open joint sessions now (safe to show the coach), or None."""
    if request.already_open:
        return "Joint sessions are already open for this couple."
    calls = list(request.welcome_calls_completed)
    if len(calls) < 2 or not all(calls):
        return "Open joint sessions after both partners' welcome calls are marked as completed."
    if len(request.note) > NOTE_MAX:
        return f"Please keep the note under {NOTE_MAX} characters."
    if request.unresolved_flags and not (request.flags_reviewed and request.note.strip()):
        return ("This couple has a safety flag that is not resolved. Confirm that you have reviewed it "
                "and write a note for the admins, or leave joint sessions closed.")
    return None
