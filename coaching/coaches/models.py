"""Coach profiles: what matching filters and scores on, and what the directory shows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.accounts.models import User
from coaching.db import Base, utcnow

coach_session_types = Table(
    "coach_session_types",
    Base.metadata,
    Column("coach_id", ForeignKey("coach_profiles.id", ondelete="CASCADE"), primary_key=True),
    Column("session_type_id", ForeignKey("session_types.id", ondelete="CASCADE"), primary_key=True),
)


class CoachProfile(Base):
    __tablename__ = "coach_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    bio: Mapped[str] = mapped_column(Text, default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    specialties: Mapped[list[str]] = mapped_column(JSON, default=list)
    approaches: Mapped[list[str]] = mapped_column(JSON, default=list)
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    gender: Mapped[str | None] = mapped_column(String(32))
    lgbtq_affirming: Mapped[bool] = mapped_column(default=False)
    faith_based: Mapped[bool] = mapped_column(default=False)
    safety_trained: Mapped[bool] = mapped_column(default=False)
    accepting_new: Mapped[bool] = mapped_column(default=True)
    max_active_couples: Mapped[int] = mapped_column(default=10)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User] = relationship(lazy="joined")
    session_types: Mapped[list["SessionType"]] = relationship(  # noqa: F821
        secondary=coach_session_types, order_by="SessionType.id"
    )

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def initials(self) -> str:
        parts = [p for p in self.user.name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"
