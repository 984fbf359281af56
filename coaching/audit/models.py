"""One row per access to a couple's confidential record (notes, summaries, check-ins ...).

The table is append-only: triggers on PostgreSQL and SQLite refuse every UPDATE and DELETE
(see ``coaching.audit.triggers``). Actor and couple are plain ids, not foreign keys, so that
deleting a user or a couple never has to touch (and so can never rewrite) the log.
``detail`` is metadata such as a break-glass reason or a search's word count: never note
content, which would then sit unencrypted in a table that can never be rotated.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, utcnow

ACTIONS = ("read", "write", "sign", "addendum", "publish", "export", "search", "break_glass",
           "summary_read", "checkin_read", "reflection_read",
           "export_request", "export_release", "export_decline",
           "erase", "retention_purge")
ACTIONS += ("second_factor_reset", "recovery_code_used")  # staff sign-in (coaching.twofactor)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_couple_time", "couple_id", "created_at"),
        Index("ix_audit_events_actor_time", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor_role: Mapped[str | None] = mapped_column(String(16))
    actor_name: Mapped[str | None] = mapped_column(String(120))
    couple_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(24))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(45))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.object_type}:{self.object_id}>"
