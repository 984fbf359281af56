"""Writing emails into the outbox; delivery happens after commit, in a task."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template
from sqlalchemy import event
from sqlalchemy.orm import Session

from coaching.notify.models import OutboxMessage

_DIRTY = "tandem.outbox_dirty"


def queue_email(
    db: Session,
    to: str,
    template: str,
    *,
    attachments: list[dict[str, str]] | None = None,
    **context: Any,
) -> OutboxMessage:
    """Render ``templates/email/<template>.{subject,txt,html}`` and add it to the outbox.

    Nothing is sent until the caller's transaction commits; if it rolls back, the
    message disappears with the change that caused it.
    """
    context.setdefault("base_url", current_app.config["TANDEM_BASE_URL"])
    subject = render_template(f"email/{template}.subject.txt", **context).strip()
    text = render_template(f"email/{template}.txt", **context)
    html = render_template(f"email/{template}.html", **context)
    message = OutboxMessage(
        to_addr=to,
        subject=subject.splitlines()[0][:200],
        text_body=text,
        html_body=html,
        attachments=attachments or [],
        kind=template,
    )
    db.add(message)
    deliver_after_commit(db)
    return message


def deliver_after_commit(db: Session) -> None:
    """Ask for a delivery run once ``db``'s transaction commits (nothing if it rolls back).

    The request is best effort: if the task queue is down it is logged and dropped
    (``coaching.queue``) and the periodic sweep delivers the committed rows.
    """
    db.info[_DIRTY] = True


@event.listens_for(Session, "after_commit")
def _deliver_after_commit(db: Session) -> None:
    # SQLAlchemy also fires after_commit when a SAVEPOINT is released; the rows are not
    # committed (and SQLite's write lock is still held) until the outermost transaction is.
    if db.in_nested_transaction():
        return
    if db.info.pop(_DIRTY, False):
        from coaching.notify.tasks import deliver_outbox

        deliver_outbox()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(db: Session) -> None:
    db.info.pop(_DIRTY, None)
