"""Background tasks of the scheduling feature (imported by coaching.tasks)."""

from __future__ import annotations

from huey import crontab

from coaching import clock, db
from coaching.queue import huey, with_app_context


@with_app_context
def expire_holds_now() -> int:
    """Expire every hold past its expiry so it stops blocking its slot; return how many."""
    from coaching.scheduling.services import expire_stale_holds

    return expire_stale_holds(db.session, clock.now())


@huey.periodic_task(crontab(minute="*"))
def expire_holds_periodically() -> int:
    return expire_holds_now()
