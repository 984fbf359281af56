"""Couples and their two partners (either may still be pending an invite)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.accounts.models import User
from coaching.db import Base, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class CoupleStatus(enum.StrEnum):
    INTAKE = "intake"
    MATCHING = "matching"
    ACTIVE = "active"
    CLOSED = "closed"


class Couple(Base):
    __tablename__ = "couples"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[CoupleStatus] = mapped_column(_enum(CoupleStatus), default=CoupleStatus.INTAKE)
    coach_id: Mapped[int | None] = mapped_column(
        ForeignKey("coach_profiles.id", ondelete="SET NULL"), index=True
    )
    # Set by a positive safety screen: the booking service refuses joint sessions.
    joint_booking_blocked: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partners: Mapped[list["Partner"]] = relationship(
        back_populates="couple", order_by="Partner.slot", cascade="all, delete-orphan"
    )

    def partner_for(self, user_id: int) -> "Partner | None":
        return next((p for p in self.partners if p.user_id == user_id), None)


class Partner(Base):
    """One seat of a couple: slot "a" started the intake, slot "b" was invited.

    A user sits in at most one couple (unique ``user_id``); a couple has at most two seats.
    """

    __tablename__ = "partners"
    __table_args__ = (
        UniqueConstraint("couple_id", "slot"),
        CheckConstraint("slot IN ('a', 'b')", name="slot_a_or_b"),
        CheckConstraint("user_id IS NOT NULL OR invited_email IS NOT NULL", name="user_or_invite"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(1))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    invited_email: Mapped[str | None] = mapped_column(String(254))
    joined_at: Mapped[datetime | None]
    # The partner's own IANA zone and weekly free times in it, from the intake:
    # {"mon": [["18:00", "21:00"]], "sat": [["09:00", "12:00"]]}
    timezone: Mapped[str | None] = mapped_column(String(64))
    free_times: Mapped[dict[str, list[list[str]]]] = mapped_column(JSON, default=dict)

    couple: Mapped[Couple] = relationship(back_populates="partners")
    user: Mapped[User | None] = relationship()

    @property
    def is_pending(self) -> bool:
        return self.user_id is None
