"""Who coaches which couple, since when, and why; and what couples told us did not fit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, utcnow


class CoachAssignment(Base):
    """One assignment of a coach to a couple; the current one has ``ended_at`` null.

    ``reason`` is what the couple or admin saw when the choice was made: the match
    explanation for a couple's choice, the admin's own words for a manual assignment.
    """

    __tablename__ = "coach_assignments"
    __table_args__ = (Index("ix_coach_assignments_couple_current", "couple_id", "ended_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # "chosen" by a partner, or "admin"
    chosen_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    score_parts: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class MatchFeedback(Base):
    """"None of these fit": what the partner said was missing."""

    __tablename__ = "match_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    missing: Mapped[str] = mapped_column(Text)
    proposed_coach_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_at: Mapped[datetime | None]


class RematchRequest(Base):
    """A partner asked for another coach; it takes effect when the other partner agrees."""

    __tablename__ = "rematch_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    agreed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
