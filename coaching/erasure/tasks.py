"""Background tasks of leaving Tandem (imported by coaching.tasks): due erasures and retention."""

from __future__ import annotations

from huey import crontab

from coaching import clock, db
from coaching.queue import huey, with_app_context


@with_app_context
def erase_due_accounts() -> int:
    """Erase every account whose cooling-off period has ended; return how many."""
    from coaching.erasure.services import erase_due

    return erase_due(db.session, clock.now())


@huey.periodic_task(crontab(minute="*/15"))
def erase_due_accounts_periodically() -> int:
    return erase_due_accounts()


@with_app_context
def purge_retention() -> int:
    """Purge what the retention settings say is due (logged and in the access log); return how many items."""
    from coaching.erasure.retention import purge

    return purge(db.session, clock.now()).total


@huey.periodic_task(crontab(minute="17", hour="3"))
def purge_retention_daily() -> int:
    return purge_retention()
