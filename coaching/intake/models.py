"""Couples and their two partners (either may still be pending an invite)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.accounts.models import User
from coaching.crypto import EncryptedJSON, EncryptedText
from coaching.db import Base, str_enum, utcnow


class CoupleStatus(enum.StrEnum):
    INTAKE = "intake"
    MATCHING = "matching"
    ACTIVE = "active"
    CLOSED = "closed"


class Couple(Base):
    __tablename__ = "couples"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[CoupleStatus] = mapped_column(str_enum(CoupleStatus, 24), default=CoupleStatus.INTAKE)
    coach_id: Mapped[int | None] = mapped_column(
        ForeignKey("coach_profiles.id", ondelete="SET NULL"), index=True
    )
    # When both partners had finished every part of the intake (set once).
    intake_completed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    partners: Mapped[list["Partner"]] = relationship(
        back_populates="couple", order_by="Partner.slot", cascade="all, delete-orphan"
    )
    # Joint sessions (the consultation and couples sessions) open only when the couple's coach
    # opens them, after each partner's individual welcome call. Never set by the safety screen.
    joint_opening: Mapped["JointSessionOpening | None"] = relationship(
        back_populates="couple", cascade="all, delete-orphan", uselist=False
    )

    @property
    def joint_sessions_open(self) -> bool:
        return self.joint_opening is not None

    def partner_for(self, user_id: int) -> "Partner | None":
        return next((p for p in self.partners if p.user_id == user_id), None)


class JointSessionOpening(Base):
    """The coach's decision that a couple may book joint sessions (one row per couple)."""

    __tablename__ = "joint_session_openings"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    couple: Mapped[Couple] = relationship(back_populates="joint_opening")
    opened_by: Mapped[User | None] = relationship()


class Partner(Base):
    """One seat of a couple: slot "a" started the intake, slot "b" was invited.

    A couple has at most two seats. When the couple ends (a separation, or a partner's
    erasure) every seat gets ``ended_at``: the seat stays its holder's, with their own data and
    the joint history, but it is no longer where they are now. A user holds at most one seat
    that has not ended (the partial unique index ``uq_partners_current_user``), so after a
    separation a person can start again with a new partner (``coaching.intake.seats``).
    """

    __tablename__ = "partners"
    __table_args__ = (
        UniqueConstraint("couple_id", "slot"),
        CheckConstraint("slot IN ('a', 'b')", name="slot_a_or_b"),
        CheckConstraint("user_id IS NOT NULL OR invited_email IS NOT NULL", name="user_or_invite"),
        Index("uq_partners_current_user", "user_id", unique=True,
              postgresql_where=text("ended_at IS NULL"), sqlite_where=text("ended_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    slot: Mapped[str] = mapped_column(String(1))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    # When the couple ended for this seat (separation or erasure); None while it is current.
    ended_at: Mapped[datetime | None]
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


# --- the intake's own tables -----------------------------------------------------------------
# Answers are stored against the questionnaire version they were given for. Everything a
# partner says is encrypted at rest (coaching.crypto); only structure stays in the clear.


class Consent(Base):
    """A partner's consent to terms, the confidentiality policy and sensitive-data processing."""

    __tablename__ = "intake_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    version: Mapped[str] = mapped_column(String(32))
    terms: Mapped[bool] = mapped_column(default=False)
    sharing: Mapped[bool] = mapped_column(default=False)
    sensitive_data: Mapped[bool] = mapped_column(default=False)
    given_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedAnswer(Base):
    """One step of the shared part (both partners read and amend it); ``you:a``/``you:b`` are
    each partner's own place and free times, also visible to both."""

    __tablename__ = "intake_shared_answers"
    __table_args__ = (UniqueConstraint("couple_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(24))
    version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SharedAnswerChange(Base):
    """Who changed which questions of a shared step, and when (not the values)."""

    __tablename__ = "intake_shared_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id", ondelete="SET NULL"))
    step: Mapped[str] = mapped_column(String(24))
    changed_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    partner: Mapped[Partner | None] = relationship()


class PrivateAnswer(Base):
    """A step of one partner's private part: readable by that partner, the coach and admins."""

    __tablename__ = "intake_private_answers"
    __table_args__ = (UniqueConstraint("partner_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(24))
    version: Mapped[int]
    answers: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SatisfactionResponse(Base):
    """A CSI-4 response (item scores, encrypted); the intake's has ``source`` "intake"."""

    __tablename__ = "satisfaction_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(16), default="intake")
    items: Mapped[dict[str, int]] = mapped_column(EncryptedJSON)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)


class SafetyScreen(Base):
    """A partner's safety screen: answers and result, both encrypted. Answered once."""

    __tablename__ = "safety_screens"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int]
    answers: Mapped[dict[str, str]] = mapped_column(EncryptedJSON)
    result: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    completed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FlagStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class SafetyFlag(Base):
    """Raised by a positive screen (``safety.raise_safety_flag``); seen by admins and the
    assigned coach only. It changes nothing in the couple's state: the coach decides."""

    __tablename__ = "safety_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    status: Mapped[FlagStatus] = mapped_column(str_enum(FlagStatus, 24), default=FlagStatus.OPEN, index=True)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    couple: Mapped[Couple] = relationship()
    partner: Mapped[Partner] = relationship()
    notes: Mapped[list["SafetyFlagNote"]] = relationship(order_by="SafetyFlagNote.id",
                                                         cascade="all, delete-orphan")


class SafetyFlagNote(Base):
    __tablename__ = "safety_flag_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    flag_id: Mapped[int] = mapped_column(ForeignKey("safety_flags.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16), default="note")
    body: Mapped[str] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()


class Invite(Base):
    """A single-use, expiring invitation for the second partner; only the token's hash is kept."""

    __tablename__ = "intake_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]

    couple: Mapped[Couple] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
