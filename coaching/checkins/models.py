"""A check-in sent to a couple, and each partner's one answer to it (encrypted)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.crypto import EncryptedJSON
from coaching.db import Base, utcnow


class CheckIn(Base):
    """A request that each partner re-take the CSI-4 and the safety screen.

    ``sent_by_id`` is the coach who sent it; null for one the practice set after every N
    completed sessions, where ``after_sessions`` is that count (unique per couple, so the
    same milestone never makes two check-ins).
    """

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("couple_id", "after_sessions"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    after_sessions: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    responses: Mapped[list["CheckInResponse"]] = relationship(back_populates="checkin",
                                                              order_by="CheckInResponse.id",
                                                              cascade="all, delete-orphan")


class CheckInResponse(Base):
    """One partner's answers to one check-in: written once, never changed (unique pair).

    The CSI-4 items, the safety answers and the screen's result are encrypted at rest;
    scores are computed from the items when read.
    """

    __tablename__ = "checkin_responses"
    __table_args__ = (UniqueConstraint("checkin_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    csi_items: Mapped[dict[str, int]] = mapped_column(EncryptedJSON)
    safety_answers: Mapped[dict[str, str]] = mapped_column(EncryptedJSON)
    safety_result: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    checkin: Mapped[CheckIn] = relationship(back_populates="responses")
