"""Coach matching: hard filters, then an explainable weighted score. Pure: values in, values out.

``rank(needs, coaches, weights)`` returns every coach that passes the hard filters, best
first, each with the named parts of its score and the reasons a couple can read. Coaches
that fail a filter are returned separately with the filter they failed, so an admin can see
why someone was not proposed.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from coaching.matching.overlap import merge

__pure__ = True

Interval = tuple[datetime, datetime]

CONCERN_LABELS = {
    "infidelity": "affair recovery",
    "communication": "communication",
    "trust": "rebuilding trust",
    "intimacy": "intimacy",
    "conflict": "conflict",
    "parenting": "parenting together",
    "life_transitions": "life transitions",
    "separation": "couples considering separation",
    "other": "other concerns",
}
LANGUAGE_NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese",
    "it": "Italian", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
    "hi": "Hindi", "ru": "Russian", "nl": "Dutch", "pl": "Polish", "tr": "Turkish",
}
ORDINALS = ("first", "second", "third", "fourth", "fifth")


def normalise(term: str) -> str:
    return term.strip().lower().replace("-", "_").replace(" ", "_")


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code.lower(), code)


@dataclass(frozen=True)
class CoupleNeeds:
    """What both partners told us, reduced to what matching needs."""

    concerns: tuple[str, ...]  # priority order, most important first
    languages_a: frozenset[str]
    languages_b: frozenset[str]
    shared_free: tuple[Interval, ...] = ()  # UTC, when both partners are free
    timezones: tuple[str, ...] = ("UTC",)
    separate_languages_ok: bool = False
    format: str | None = None  # "video" | "in_person" | None for either
    budget_cents: int | None = None
    gender: str | None = None
    faith_based: bool | None = None
    lgbtq_affirming: bool = False
    approach: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class CoachOffer:
    """A coach as matching sees them, with their open times in the matching window."""

    coach_id: int
    name: str
    timezone: str
    languages: frozenset[str]
    specialties: frozenset[str]
    approaches: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset({"video"})
    gender: str | None = None
    lgbtq_affirming: bool = False
    faith_based: bool = False
    safety_trained: bool = False
    accepting_new: bool = True
    active_couples: int = 0
    max_active_couples: int = 10
    price_cents: int | None = 0  # the session type the couple would book; None: not offered
    offers_welcome: bool = True  # every couple starts with a welcome call for each partner
    open_slots: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class Weights:
    specialties: float = 4.0
    preferences: float = 2.0
    availability: float = 3.0
    timezone: float = 1.0
    load: float = 1.0

    @classmethod
    def from_mapping(cls, values: dict[str, float] | None) -> "Weights":
        return cls(**{k: float(v) for k, v in (values or {}).items() if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Match:
    coach_id: int
    name: str
    score: float
    parts: dict[str, float]
    reasons: tuple[str, ...]
    shared_slots: tuple[Interval, ...]


@dataclass(frozen=True)
class Excluded:
    coach_id: int
    name: str
    reason: str


@dataclass
class Ranking:
    matches: list[Match] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)

    def top(self, n: int = 3) -> list[Match]:
        return self.matches[:n]


# --- hard filters ------------------------------------------------------------------------


def shared_language(needs: CoupleNeeds, coach: CoachOffer) -> frozenset[str]:
    """Languages the coach can hold the session in with both partners."""
    return needs.languages_a & needs.languages_b & coach.languages


def exclusion(needs: CoupleNeeds, coach: CoachOffer, *, require_open_slots: bool = True) -> str | None:
    """The first hard filter ``coach`` fails for ``needs``, or None when the coach is eligible.

    ``require_open_slots=False`` checks everything but availability (to skip computing slots
    for coaches that fail anyway).
    """
    if not coach.accepting_new:
        return "not accepting new couples"
    if coach.active_couples >= coach.max_active_couples:
        return "at capacity"
    if not shared_language(needs, coach):
        both_covered = bool(needs.languages_a & coach.languages) and bool(needs.languages_b & coach.languages)
        if not (needs.separate_languages_ok and both_covered):
            return "no language in common with both partners"
    if needs.format and needs.format not in coach.formats:
        return f"does not offer {needs.format.replace('_', ' ')} sessions"
    if coach.price_cents is None:
        return "does not offer this session type"
    if not coach.offers_welcome:
        return "does not offer welcome calls"
    if needs.budget_cents is not None and coach.price_cents > needs.budget_cents:
        return "above your budget"
    if require_open_slots and not coach.open_slots:
        return "no open times in the next three weeks"
    return None


# --- score parts (each in [0, 1]) ----------------------------------------------------------


def specialty_part(needs: CoupleNeeds, coach: CoachOffer) -> tuple[float, list[str]]:
    if not needs.concerns:
        return 1.0, []
    specialties = {normalise(s) for s in coach.specialties}
    total = got = 0.0
    reasons = []
    for i, concern in enumerate(needs.concerns):
        weight = 1.0 / (i + 1)
        total += weight
        if normalise(concern) in specialties:
            got += weight
            label = CONCERN_LABELS.get(normalise(concern), concern.replace("_", " "))
            place = ORDINALS[i] if i < len(ORDINALS) else f"number {i + 1}"
            reasons.append(f"Works with {label}, your {place} concern")
    return got / total, reasons


def preference_part(needs: CoupleNeeds, coach: CoachOffer) -> tuple[float, list[str]]:
    wanted = met = 0
    reasons = []
    checks: list[tuple[bool, bool, str]] = []
    if needs.gender:
        checks.append((True, coach.gender == needs.gender, f"A {needs.gender} coach, as you asked"))
    if needs.faith_based is not None:
        checks.append((True, coach.faith_based == needs.faith_based,
                       "Faith-based practice" if needs.faith_based else "A secular practice, as you asked"))
    if needs.lgbtq_affirming:
        checks.append((True, coach.lgbtq_affirming, "LGBTQ+ affirming"))
    if needs.approach:
        checks.append((True, normalise(needs.approach) in {normalise(a) for a in coach.approaches},
                       f"Uses the {needs.approach.replace('_', ' ').title()} approach you asked for"))
    if needs.language:
        checks.append((True, needs.language in coach.languages, f"Speaks {language_name(needs.language)}"))
    for _, ok, reason in checks:
        wanted += 1
        if ok:
            met += 1
            reasons.append(reason)
    return (met / wanted if wanted else 1.0), reasons


def slots_inside(slots: Iterable[Interval], free: Sequence[Interval]) -> list[Interval]:
    """The slots that lie entirely inside one of the (sorted, merged) ``free`` intervals."""
    starts = [f[0] for f in free]
    inside = []
    for start, end in slots:
        i = bisect_right(starts, start) - 1
        if i >= 0 and free[i][0] <= start and end <= free[i][1]:
            inside.append((start, end))
    return inside


AVAILABILITY_SATURATION = 10  # this many shared open times count as "plenty"


def availability_part(coach: CoachOffer, shared_free: Sequence[Interval]) -> tuple[float, list[Interval]]:
    shared = slots_inside(coach.open_slots, shared_free)
    return min(len(shared), AVAILABILITY_SATURATION) / AVAILABILITY_SATURATION, shared


@lru_cache(maxsize=1024)
def _offset_hours(zone: str, at: datetime) -> float:
    offset = at.astimezone(ZoneInfo(zone)).utcoffset() or timedelta(0)
    return offset.total_seconds() / 3600


def timezone_part(needs: CoupleNeeds, coach: CoachOffer, at: datetime) -> float:
    """1 when the coach shares the partners' UTC offset, falling to 0 at 12 hours apart."""
    coach_offset = _offset_hours(coach.timezone, at)
    worst = 0.0
    for zone in needs.timezones:
        diff = abs(coach_offset - _offset_hours(zone, at))
        worst = max(worst, min(diff, 24 - diff))
    return 1 - min(worst, 12) / 12


def load_part(coach: CoachOffer) -> float:
    if coach.max_active_couples <= 0:
        return 0.0
    return 1 - min(coach.active_couples, coach.max_active_couples) / coach.max_active_couples


# --- ranking -------------------------------------------------------------------------------


def score(needs: CoupleNeeds, coach: CoachOffer, weights: Weights, at: datetime,
          shared_free: Sequence[Interval] | None = None) -> Match:
    """Score one eligible coach; ``shared_free`` must be sorted and merged (``merge``)."""
    free = merge(needs.shared_free) if shared_free is None else shared_free
    spec, spec_reasons = specialty_part(needs, coach)
    pref, pref_reasons = preference_part(needs, coach)
    avail, shared = availability_part(coach, free)
    parts = {"specialties": spec, "preferences": pref, "availability": avail,
             "timezone": timezone_part(needs, coach, at), "load": load_part(coach)}
    total = sum(getattr(weights, name) * value for name, value in parts.items())
    reasons = list(spec_reasons)
    if shared:
        times = "time" if len(shared) == 1 else "times"
        reasons.append(f"{len(shared)} open {times} in the next three weeks when you are both free")
    common = sorted(shared_language(needs, coach))
    if common and common != ["en"]:
        reasons.append("Speaks " + " and ".join(language_name(c) for c in common))
    reasons.extend(r for r in pref_reasons if not r.startswith("Speaks") or not common)
    if parts["load"] >= 0.5:
        reasons.append("Has room for new couples")
    return Match(coach.coach_id, coach.name, round(total, 6), parts, tuple(dict.fromkeys(reasons)),
                 tuple(shared))


def rank(needs: CoupleNeeds, coaches: Iterable[CoachOffer], weights: Weights, at: datetime) -> Ranking:
    """Every coach, filtered then scored; ties break by load, then by coach id."""
    free = merge(needs.shared_free)
    ranking = Ranking()
    for coach in coaches:
        why_not = exclusion(needs, coach)
        if why_not is not None:
            ranking.excluded.append(Excluded(coach.coach_id, coach.name, why_not))
        else:
            ranking.matches.append(score(needs, coach, weights, at, free))
    ranking.matches.sort(key=lambda m: (-m.score, -m.parts["load"], m.coach_id))
    return ranking
