"""Background tasks of the reminders feature (imported by coaching.tasks)."""

from __future__ import annotations

from huey import crontab

from coaching import clock, db
from coaching.queue import huey, with_app_context


@with_app_context
def dispatch_reminders_now() -> dict[str, int]:
    """Make the reminders missing for sessions ahead (``backfill``), then queue every due
    reminder's email in the outbox (or skip it); return counts by outcome."""
    from coaching.reminders import receivers  # noqa: F401  (the worker reacts to bookings too)
    from coaching.reminders.services import backfill, dispatch_due

    now = clock.now()
    backfill(db.session, now)
    return dict(dispatch_due(db.session, now))


@huey.periodic_task(crontab(minute="*"))
def dispatch_reminders_periodically() -> dict[str, int]:
    return dispatch_reminders_now()
