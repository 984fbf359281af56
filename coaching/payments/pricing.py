"""Package prices and validity: integer minor units, never floats."""

from __future__ import annotations

import calendar
from datetime import datetime

__pure__ = True


SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "aud": "A$", "cad": "C$"}


def format_amount(cents: int, currency: str = "usd") -> str:
    """An amount of money as people read it: ``$1,250.00``, ``$0.00``, ``−$5.00``, ``12.00 CHF``."""
    sign = "−" if cents < 0 else ""
    cents = abs(int(cents))
    amount = f"{cents // 100:,}.{cents % 100:02d}"
    symbol = SYMBOLS.get(currency.lower())
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency.upper()}"


def package_price(unit_cents: int, sessions: int, discount_percent: int) -> int:
    """Price of ``sessions`` sessions at ``unit_cents`` less ``discount_percent``, rounded half up."""
    if unit_cents < 0 or sessions < 1 or not 0 <= discount_percent <= 100:
        raise ValueError("invalid package terms")
    gross = unit_cents * sessions
    # Half up in integers: (x * (100 - d) + 50) // 100.
    return (gross * (100 - discount_percent) + 50) // 100


def valid_until(start: datetime, months: int) -> datetime:
    """``start`` plus ``months`` calendar months (clamped to the month's last day)."""
    if months < 1:
        raise ValueError("months must be at least 1")
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def receipt_number(year: int, sequence: int) -> str:
    """The human receipt number of the ``sequence``-th receipt (unique: sequence is a row id)."""
    return f"TR-{year}-{sequence:06d}"
