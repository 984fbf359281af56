"""Notes, their addenda, and the partners' answers to "may the next coach read our notes?".

Signed notes and every addendum are immutable: the service refuses, and so does the
database (``coaching.notes.guards``: triggers on PostgreSQL and SQLite), except for the
re-encryption done by key rotation. Note sections and addenda are encrypted at rest.
Foreign keys have no ON DELETE action on purpose: deleting a couple, booking or coach must
never silently rewrite (SET NULL) or remove (CASCADE) a signed record.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coaching.crypto import EncryptedJSON, EncryptedText
from coaching.db import Base, str_enum, utcnow


class NoteKind(enum.StrEnum):
    SESSION = "session"  # bound to one booking
    COUPLE = "couple"    # about the couple, not one session


class NoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (
        CheckConstraint("(kind = 'session' AND booking_id IS NOT NULL) OR "
                        "(kind = 'couple' AND booking_id IS NULL)", name="session_has_booking"),
        CheckConstraint("status = 'draft' OR (signed_at IS NOT NULL AND signed_by_id IS NOT NULL "
                        "AND content_sha256 IS NOT NULL)", name="signed_has_signature"),
        Index("ix_notes_couple_created", "couple_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), unique=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id"), index=True)  # the author
    # Set for an individual session: the note is in that partner's confidential sphere.
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"))
    kind: Mapped[NoteKind] = mapped_column(str_enum(NoteKind))
    template_key: Mapped[str] = mapped_column(String(32))
    template_version: Mapped[int]
    sections: Mapped[dict[str, str]] = mapped_column(EncryptedJSON)
    status: Mapped[NoteStatus] = mapped_column(str_enum(NoteStatus), default=NoteStatus.DRAFT)
    # Grows with every draft save: a signature covers exactly the revision that was read.
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    content_sha256: Mapped[str | None] = mapped_column(String(64))

    addenda: Mapped[list["Addendum"]] = relationship(back_populates="note", order_by="Addendum.id",
                                                     viewonly=True)

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class Addendum(Base):
    """A signed correction or addition under a note; written once, never changed."""

    __tablename__ = "note_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("notes.id"), index=True)
    coach_id: Mapped[int] = mapped_column(ForeignKey("coach_profiles.id"))
    body: Mapped[str] = mapped_column(EncryptedText)
    signed_at: Mapped[datetime]
    signed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    content_sha256: Mapped[str] = mapped_column(String(64))

    note: Mapped[Note] = relationship(back_populates="addenda")


class HandoverConsent(Base):
    """One partner's private answer, in a rematch, to "may the next coach read our notes?"."""

    __tablename__ = "note_handover_consents"
    __table_args__ = (UniqueConstraint("rematch_request_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    rematch_request_id: Mapped[int] = mapped_column(ForeignKey("rematch_requests.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    agreed: Mapped[bool] = mapped_column(default=False)
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
