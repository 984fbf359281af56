"""Background tasks of the calendar sync (imported by coaching.tasks).

They run after the transaction that asked for them has committed (inline in development,
on a worker otherwise), each with its own database session, and never raise: what fails
stays pending (or keeps the last busy times) and the periodic task tries again.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.orm import Session

from coaching import clock, db
from coaching.queue import huey, with_app_context

log = logging.getLogger("tandem.calendars")


@with_app_context
def sync_now(calendar_ids: list[int] | None = None) -> int:
    """Push pending events of ``calendar_ids`` (all pending, if None), then read those calendars back."""
    from coaching.calendars.services import sync_after_change

    with Session(db.get_engine(), expire_on_commit=False) as session:
        try:
            return sync_after_change(session, clock.now(), calendar_ids)
        except Exception:  # noqa: BLE001 - a task must not take its caller down; the sweep retries
            log.exception("calendar sync after a change failed")
            return 0


@with_app_context
def sync_due_now() -> int:
    """The sweep: pending writes, then every calendar not read for ``CALENDAR_SYNC_MINUTES``."""
    from coaching.calendars.services import sync_due

    with Session(db.get_engine(), expire_on_commit=False) as session:
        try:
            return sync_due(session, clock.now())
        except Exception:  # noqa: BLE001
            log.exception("periodic calendar sync failed")
            return 0


@huey.task()
def push_calendar_events(calendar_ids: list[int] | None = None) -> int:
    """After a booking change or a new connection (asked for after the commit)."""
    return sync_now(calendar_ids)


@huey.periodic_task(crontab(minute="*"))
def sync_calendars_periodically() -> int:
    return sync_due_now()
