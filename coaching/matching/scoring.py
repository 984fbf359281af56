"""Coach matching: hard filters, then an explainable weighted score. Pure: values in, values out.

``rank(needs, coaches, weights)`` returns every coach that passes the hard filters, best
first, each with the named parts of its score and the reasons a couple can read. Coaches
that fail a filter are returned separately with the filter they failed, so an admin can see
why someone was not proposed.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
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

NO_OPEN_TIMES = "no open times in the next three weeks"


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
        return NO_OPEN_TIMES
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


# --- fast ranking ----------------------------------------------------------------------------
#
# ``rank`` orders thousands of coaches per couple. What does not depend on the couple is
# prepared once per coach (normalised specialties and approaches; the open slots as a bit mask
# of start minutes, when they all last equally long and start on whole minutes) and kept on the
# offer. Per couple, the shared free time becomes one mask of "a slot of this length starting
# here fits" per slot length, so counting a coach's open times inside it is one AND and a
# popcount. Only the matches someone reads are built in full (``score``: reasons, shared slots).

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE_US = 60_000_000
_ONE_US = timedelta(microseconds=1)


def _microseconds(value: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding at the edges of free time)."""
    return (value - _EPOCH) // _ONE_US


@dataclass(frozen=True)
class _Prepared:
    specialties: frozenset[str]
    approaches: frozenset[str]
    mask: int | None  # bit i: a slot starts at ``(base + i) * unit`` minutes; None: use ``slots_inside``
    base: int
    unit: int  # minutes per bit: the largest of _UNITS dividing every start and the length
    duration: int  # in units


_UNITS = (60, 30, 15, 10, 5, 1)


def _minute(value: datetime) -> int | None:
    seconds = (value - _EPOCH).total_seconds()
    return int(seconds // 60) if seconds % 60 == 0 else None


def slot_mask(slots: Sequence[Interval]) -> tuple[int | None, int, int, int]:
    """(mask, base, unit, duration) of ``slots``, or (None, ...) when they are not all of one
    length in whole minutes, distinct and on whole minutes."""
    if not slots:
        return 0, 0, 1, 1
    stamps = [(s.timestamp(), e.timestamp()) for s, e in slots]
    lengths = {e - s for s, e in stamps}
    if len(lengths) != 1 or any(s % 60 for s, _ in stamps):
        return None, 0, 1, 1
    starts = [int(s) // 60 for s, _ in stamps]
    (length,) = lengths
    if length <= 0 or length % 60 or len(set(starts)) != len(starts):
        return None, 0, 1, 1
    minutes = int(length // 60)
    common = math.gcd(minutes, *starts)
    unit = next(u for u in _UNITS if common % u == 0)
    cells = [m // unit for m in starts]
    base = min(cells)
    bits = bytearray((max(cells) - base) // 8 + 1)
    for cell in cells:
        offset = cell - base
        bits[offset >> 3] |= 1 << (offset & 7)
    return int.from_bytes(bits, "little"), base, unit, minutes // unit


def _prepare(coach: CoachOffer) -> _Prepared:
    found = coach.__dict__.get("_prepared")
    if found is not None:
        return found
    mask, base, unit, duration = slot_mask(coach.open_slots)
    prepared = _Prepared(frozenset(normalise(x) for x in coach.specialties),
                         frozenset(normalise(a) for a in coach.approaches), mask, base, unit, duration)
    object.__setattr__(coach, "_prepared", prepared)  # a cache, not a field: equality and repr unchanged
    return prepared


class _CoupleFit:
    """What ranking asks of one couple, computed once: concerns with their weights, the mask of
    fitting starts per slot length, each zone's score part."""

    def __init__(self, needs: CoupleNeeds, free: Sequence[Interval], at: datetime) -> None:
        self.needs, self.free, self.at = needs, free, at
        self.concerns = [(normalise(c), 1.0 / (i + 1)) for i, c in enumerate(needs.concerns)]
        self.total_weight = 0.0
        for _, weight in self.concerns:
            self.total_weight += weight
        self.approach = normalise(needs.approach) if needs.approach else None
        self.free_us = [(_microseconds(a), _microseconds(b)) for a, b in free]
        self._fits: dict[tuple[int, int], tuple[int, int]] = {}
        self._zones: dict[str, float] = {}

    def fits(self, unit: int, duration: int) -> tuple[int, int]:
        """(mask, base): bit i set when a slot of ``duration`` units starting at unit ``base + i``
        lies inside the free time (it starts at or after a free range's start, ends by its end)."""
        found = self._fits.get((unit, duration))
        if found is None:
            cell = unit * _MINUTE_US
            cells = [(-(-lo // cell), hi // cell) for lo, hi in self.free_us]
            base = cells[0][0] if cells else 0
            mask = 0
            for lo, hi in cells:
                count = hi - duration - lo + 1
                if count > 0:
                    mask |= ((1 << count) - 1) << (lo - base)
            found = self._fits[(unit, duration)] = (mask, base)
        return found

    def inside(self, coach: CoachOffer, prepared: _Prepared) -> int:
        """How many of the coach's open slots lie inside the shared free time (``slots_inside``)."""
        if prepared.mask is None:
            return len(slots_inside(coach.open_slots, self.free))
        return self.inside_bits(prepared.mask, prepared.base, prepared.unit, prepared.duration).bit_count()

    def inside_bits(self, mask: int, base: int, unit: int, duration: int) -> int:
        """The bits of ``mask`` (as ``slot_mask`` lays them out) whose slots lie inside the free time."""
        if not mask or not self.free:
            return 0
        fits, fits_base = self.fits(unit, duration)
        shift = base - fits_base
        return mask & (fits >> shift if shift >= 0 else fits << -shift)

    def zone_part(self, coach: CoachOffer) -> float:
        part = self._zones.get(coach.timezone)
        if part is None:
            part = self._zones[coach.timezone] = timezone_part(self.needs, coach, self.at)
        return part

    def total(self, coach: CoachOffer, weights: Weights, inside: int | None = None) -> tuple[float, float]:
        """(the score ``score`` gives, its load part), without reasons or shared slots; ``inside``:
        how many open slots lie inside the free time, when the caller counted them already."""
        prepared = _prepare(coach)
        needs = self.needs
        if self.concerns:
            got = 0.0
            for concern, weight in self.concerns:
                if concern in prepared.specialties:
                    got += weight
            spec = got / self.total_weight
        else:
            spec = 1.0
        wanted = met = 0
        if needs.gender:
            wanted += 1
            met += coach.gender == needs.gender
        if needs.faith_based is not None:
            wanted += 1
            met += coach.faith_based == needs.faith_based
        if needs.lgbtq_affirming:
            wanted += 1
            met += bool(coach.lgbtq_affirming)
        if self.approach is not None:
            wanted += 1
            met += self.approach in prepared.approaches
        if needs.language:
            wanted += 1
            met += needs.language in coach.languages
        pref = met / wanted if wanted else 1.0
        if inside is None:
            inside = self.inside(coach, prepared)
        avail = min(inside, AVAILABILITY_SATURATION) / AVAILABILITY_SATURATION
        load = load_part(coach)
        parts = (weights.specialties * spec, weights.preferences * pref, weights.availability * avail,
                 weights.timezone * self.zone_part(coach), weights.load * load)
        return round(sum(parts), 6), load


class _Matches(Sequence[Match]):
    """The ranked matches, each built in full (``score``) when first read."""

    def __init__(self, order: list[CoachOffer], build: Callable[[CoachOffer], Match]) -> None:
        self._order, self._build, self._built = order, build, [None] * len(order)

    def __len__(self) -> int:
        return len(self._order)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        match = self._built[index]
        if match is None:
            match = self._built[index] = self._build(self._order[index])
        return match

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, (list, _Matches)) else NotImplemented

    def __repr__(self) -> str:
        return f"<{len(self)} matches>"


def rank(needs: CoupleNeeds, coaches: Iterable[CoachOffer], weights: Weights, at: datetime) -> Ranking:
    """Every coach, filtered then scored; ties break by load, then by coach id.

    The order is that of ``score``'s totals; the matches are built by ``score`` when read."""
    free = merge(needs.shared_free)
    fit = _CoupleFit(needs, free, at)
    ranking = Ranking()
    keyed: list[tuple[float, float, int, CoachOffer]] = []
    for coach in coaches:
        why_not = exclusion(needs, coach)
        if why_not is not None:
            ranking.excluded.append(Excluded(coach.coach_id, coach.name, why_not))
        else:
            total, load = fit.total(coach, weights)
            keyed.append((-total, -load, coach.coach_id, coach))
    keyed.sort(key=lambda k: k[:3])
    ranking.matches = _Matches([k[3] for k in keyed],  # type: ignore[assignment]
                               lambda coach: score(needs, coach, weights, at, free))
    return ranking


# --- ranking from open times kept as masks ---------------------------------------------------


@dataclass(frozen=True)
class OpenTimes:
    """A coach's open slots as ``slot_mask`` lays them out (bit i: a slot of ``duration`` units
    starting ``(base + i) * unit`` minutes after the epoch), or as the list itself (``mask``
    None) when they do not fit a mask. Kept between requests, so that a couple's ranking needs
    neither the slot engine nor a datetime per slot (``rank_open``)."""

    mask: int | None
    base: int = 0
    unit: int = 1
    duration: int = 1
    slots: tuple[Interval, ...] = ()

    @classmethod
    def of(cls, slots: Sequence[Interval]) -> "OpenTimes":
        mask, base, unit, duration = slot_mask(slots)
        return cls(mask, base, unit, duration, () if mask is not None else tuple(slots))

    def between(self, earliest: datetime, latest: datetime) -> "OpenTimes":
        """Only the slots starting in ``[earliest, latest)``."""
        if self.mask is None:
            return replace(self, slots=tuple(s for s in self.slots if earliest <= s[0] < latest))
        cell = self.unit * _MINUTE_US
        low = -(-_microseconds(earliest) // cell) - self.base
        high = -(-_microseconds(latest) // cell) - self.base
        if high <= 0 or not self.mask:
            return replace(self, mask=0)
        mask = self.mask & ((1 << high) - 1)
        return replace(self, mask=mask >> low << low if low > 0 else mask)

    def intervals(self, mask: int | None = None) -> list[Interval]:
        """The slots (of ``mask``, a subset of this one's bits, when given) as UTC intervals."""
        if self.mask is None:
            return list(self.slots)
        bits = self.mask if mask is None else mask
        out = []
        length = timedelta(minutes=self.duration * self.unit)
        while bits:
            low = bits & -bits
            start = _EPOCH + timedelta(minutes=(self.base + low.bit_length() - 1) * self.unit)
            out.append((start, start + length))
            bits ^= low
        return out

    def __bool__(self) -> bool:
        return bool(self.mask) if self.mask is not None else bool(self.slots)


def rank_open(needs: CoupleNeeds, coaches: Iterable[CoachOffer], open_times: Mapping[int, OpenTimes],
              weights: Weights, at: datetime) -> Ranking:
    """``rank`` of ``coaches`` as if each coach's ``open_slots`` were its ``open_times`` (absent:
    none): the same order, matches and exclusions. The open times inside the couple's shared
    free time are counted on the masks; only the matches read get their slots as datetimes."""
    free = merge(needs.shared_free)
    fit = _CoupleFit(needs, free, at)
    ranking = Ranking()
    keyed: list[tuple[float, float, int, CoachOffer]] = []
    shared: dict[int, tuple[OpenTimes, int | None]] = {}
    for coach in coaches:
        why_not = exclusion(needs, coach, require_open_slots=False)
        times = open_times.get(coach.coach_id)
        if why_not is None and not times:
            why_not = NO_OPEN_TIMES
        if why_not is not None:
            ranking.excluded.append(Excluded(coach.coach_id, coach.name, why_not))
            continue
        assert times is not None
        if times.mask is None:
            inside_bits = None
            count = len(slots_inside(times.slots, free))
        else:
            inside_bits = fit.inside_bits(times.mask, times.base, times.unit, times.duration)
            count = inside_bits.bit_count()
        total, load = fit.total(coach, weights, count)
        keyed.append((-total, -load, coach.coach_id, coach))
        shared[coach.coach_id] = (times, inside_bits)

    def build(coach: CoachOffer) -> Match:
        times, inside_bits = shared[coach.coach_id]
        slots = times.intervals(inside_bits) if inside_bits is not None else list(times.slots)
        return score(needs, replace(coach, open_slots=tuple(slots)), weights, at, free)

    keyed.sort(key=lambda k: k[:3])
    ranking.matches = _Matches([k[3] for k in keyed], build)  # type: ignore[assignment]
    return ranking
