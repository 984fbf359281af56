"""Validation of a coach catalogue (the ``flask coaches import`` file). Pure: dicts in, values out.

Every problem is reported with where it is (``coaches[3].timezone``) so that a file with
many mistakes can be fixed in one pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
KINDS = ("joint", "individual")
FORMATS = ("video", "in_person", "phone")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class CatalogError:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class SessionTypeSpec:
    slug: str
    name: str
    duration_min: int
    price_cents: int
    currency: str
    kind: str
    buffer_before_min: int = 0
    buffer_after_min: int = 0
    min_notice_hours: int = 12
    horizon_days: int = 60
    slot_interval_min: int = 30
    daily_max: int | None = None


@dataclass
class CoachSpec:
    email: str
    name: str
    timezone: str
    languages: list[str]
    specialties: list[str]
    approaches: list[str]
    formats: list[str]
    gender: str | None
    lgbtq_affirming: bool
    faith_based: bool
    safety_trained: bool
    accepting_new: bool
    max_active_couples: int
    bio: str
    weekly_hours: dict[int, list[tuple[time, time]]]
    time_off: list[tuple[date, date]]
    session_types: list[str]


@dataclass
class Catalog:
    session_types: list[SessionTypeSpec] = field(default_factory=list)
    coaches: list[CoachSpec] = field(default_factory=list)


class _Reader:
    """Reads typed fields out of one JSON object, collecting errors instead of raising."""

    def __init__(self, data: Any, where: str, errors: list[CatalogError]) -> None:
        self.where, self.errors = where, errors
        if not isinstance(data, dict):
            errors.append(CatalogError(where, "must be an object"))
            data = {}
        self.data = data

    def error(self, key: str, message: str) -> None:
        self.errors.append(CatalogError(f"{self.where}.{key}", message))

    def text(self, key: str, *, required: bool = True, max_len: int = 200, default: str = "") -> str:
        value = self.data.get(key, None)
        if value is None:
            if required:
                self.error(key, "is required")
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.error(key, "must be a non-empty string" if required else "must be a string")
            return default
        if len(value) > max_len:
            self.error(key, f"must be at most {max_len} characters")
        return value.strip()

    def integer(self, key: str, *, default: int | None = None, low: int = 0, high: int = 10**9) -> int:
        value = self.data.get(key, default)
        if value is None or isinstance(value, bool) or not isinstance(value, int):
            self.error(key, "must be a whole number" if key in self.data else "is required")
            return low
        if not low <= value <= high:
            self.error(key, f"must be between {low} and {high}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.error(key, "must be true or false")
            return default
        return value

    def strings(self, key: str, *, allowed: tuple[str, ...] | None = None) -> list[str]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            self.error(key, "must be a list of strings")
            return []
        if allowed is not None:
            for bad in [v for v in value if v not in allowed]:
                self.error(key, f"{bad!r} is not one of {', '.join(allowed)}")
        return [v.strip().lower() if key == "languages" else v.strip() for v in value]


def _clock(value: Any) -> time | None:
    if isinstance(value, str) and HHMM_RE.match(value):
        return time.fromisoformat(value)
    return None


def _weekly_hours(r: _Reader) -> dict[int, list[tuple[time, time]]]:
    raw = r.data.get("weekly_hours", {})
    hours: dict[int, list[tuple[time, time]]] = {}
    if not isinstance(raw, dict):
        r.error("weekly_hours", "must be an object of weekday -> ranges")
        return hours
    for day, ranges in raw.items():
        where = f"weekly_hours.{day}"
        if day not in WEEKDAYS:
            r.error(where, f"unknown weekday (use {', '.join(WEEKDAYS)})")
            continue
        if not isinstance(ranges, list):
            r.error(where, 'must be a list of ["HH:MM", "HH:MM"] ranges')
            continue
        parsed: list[tuple[time, time]] = []
        for i, pair in enumerate(ranges):
            start = _clock(pair[0]) if isinstance(pair, list) and len(pair) == 2 else None
            end = _clock(pair[1]) if isinstance(pair, list) and len(pair) == 2 else None
            if start is None or end is None:
                r.error(f"{where}[{i}]", 'must be ["HH:MM", "HH:MM"]')
            elif start >= end:
                r.error(f"{where}[{i}]", "must end after it starts")
            else:
                parsed.append((start, end))
        parsed.sort()
        for (s1, e1), (s2, e2) in zip(parsed, parsed[1:]):
            if s2 < e1:
                r.error(where, f"ranges {s1:%H:%M}-{e1:%H:%M} and {s2:%H:%M}-{e2:%H:%M} overlap")
        hours[WEEKDAYS.index(day)] = parsed
    return hours


def _time_off(r: _Reader) -> list[tuple[date, date]]:
    raw = r.data.get("time_off", [])
    result: list[tuple[date, date]] = []
    if not isinstance(raw, list):
        r.error("time_off", "must be a list")
        return result
    for i, item in enumerate(raw):
        try:
            start = date.fromisoformat(item["start"])
            end = date.fromisoformat(item["end"])
        except (TypeError, KeyError, ValueError):
            r.error(f"time_off[{i}]", 'must be {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}')
            continue
        if end < start:
            r.error(f"time_off[{i}]", "ends before it starts")
            continue
        result.append((start, end))
    return result


def _session_type(data: Any, where: str, errors: list[CatalogError]) -> SessionTypeSpec:
    r = _Reader(data, where, errors)
    slug = r.text("slug", max_len=64)
    if slug and not SLUG_RE.match(slug):
        r.error("slug", "use lowercase letters, digits and dashes")
    currency = r.text("currency", max_len=3).lower()
    if currency and not re.fullmatch(r"[a-z]{3}", currency):
        r.error("currency", "must be a three-letter ISO code")
    kind = r.text("kind", max_len=16)
    if kind and kind not in KINDS:
        r.error("kind", f"must be one of {', '.join(KINDS)}")
    daily_max = r.data.get("daily_max")
    if daily_max is not None and (isinstance(daily_max, bool) or not isinstance(daily_max, int) or daily_max < 1):
        r.error("daily_max", "must be a positive whole number or absent")
        daily_max = None
    return SessionTypeSpec(
        slug=slug, name=r.text("name", max_len=120), kind=kind, currency=currency,
        duration_min=r.integer("duration_min", low=5, high=480),
        price_cents=r.integer("price_cents", low=0, high=10_000_000),
        buffer_before_min=r.integer("buffer_before_min", default=0, high=240),
        buffer_after_min=r.integer("buffer_after_min", default=0, high=240),
        min_notice_hours=r.integer("min_notice_hours", default=12, high=24 * 60),
        horizon_days=r.integer("horizon_days", default=60, low=1, high=366),
        slot_interval_min=r.integer("slot_interval_min", default=30, low=5, high=240),
        daily_max=daily_max,
    )


def _coach(data: Any, where: str, errors: list[CatalogError], known_types: set[str]) -> CoachSpec:
    r = _Reader(data, where, errors)
    email = r.text("email", max_len=254).lower()
    if email and not EMAIL_RE.match(email):
        r.error("email", "is not an email address")
    zone = r.text("timezone", max_len=64)
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            r.error("timezone", f"{zone!r} is not an IANA time zone")
    types = r.strings("session_types")
    for slug in types:
        if slug not in known_types:
            r.error("session_types", f"{slug!r} is not a session type in this file or the database")
    return CoachSpec(
        email=email, name=r.text("name", max_len=120), timezone=zone,
        languages=r.strings("languages"), specialties=r.strings("specialties"),
        approaches=r.strings("approaches"), formats=r.strings("formats", allowed=FORMATS),
        gender=r.text("gender", required=False, max_len=32) or None,
        lgbtq_affirming=r.flag("lgbtq_affirming", False), faith_based=r.flag("faith_based", False),
        safety_trained=r.flag("safety_trained", False), accepting_new=r.flag("accepting_new", True),
        max_active_couples=r.integer("max_active_couples", default=10, low=0, high=1000),
        bio=r.text("bio", required=False, max_len=5000),
        weekly_hours=_weekly_hours(r), time_off=_time_off(r), session_types=types,
    )


def parse_catalog(data: Any, existing_session_types: set[str] = frozenset()) -> tuple[Catalog, list[CatalogError]]:
    """Validate a whole catalogue; return it with every error found (empty when valid)."""
    errors: list[CatalogError] = []
    catalog = Catalog()
    if not isinstance(data, dict):
        return catalog, [CatalogError("$", "the file must hold a JSON object")]
    raw_types = data.get("session_types", [])
    raw_coaches = data.get("coaches", [])
    if not isinstance(raw_types, list):
        errors.append(CatalogError("session_types", "must be a list"))
        raw_types = []
    if not isinstance(raw_coaches, list):
        errors.append(CatalogError("coaches", "must be a list"))
        raw_coaches = []
    for i, item in enumerate(raw_types):
        catalog.session_types.append(_session_type(item, f"session_types[{i}]", errors))
    known = set(existing_session_types) | {t.slug for t in catalog.session_types}
    seen: dict[str, int] = {}
    for i, item in enumerate(raw_coaches):
        spec = _coach(item, f"coaches[{i}]", errors, known)
        if spec.email and spec.email in seen:
            errors.append(CatalogError(f"coaches[{i}].email", f"repeats coaches[{seen[spec.email]}]"))
        seen.setdefault(spec.email, i)
        catalog.coaches.append(spec)
    return catalog, errors
