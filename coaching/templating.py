"""Jinja filters and globals shared by every template."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, has_request_context
from flask_login import current_user

from coaching.accounts.models import Role
from coaching.accounts.forms import EmptyForm
from coaching.payments.pricing import format_amount


def local_time(value: datetime | None, zone: str | None = None, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    """Format a UTC instant in ``zone`` (default: the viewer's), with the zone's abbreviation."""
    if value is None:
        return ""
    if zone is None:
        zone = getattr(current_user, "timezone", None) or "UTC"
    local = value.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def money(cents: int, currency: str = "usd") -> str:
    """A price as a client reads it: "Free" when nothing is charged. Totals and ledgers use ``amount``."""
    if cents == 0:
        return "Free"
    return format_amount(cents, currency)


def register(app: Flask) -> None:
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["amount"] = format_amount  # money as money: $0.00, never "Free"
    app.jinja_env.globals["Role"] = Role

    @app.context_processor
    def _globals() -> dict[str, object]:
        # Emails are also rendered by background tasks, outside any request (and form).
        if not has_request_context():
            return {}
        # formdata=None: never parse the request body here (a 413 page must still render).
        return {"logout_form": EmptyForm(prefix="logout", formdata=None)}
