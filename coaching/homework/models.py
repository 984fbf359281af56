"""Summaries and homework a coach shares after a session, ticks, and partners' reflections.

Every free text (summary, homework, reflection) is encrypted at rest (``EncryptedText``);
only structure (who, which session, when, for whom) stays in the clear.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.crypto import EncryptedText
from coaching.db import Base, str_enum, utcnow


class SharedSummary(Base):
    """The coach's summary of one completed session, published to the couple.

    ``partner_id`` is the audience: null for a joint session (both partners see it), the
    partner's seat for an individual session (only that partner sees it). One per booking.
    """

    __tablename__ = "homework_summaries"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    coach_id: Mapped[int | None] = mapped_column(ForeignKey("coach_profiles.id", ondelete="SET NULL"))
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    summary: Mapped[str] = mapped_column(EncryptedText)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    items: Mapped[list["HomeworkItem"]] = relationship(
        back_populates="summary", order_by="HomeworkItem.position", cascade="all, delete-orphan")
    reflections: Mapped[list["Reflection"]] = relationship(
        back_populates="summary", order_by="Reflection.id", cascade="all, delete-orphan")

    @property
    def is_individual(self) -> bool:
        return self.partner_id is not None


class HomeworkItem(Base):
    """One piece of homework of a summary, in the order the coach wrote them."""

    __tablename__ = "homework_items"
    __table_args__ = (UniqueConstraint("summary_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("homework_summaries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(EncryptedText)

    summary: Mapped[SharedSummary] = relationship(back_populates="items")


class HomeworkTick(Base):
    """A partner ticked a homework item done (one row per item and partner; unticking deletes it)."""

    __tablename__ = "homework_ticks"
    __table_args__ = (UniqueConstraint("item_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("homework_items.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    done_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReflectionAudience(enum.StrEnum):
    COACH = "coach"  # the coach only
    SHARED = "shared"  # the coach and the other partner


class Reflection(Base):
    """A partner's reflection on a summary, for the coach only or shared with the partner too."""

    __tablename__ = "homework_reflections"
    __table_args__ = (Index("ix_homework_reflections_summary_partner", "summary_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("homework_summaries.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    audience: Mapped[ReflectionAudience] = mapped_column(str_enum(ReflectionAudience))
    text: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    summary: Mapped[SharedSummary] = relationship(back_populates="reflections")
