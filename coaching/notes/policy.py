"""Who may read and write a couple's notes: the one place these rules live. Pure.

Every page, search and print asks ``note_access`` (and ``may_write``/``may_open_record``);
the services load the facts (``Viewer``, ``CoupleFacts``) and apply the answer.

- Partners (and visitors) never see coach notes, not even that they exist.
- The couple's assigned coach reads every note they wrote, and earlier coaches' notes only
  when both partners agreed, in a rematch that ended those notes' coach, to hand them
  over (``handovers``: when each such rematch was resolved); otherwise the coach sees only
  that the earlier notes exist.
- A previous coach keeps reading the notes they wrote; nothing newer, nothing by others.
- Admins see metadata (dates, kinds, signed or not); content only inside a break-glass
  window they opened with a written reason (audited).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

__pure__ = True


class Access(enum.IntEnum):
    NONE = 0      # not even the existence of the note may be shown
    EXISTS = 1    # date, kind, status: no content
    CONTENT = 2   # the note, its addenda


@dataclass(frozen=True)
class Viewer:
    user_id: int | None
    role: str | None  # "client" | "coach" | "admin" | None (visitor)
    coach_id: int | None = None  # the viewer's coach profile, for coaches


@dataclass(frozen=True)
class CoupleFacts:
    couple_id: int
    current_coach_id: int | None
    # Resolution times of rematches in which both partners agreed to hand their notes over.
    handovers: Sequence[datetime] = field(default_factory=tuple)
    # End of the viewer's own open break-glass window on this couple (admins), if any.
    break_glass_until: datetime | None = None


def is_assigned_coach(viewer: Viewer, couple: CoupleFacts) -> bool:
    return (viewer.role == "coach" and viewer.coach_id is not None
            and viewer.coach_id == couple.current_coach_id)


def note_access(viewer: Viewer, couple: CoupleFacts, *, author_coach_id: int, created_at: datetime,
                now: datetime) -> Access:
    """How much of one note (written by ``author_coach_id`` at ``created_at``) ``viewer`` sees."""
    if viewer.role == "admin":
        open_glass = couple.break_glass_until is not None and now < couple.break_glass_until
        return Access.CONTENT if open_glass else Access.EXISTS
    if viewer.role != "coach" or viewer.coach_id is None:
        return Access.NONE
    if viewer.coach_id == author_coach_id:
        return Access.CONTENT  # the assigned coach's own notes, or a previous coach's own
    if is_assigned_coach(viewer, couple):
        handed_over = any(created_at <= resolved for resolved in couple.handovers)
        return Access.CONTENT if handed_over else Access.EXISTS
    return Access.NONE


def may_open_record(viewer: Viewer, couple: CoupleFacts) -> bool:
    """The coach's record page of the couple: the assigned coach only."""
    return is_assigned_coach(viewer, couple)


def may_write(viewer: Viewer, couple: CoupleFacts, *, author_coach_id: int | None = None) -> bool:
    """Start a note (``author_coach_id`` None), edit one's draft or add an addendum: the
    assigned coach, on notes they wrote themselves."""
    if not is_assigned_coach(viewer, couple):
        return False
    return author_coach_id is None or author_coach_id == viewer.coach_id


def may_break_glass(viewer: Viewer) -> bool:
    return viewer.role == "admin"
