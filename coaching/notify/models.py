"""The outbox: every email is a row written in the transaction that caused it.

What an email says (subject, bodies, attachments) can hold live links and tokens, so it is
encrypted while the message waits (``coaching.crypto``, rotated by ``flask intake
rotate-keys``) and erased once it is sent: a sent row keeps only its metadata (recipient,
kind, times, attempts).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coaching.crypto import EncryptedJSON, EncryptedText
from coaching.db import Base, str_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    to_addr: Mapped[str] = mapped_column(String(254))
    # Content: encrypted; None once sent (purged).
    subject: Mapped[str | None] = mapped_column(EncryptedText)
    text_body: Mapped[str | None] = mapped_column(EncryptedText)
    html_body: Mapped[str | None] = mapped_column(EncryptedText)
    # [{"filename": ..., "content_type": "text/calendar; method=REQUEST", "content": "..."}]
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(EncryptedJSON, default=list)
    kind: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus),
        default=OutboxStatus.PENDING,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    def purge_content(self) -> None:
        """Erase what the message said, keeping its metadata."""
        self.subject = self.text_body = self.html_body = None
        self.attachments = None
