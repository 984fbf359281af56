"""How often one person may try to place a hold (pages and API share one budget)."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from coaching.extensions import client_ip, limiter


def _per_user() -> str:
    """Signed-in people are counted by account (a token and a browser share it); others by address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{client_ip()}"


#: Decorate every view that places a hold (``POST`` only): ``HOLD_LIMIT_PER_USER`` for the
#: book page and ``POST /api/v1/bookings`` together.
limit_hold_creation = limiter.shared_limit(lambda: current_app.config["HOLD_LIMIT_PER_USER"], scope="place-hold",
                                           key_func=_per_user, methods=["POST"])
