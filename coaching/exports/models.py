"""Data exports: one row per export asked for, its ZIP encrypted while it waits.

The ZIP is built by the worker (``coaching.exports.tasks``), kept encrypted with the data key
ring (``archive``: the base64 of the ZIP, an ``EncryptedText``, so ``flask keys rotate`` covers
it) and offered by a link that works once and for ``EXPORT_LINK_HOURS``: only the SHA-256 of
the link's token is stored. The archive is erased when it is downloaded, and by the periodic
sweep when the link expires; the row stays as the history shown on ``/account/data``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from coaching.crypto import EncryptedText
from coaching.db import Base, str_enum, utcnow


class ExportStatus(enum.StrEnum):
    PENDING = "pending"        # asked for; the worker builds it
    READY = "ready"            # built; the link works until expires_at
    DOWNLOADED = "downloaded"  # the link was used (archive erased)
    EXPIRED = "expired"        # the link ran out unused (archive erased)


class NotesDecision(enum.StrEnum):
    RELEASED = "released"
    DECLINED = "declined"


class DataExport(Base):
    __tablename__ = "data_exports"
    __table_args__ = (Index("ix_data_exports_status_expires", "status", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[ExportStatus] = mapped_column(str_enum(ExportStatus), default=ExportStatus.PENDING)
    # Coach notes in this export (EXPORT_COACH_NOTES=always, or released by an admin).
    with_notes: Mapped[bool] = mapped_column(default=False)
    # EXPORT_COACH_NOTES=on_request: the person asked for the notes too; an admin decides.
    notes_requested: Mapped[bool] = mapped_column(default=False)
    notes_decision: Mapped[NotesDecision | None] = mapped_column(str_enum(NotesDecision))
    notes_decided_at: Mapped[datetime | None]
    notes_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The export whose notes request an admin released into this one.
    released_from_id: Mapped[int | None] = mapped_column(ForeignKey("data_exports.id", ondelete="SET NULL"))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    archive: Mapped[str | None] = mapped_column(EncryptedText, deferred=True)
    archive_bytes: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
