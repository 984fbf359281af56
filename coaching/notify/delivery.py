"""Outbox delivery: claim a due message atomically, send it, record the result.

Any number of workers may run this at once: a message is claimed by a conditional
UPDATE, so exactly one worker sends it. A worker that dies mid-send leaves a claim
that expires (``locked_until``) and the message is tried again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.transport import Transport, build_message

log = logging.getLogger("tandem.mail")
CLAIM_FOR = timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Delay before retry number ``attempts`` + 1: 30 s doubling, at most 6 hours."""
    exponent = min(max(attempts - 1, 0), 20)  # bounded: a huge power overflows timedelta
    return min(timedelta(seconds=30 * 2**exponent), timedelta(hours=6))


def _due(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until < now),
    )


def deliver_due(
    engine: Engine,
    transport: Transport,
    mail_from: str,
    now: datetime,
    *,
    max_attempts: int = 8,
    limit: int = 100,
) -> int:
    """Send the messages due at ``now``; return how many this call sent."""
    sent = 0
    with Session(engine, expire_on_commit=False) as db:
        ids = db.scalars(
            select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.id).limit(limit)
        ).all()
        db.commit()
        for message_id in ids:
            claimed = db.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, _due(now))
                .values(
                    status=OutboxStatus.SENDING,
                    locked_until=now + CLAIM_FOR,
                    attempts=OutboxMessage.attempts + 1,
                )
            )
            db.commit()
            if claimed.rowcount != 1:
                continue  # another worker has it
            try:
                row = db.get(OutboxMessage, message_id, populate_existing=True)
                assert row is not None
                # End the read transaction: on SQLite a transaction that reads and then writes
                # fails at once ("database is locked") if another worker wrote in between.
                db.commit()
                transport.send(build_message(row, mail_from))
            except Exception as exc:  # any failure (transport, undecryptable row) is retried later
                db.rollback()
                _record_failure(db, message_id, exc, now, max_attempts)
                continue
            row.status = OutboxStatus.SENT
            row.sent_at = now
            row.locked_until = None
            row.last_error = None
            row.purge_content()  # links and tokens must not outlive the delivery
            db.commit()
            sent += 1
    return sent


def _record_failure(
    db: Session, message_id: int, exc: Exception, now: datetime, max_attempts: int
) -> None:
    """Put a claimed message back (with back-off) or mark it FAILED; reads no content."""
    to_addr, attempts = db.execute(
        select(OutboxMessage.to_addr, OutboxMessage.attempts).where(OutboxMessage.id == message_id)
    ).one()
    log.warning("email %s to %s failed (attempt %s): %s", message_id, to_addr, attempts, exc)
    values: dict[str, object] = {"last_error": f"{type(exc).__name__}: {exc}"[:2000], "locked_until": None}
    if attempts >= max_attempts:
        values["status"] = OutboxStatus.FAILED
        log.error("email %s to %s gave up after %s attempts: admins can send it again from "
                  "/admin/emails/failed", message_id, to_addr, attempts)
    else:
        values.update(status=OutboxStatus.PENDING, next_attempt_at=now + backoff(attempts))
    db.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))
    db.commit()
