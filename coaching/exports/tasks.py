"""Background tasks of the exports feature (imported by coaching.tasks)."""

from __future__ import annotations

from huey import crontab

from coaching import clock, db
from coaching.queue import huey, with_app_context


@with_app_context
def build_now(export_id: int) -> bool:
    from coaching.exports.services import build

    return build(db.session, export_id, clock.now())


@with_app_context
def sweep_now() -> tuple[int, int]:
    """Build every pending export and erase every archive whose link expired."""
    from coaching.exports.services import sweep

    return sweep(db.session, clock.now())


@huey.task()
def build_export(export_id: int) -> bool:
    return build_now(export_id)


@huey.periodic_task(crontab(minute="*"))
def sweep_exports_periodically() -> tuple[int, int]:
    return sweep_now()
