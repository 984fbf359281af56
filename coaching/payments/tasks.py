"""Background tasks of the payments feature (imported by coaching.tasks).

They run after the transaction that asked for them has committed (inline in development,
on a worker otherwise), each with its own database session, and never raise: what fails
stays pending and the periodic task tries again.
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.orm import Session

from coaching import db
from coaching.queue import huey, with_app_context

log = logging.getLogger("tandem.payments")


@with_app_context
def send_refunds_now() -> int:
    from coaching.payments.refunds import send_pending_refunds

    with Session(db.get_engine(), expire_on_commit=False) as session:
        try:
            return send_pending_refunds(session)
        except Exception:  # noqa: BLE001 - a task must not take its caller down; retried later
            log.exception("sending pending refunds failed")
            return 0


@with_app_context
def expire_sessions_now(session_ids: list[str]) -> int:
    from coaching.payments.services import gateway
    from coaching.payments.gateway import GatewayError, StripeGateway

    gate = gateway()
    if not isinstance(gate, StripeGateway):
        return 0
    done = 0
    for session_id in session_ids:
        try:
            gate.expire_checkout(session_id)
            done += 1
        except GatewayError:
            # Stripe expires it by itself at its expires_at; a payment that still lands is refunded.
            log.warning("could not expire Checkout session %s", session_id)
    return done


@huey.task()
def send_refunds() -> int:
    return send_refunds_now()


@huey.task()
def expire_checkout_sessions(session_ids: list[str]) -> int:
    return expire_sessions_now(session_ids)


@huey.periodic_task(crontab(minute="*/5"))
def retry_pending_refunds() -> int:
    return send_refunds_now()
