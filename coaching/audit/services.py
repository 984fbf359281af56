"""Writing and reading the access log.

``record`` is the one way to append an entry; it joins the caller's transaction (it never
commits), so an access and its entry commit together or not at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.audit.models import ACTIONS, AuditEvent

__all__ = ["ACTIONS", "AuditFilter", "as_csv", "events", "record"]


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return (request.remote_addr or None) and request.remote_addr[:45]


def record(db: Session, *, actor: Any | None, action: str, couple_id: int | None,
           object_type: str, object_id: int | None = None, detail: str | None = None) -> AuditEvent:
    """Append one access-log entry (actor, actor role, couple, object, action, time from
    coaching.clock, client IP from the request if any). Does NOT commit: it joins the
    caller's transaction, so the entry and the access it records commit together.

    Raises ``ValueError`` for an action outside ``ACTIONS`` (a typo must not go unlogged).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    role = getattr(actor, "role", None)
    event = AuditEvent(
        created_at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_role=getattr(role, "value", role),
        actor_name=(getattr(actor, "name", None) or None),
        couple_id=couple_id,
        action=action,
        object_type=object_type[:32],
        object_id=object_id,
        detail=detail[:2000] if detail else None,
        ip=_client_ip(),
    )
    db.add(event)
    db.flush()
    return event


@dataclass(frozen=True)
class AuditFilter:
    """Criteria for the admin page and the CSV export; ``None`` means any."""

    couple_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def events(db: Session, flt: AuditFilter, *, couple_ids: Iterable[int] | None = None,
           limit: int | None = 500) -> Sequence[AuditEvent]:
    """Entries matching ``flt``, newest first; ``couple_ids`` restricts to those couples."""
    query = select(AuditEvent)
    if flt.couple_id is not None:
        query = query.where(AuditEvent.couple_id == flt.couple_id)
    if couple_ids is not None:
        query = query.where(AuditEvent.couple_id.in_(list(couple_ids)))
    if flt.actor_id is not None:
        query = query.where(AuditEvent.actor_id == flt.actor_id)
    if flt.action:
        query = query.where(AuditEvent.action == flt.action)
    if flt.since is not None:
        query = query.where(AuditEvent.created_at >= flt.since)
    if flt.until is not None:
        query = query.where(AuditEvent.created_at < flt.until)
    query = query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return db.scalars(query).all()


CSV_COLUMNS = ("id", "created_at", "actor_id", "actor_role", "actor_name", "couple_id", "action",
               "object_type", "object_id", "detail", "ip")


def _cell(value: Any) -> str:
    text = "" if value is None else (value.isoformat() if isinstance(value, datetime) else str(value))
    # A spreadsheet would run a cell starting with = + - @ as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(rows: Iterable[AuditEvent]) -> str:
    """The rows as CSV text with a header line, formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
    return out.getvalue()


def record_read(db: Session, **entry: Any) -> AuditEvent:
    """``record`` an access that changes nothing else, and commit it on its own.

    For views that only read (an intake summary, a note): the entry is the transaction.
    """
    event = record(db, **entry)
    db.commit()
    return event
