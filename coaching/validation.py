"""Hostile input stops at the door, in one place each: ids in URLs, control characters, dates.

- ``<int:...>`` in every route is :class:`DatabaseIdConverter`: an id outside 1..2^31-1 (the
  range of an ``integer`` primary key on PostgreSQL) matches no route, so it is a 404 before
  any query runs.
- :func:`refuse_control_characters` runs before every view: a NUL byte or another C0 control
  character (tab, CR and LF are kept for multi-line text) or a lone surrogate in the query
  string, a form field or a JSON body is a 400 with a clear message (JSON under ``/api/``).
  Such characters are never valid input, and PostgreSQL cannot store a NUL. Path segments
  are left to their views, which answer an unknown link with their own 404 (tokens are
  hashed or signed before any query; a session type slug is checked for its shape).
- :func:`parse_date` / :func:`parse_instant` / :class:`SaneDate` are the one way API
  parameters, page parameters and form dates are read: ISO 8601, and inside
  ``EARLIEST_DATE..LATEST_DATE`` so that no later date arithmetic can overflow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

MAX_DATABASE_ID = 2**31 - 1
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)
EARLIEST_INSTANT = datetime.combine(EARLIEST_DATE, time(0), tzinfo=UTC)
LATEST_INSTANT = datetime.combine(LATEST_DATE, time(0), tzinfo=UTC)

# C0 controls except tab (\x09), LF (\x0a) and CR (\x0d); and UTF-16 surrogates, which only a
# JSON "\ud800" escape can produce and no database encoding accepts.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# Signed webhooks are verified byte for byte by their own view (coaching/payments/webhooks.py).
EXEMPT_PREFIXES = ("/webhooks/",)


def _up_to(limit: int) -> str:
    """A regex matching exactly the decimal numbers 1..``limit`` (no sign, no leading zero)."""
    digits = str(limit)
    parts = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    for i, d in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(d) > low:
            parts.append(f"{digits[:i]}[{low}-{int(d) - 1}]" + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else ""))
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class DatabaseIdConverter(IntegerConverter):
    """``<int:name>``: a positive id that fits PostgreSQL's ``integer``; anything else is no match.

    The range is in the regex, not only in ``to_python``: Werkzeug answers 405 rather than 404
    when a path's GET and POST are separate rules and the converter refuses after matching."""

    regex = _up_to(MAX_DATABASE_ID)

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = 1, max: int | None = MAX_DATABASE_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        if len(value) > len(str(MAX_DATABASE_ID)):  # also keeps int() away from huge digit strings
            raise ValidationError()
        return super().to_python(value)


def database_id(raw: str) -> int:
    """An id from a query string or form: digits in 1..2^31-1, else ``ValueError``.

    Fits ``request.args.get(name, type=database_id)``, which then gives None for a bad id."""
    if not raw.isdigit() or len(raw) > len(str(MAX_DATABASE_ID)) or not 1 <= int(raw) <= MAX_DATABASE_ID:
        raise ValueError(raw)
    return int(raw)


def register(app: Flask) -> None:
    """Install the bounded ``int`` converter (before any route is added) and the input check."""
    app.url_map.converters["int"] = DatabaseIdConverter
    app.before_request(refuse_control_characters)


# --- control characters -------------------------------------------------------------------------


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string inside a JSON value (keys too), with where it sits."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield where, str(key)
            yield from _strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{where}[{i}]")


def _request_strings() -> Iterator[tuple[str, str]]:
    for key, value in request.args.items(multi=True):
        yield key, key
        yield key, value
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    for key, value in request.form.items(multi=True):
        yield key, key
        yield key, value
    if request.is_json:
        yield from _strings(request.get_json(silent=True), "")


def refuse_control_characters():  # type: ignore[no-untyped-def]
    """Before every view: answer 400 when any input holds a character no field may hold."""
    if request.path.startswith(EXEMPT_PREFIXES):
        return None
    for field, value in _request_strings():
        if FORBIDDEN_CHARACTERS.search(value):
            return _refuse(field or "body")
    return None


def _refuse(field: str):  # type: ignore[no-untyped-def]
    message = "The request contains a control character (such as a NUL byte) that no field accepts."
    if request.path.startswith("/api/"):
        return jsonify(error={"code": "invalid_characters", "message": message, "field": field}), 400
    from coaching.errors import render_error

    return render_error(400, message)


# --- dates ----------------------------------------------------------------------------------------


class DateOutOfRange(ValueError):
    """A well-formed date or instant outside ``EARLIEST_DATE..LATEST_DATE``."""


def in_range(day: date) -> bool:
    return EARLIEST_DATE <= day <= LATEST_DATE


def parse_date(raw: str) -> date:
    """``YYYY-MM-DD`` inside the sane range; ``ValueError`` if malformed, ``DateOutOfRange`` if not."""
    if len(raw) != 10:
        raise ValueError(raw)
    day = date.fromisoformat(raw)
    if not in_range(day):
        raise DateOutOfRange(raw)
    return day


def parse_date_or(raw: str | None, fallback: date) -> date:
    """A page parameter: the date, or ``fallback`` when it is missing, malformed or out of range."""
    try:
        return parse_date(raw or "")
    except ValueError:
        return fallback


def parse_instant(raw: str) -> datetime:
    """An ISO 8601 date-time with an offset, as aware UTC, inside the sane range.

    ``ValueError`` if malformed or without an offset, ``DateOutOfRange`` if out of range."""
    value = datetime.fromisoformat(raw.upper())  # RFC 3339 allows a lowercase "t" and "z"
    if value.tzinfo is None:
        raise ValueError(raw)
    if not in_range(value.date()):
        raise DateOutOfRange(raw)
    return value.astimezone(UTC)  # cannot overflow: the date is at least a day from either end


def clamp_instant(value: datetime) -> datetime:
    """``value`` pulled inside ``EARLIEST_INSTANT..LATEST_INSTANT`` (aware UTC in, aware UTC out)."""
    return min(max(value, EARLIEST_INSTANT), LATEST_INSTANT)


def shift(value: datetime, delta: timedelta) -> datetime:
    """``value + delta`` clamped to the sane range instead of overflowing."""
    try:
        return clamp_instant(value + delta)
    except OverflowError:
        return LATEST_INSTANT if delta > timedelta(0) else EARLIEST_INSTANT


class SaneDate:
    """WTForms validator: the date lies inside ``EARLIEST_DATE..LATEST_DATE``."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (f"Choose a date between {EARLIEST_DATE.isoformat()} "
                                   f"and {LATEST_DATE.isoformat()}.")

    def __call__(self, form: Any, field: Any) -> None:
        from wtforms.validators import StopValidation

        if isinstance(field.data, date) and not in_range(field.data):
            raise StopValidation(self.message)
