"""Background tasks of the notify feature."""

from __future__ import annotations

from flask import current_app
from huey import crontab

from coaching import clock, db
from coaching.notify.delivery import deliver_due
from coaching.notify.transport import transport_for
from coaching.queue import huey, with_app_context


@with_app_context
def deliver_now() -> int:
    """Deliver every due outbox message with the app's transport."""
    cfg = current_app.config
    return deliver_due(
        db.get_engine(),
        transport_for(cfg["SMTP_URL"], cfg.get("MAIL_DIR")),
        cfg["MAIL_FROM"],
        clock.now(),
        max_attempts=cfg["OUTBOX_MAX_ATTEMPTS"],
    )


@huey.task()
def deliver_outbox() -> int:
    return deliver_now()


@huey.periodic_task(crontab(minute="*"))
def deliver_outbox_periodically() -> int:
    return deliver_now()
