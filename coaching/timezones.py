"""IANA time zones: validation and the list offered in forms."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))) + ["UTC"])


@lru_cache(maxsize=1)
def _zone_set() -> frozenset[str]:
    return frozenset(all_zones())


def is_valid_zone(name: str) -> bool:
    if not name or name not in _zone_set():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_choices() -> list[tuple[str, str]]:
    return [(z, z.replace("_", " ")) for z in all_zones()]
