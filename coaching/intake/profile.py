"""What matching may know about a couple, as plain values. Pure.

Matching reads this (through ``services.matching_profile``), never the intake's tables:
concerns in priority order, languages and coach preferences. Never the safety screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__pure__ = True


@dataclass(frozen=True)
class PartnerAvailability:
    slot: str
    timezone: str | None
    free_times: Mapping[str, list[list[str]]]  # {"mon": [["18:00", "21:00"]]}, in ``timezone``


@dataclass(frozen=True)
class MatchingProfile:
    couple_id: int
    concerns: tuple[str, ...] = ()  # most important first
    languages_a: frozenset[str] = frozenset()
    languages_b: frozenset[str] = frozenset()
    gender: str | None = None  # "female" | "male" | "non_binary" | None for no preference
    language: str | None = None  # preferred session language
    faith_based: bool | None = None  # True wanted, False not wanted, None no preference
    lgbtq_affirming: bool = False
    approach: str | None = None  # "gottman" | "eft" | "imago" | "solution_focused" | None
    format: str | None = None  # "video" | "in_person" | None for either
    budget_cents: int | None = None  # per session; None for no limit
    availability: tuple[PartnerAvailability, ...] = ()
    complete: bool = False  # both partners finished the intake

    @property
    def languages(self) -> frozenset[str]:
        """Languages both partners are comfortable in."""
        return self.languages_a & self.languages_b


def _pref(value: Any) -> str | None:
    return None if value in (None, "", "any", "either") else str(value)


def build_profile(couple_id: int, shared: Mapping[str, Mapping[str, Any]],
                  personal: Mapping[str, Mapping[str, Any]], *,
                  complete: bool = False) -> MatchingProfile:
    """A profile from shared answers ({step: answers}) and each slot's personal answers."""
    prefs = shared.get("preferences", {})
    faith = prefs.get("faith_based")
    budget = _pref(prefs.get("budget"))
    return MatchingProfile(
        couple_id=couple_id,
        concerns=tuple(shared.get("concerns", {}).get("concerns", ())),
        languages_a=frozenset(personal.get("a", {}).get("languages", ())),
        languages_b=frozenset(personal.get("b", {}).get("languages", ())),
        gender=_pref(prefs.get("coach_gender")),
        language=_pref(prefs.get("coach_language")),
        faith_based=None if faith in (None, "", "any") else faith == "yes",
        lgbtq_affirming=prefs.get("lgbtq_affirming") == "yes",
        approach=_pref(prefs.get("approach")),
        format=_pref(prefs.get("format")),
        budget_cents=int(budget) if budget and budget.isdigit() else None,
        availability=tuple(PartnerAvailability(slot, p.get("timezone"), p.get("free_times", {}))
                           for slot, p in sorted(personal.items())),
        complete=complete,
    )
