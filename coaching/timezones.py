"""IANA time zones: validation and the list offered in forms.

Forms offer the current canonical zones (tzdata's ``zone.tab``: one per region of each
country, no retired names such as Africa/Timbuktu or US/Eastern), grouped by region.
Validation, used by the API too, keeps accepting any valid IANA name.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

NOT_ZONES = ("SystemV/", "posix/", "right/")


@lru_cache(maxsize=1)
def all_zones() -> tuple[str, ...]:
    """Every valid IANA name (canonical, linked and retired), for validation."""
    names = {z for z in available_timezones() if not z.startswith(NOT_ZONES) and z not in ("Factory", "localtime")}
    return tuple(sorted(names | {"UTC"}))


@lru_cache(maxsize=1)
def canonical_zones() -> tuple[str, ...]:
    """The current zones people choose from: tzdata's ``zone.tab``, and UTC."""
    table = importlib.resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    names = {line.split("\t")[2] for line in table.splitlines() if line and not line.startswith("#")}
    return tuple(sorted(z for z in names if z in _zone_set()))


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


def zone_label(name: str) -> str:
    """"America/Argentina/Buenos_Aires" -> "Argentina / Buenos Aires" (its region is the group)."""
    return " / ".join(name.split("/")[1:] or [name]).replace("_", " ")


@lru_cache(maxsize=1)
def _grouped() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in canonical_zones():
        groups.setdefault(name.split("/")[0], []).append((name, zone_label(name)))
    out = [(region, tuple(sorted(zones, key=lambda z: z[1]))) for region, zones in sorted(groups.items())]
    out.append(("Other", (("UTC", "UTC (coordinated universal time)"),)))
    return tuple(out)


def zone_choices(current: str | None = None) -> dict[str, list[tuple[str, str]]]:
    """Canonical zones grouped by region ({region: [(name, label)]}, WTForms renders optgroups);
    ``current``, when valid but not canonical (an older or linked name), is kept under "Other"."""
    groups = {region: list(zones) for region, zones in _grouped()}
    if current and current not in canonical_zones() and current != "UTC" and is_valid_zone(current):
        groups["Other"].insert(0, (current, current.replace("_", " ")))
    return groups
