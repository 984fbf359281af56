"""What admins do with the outbox: see the messages that gave up, and send them again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.outbox import deliver_after_commit


@dataclass(frozen=True)
class FailedEmail:
    """A message's metadata only: never its subject, body or attachments."""

    id: int
    to_addr: str
    kind: str
    created_at: datetime
    attempts: int
    last_error: str | None


class NotRetryable(Exception):
    """The message exists but is not FAILED (already retried, or sent)."""


def count_failed(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(OutboxMessage)
                     .where(OutboxMessage.status == OutboxStatus.FAILED)) or 0


def failed_emails(db: Session, limit: int = 200) -> list[FailedEmail]:
    """The newest FAILED messages first."""
    rows = db.execute(
        select(OutboxMessage.id, OutboxMessage.to_addr, OutboxMessage.kind, OutboxMessage.created_at,
               OutboxMessage.attempts, OutboxMessage.last_error)
        .where(OutboxMessage.status == OutboxStatus.FAILED)
        .order_by(OutboxMessage.id.desc()).limit(limit)
    ).all()
    return [FailedEmail(*row) for row in rows]


def retry_failed(db: Session, message_id: int, now: datetime) -> None:
    """Put a FAILED message back in the queue with a fresh set of attempts, and deliver it.

    Raises ``LookupError`` if there is no such message, ``NotRetryable`` if it is not FAILED.
    """
    exists = db.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))
    if exists is None:
        raise LookupError(message_id)
    result = db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.FAILED)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, locked_until=None)
    )
    if result.rowcount != 1:
        db.rollback()
        raise NotRetryable(message_id)
    deliver_after_commit(db)
    db.commit()
