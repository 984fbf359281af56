"""The fast paths answer exactly as the plain ones: the slot engine restricted to windows, and
the matching ranking (prepared coaches, bit masks, matches built when read; open times kept as
masks, ``rank_open``)."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.matching.overlap import merge
from coaching.matching.scoring import CoachOffer, CoupleNeeds, OpenTimes, Weights, exclusion, rank, rank_open, score
from coaching.scheduling.slots import Availability, Busy, SessionRules, WeeklyHours, free_slots

ZONES = ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata", "America/St_Johns"]
BASE = datetime(2026, 3, 1, tzinfo=UTC)  # the weeks around March and April clock changes


def inside(slot, windows):
    return any(lo <= slot[0] and slot[1] <= hi for lo, hi in windows)


@settings(max_examples=80, deadline=None)
@given(zone=st.sampled_from(ZONES), seed=st.integers(0, 10_000), interval=st.sampled_from([15, 20, 30, 60]),
       duration=st.sampled_from([30, 50, 60, 90]), days=st.integers(1, 60))
def test_slots_within_windows_are_the_slots_inside_them(zone, seed, interval, duration, days):
    rng = random.Random(seed)
    weekly = tuple(WeeklyHours(d, time(rng.randint(0, 10), rng.choice([0, 30])), time(rng.randint(12, 23), 0))
                   for d in range(7) if rng.random() < 0.8)
    availability = Availability(zone, weekly)
    rules = SessionRules(duration_min=duration, slot_interval_min=interval, buffer_after_min=rng.choice([0, 10]),
                         min_notice_hours=rng.choice([0, 12]), horizon_days=90, daily_max=rng.choice([None, 3]))
    start = BASE + timedelta(days=rng.randint(0, 40))
    busy = [Busy(start + timedelta(hours=rng.randint(0, 24 * days)), start + timedelta(hours=1), counts=True)
            for _ in range(rng.randint(0, 20))]
    busy = [Busy(b.start, b.start + timedelta(minutes=rng.choice([30, 50, 120])), b.counts) for b in busy]
    windows = []
    at = start - timedelta(hours=rng.randint(0, 30))
    while at < start + timedelta(days=days + 1):
        at += timedelta(minutes=rng.randint(10, 3000))
        windows.append((at, at + timedelta(minutes=rng.randint(20, 600))))
    windows = merge(windows)
    end = start + timedelta(days=days)
    everything = free_slots(availability, rules, busy, start, end, BASE)
    assert free_slots(availability, rules, busy, start, end, BASE, within=windows) == \
        [s for s in everything if inside(s, windows)]


AT = datetime(2026, 11, 30, 12, 7, tzinfo=UTC)


def offers(rng: random.Random, n: int) -> list[CoachOffer]:
    out = []
    for i in range(n):
        kind = rng.random()
        slots = []
        for _ in range(rng.randint(0, 40)):
            start = AT + timedelta(minutes=rng.choice([30, 15, 10, 7]) * rng.randint(0, 3000))
            if kind < 0.1:  # irregular: seconds, mixed lengths (the exact path)
                start += timedelta(seconds=rng.randint(0, 59))
            length = rng.choice([30, 50, 60]) if kind < 0.2 else 50
            slots.append((start, start + timedelta(minutes=length)))
        if kind > 0.95 and slots:
            slots.append(slots[0])  # a repeated slot counts twice, as slots_inside counts it
        out.append(CoachOffer(
            coach_id=i, name=f"Coach {i}", timezone=rng.choice(ZONES),
            languages=frozenset(rng.sample(["en", "es", "fr"], rng.randint(1, 3))),
            specialties=frozenset(rng.sample(["Infidelity", "trust", "communication", "Conflict"], rng.randint(0, 3))),
            approaches=frozenset(rng.sample(["gottman", "EFT", "imago"], rng.randint(0, 2))),
            formats=frozenset(rng.sample(["video", "in_person"], rng.randint(1, 2))),
            gender=rng.choice([None, "woman", "man"]), lgbtq_affirming=rng.random() < 0.5,
            faith_based=rng.random() < 0.3, accepting_new=rng.random() < 0.9, active_couples=rng.randint(0, 12),
            max_active_couples=rng.choice([0, 10, 12]), price_cents=rng.choice([None, 0, 12000, 15000]),
            offers_welcome=rng.random() < 0.95, open_slots=tuple(sorted(slots))))
    return out


def reference(needs, coaches, weights, at):
    """The ranking as it was computed before: score every eligible coach, then sort."""
    free = merge(needs.shared_free)
    matches = [score(needs, c, weights, at, free) for c in coaches if exclusion(needs, c) is None]
    return sorted(matches, key=lambda m: (-m.score, -m.parts["load"], m.coach_id))


def random_needs(rng: random.Random) -> CoupleNeeds:
    free = [(AT + timedelta(minutes=rng.randint(0, 30_000)), None) for _ in range(rng.randint(0, 30))]
    free = [(lo, lo + timedelta(minutes=rng.randint(5, 400), seconds=rng.choice([0, 0, 30]))) for lo, _ in free]
    return CoupleNeeds(
        concerns=tuple(rng.sample(["infidelity", "trust", "communication", "conflict"], rng.randint(0, 4))),
        languages_a=frozenset(rng.sample(["en", "es", "fr"], rng.randint(1, 2))),
        languages_b=frozenset(rng.sample(["en", "es"], rng.randint(1, 2))), shared_free=tuple(free),
        timezones=tuple(rng.sample(ZONES, rng.randint(1, 2))), separate_languages_ok=rng.random() < 0.3,
        format=rng.choice([None, "video", "in_person"]), budget_cents=rng.choice([None, 12000]),
        gender=rng.choice([None, "woman"]), faith_based=rng.choice([None, True, False]),
        lgbtq_affirming=rng.random() < 0.3, approach=rng.choice([None, "EFT", "gottman"]),
        language=rng.choice([None, "es"]))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_the_fast_ranking_equals_scoring_every_coach(seed):
    rng = random.Random(seed)
    needs = random_needs(rng)
    coaches = offers(rng, 60)
    weights = Weights(specialties=rng.choice([4.0, 1.5]), availability=rng.choice([3.0, 0.7]))
    ranking = rank(needs, coaches, weights, AT)
    expected = reference(needs, coaches, weights, AT)
    assert len(ranking.matches) == len(expected)
    assert list(ranking.matches) == expected
    assert ranking.top(3) == expected[:3]
    assert ranking.matches[:10] == expected[:10]
    assert [e.coach_id for e in ranking.excluded] == [c.coach_id for c in coaches if exclusion(needs, c)]
    # The match page's path: open times kept as masks (a coach without any is absent), slots built when read.
    times = {c.coach_id: OpenTimes.of(c.open_slots) for c in coaches if c.open_slots}
    from_masks = rank_open(needs, [replace(c, open_slots=()) for c in coaches], times, weights, AT)
    assert list(from_masks.matches) == expected
    assert from_masks.excluded == ranking.excluded
