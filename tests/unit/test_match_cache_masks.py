"""Open times kept as masks (``OpenTimes``) answer as the slot lists they were made from: cut to
a window they hold the slots starting in it, and ``rank_open`` ranks as ``rank`` does."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.matching.scoring import CoupleNeeds, OpenTimes, Weights, rank, rank_open
from tests.unit.test_fast_paths import AT, ZONES, offers


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_open_times_cut_to_a_window_are_the_slots_starting_in_it(seed):
    rng = random.Random(seed)
    [coach] = offers(rng, 1)
    slots = sorted(set(coach.open_slots))
    earliest = AT + timedelta(minutes=rng.randint(-100, 20_000), seconds=rng.randint(0, 59),
                              microseconds=rng.randint(0, 999_999))
    latest = earliest + timedelta(minutes=rng.randint(0, 20_000), microseconds=rng.choice([0, 1, 999_999]))
    times = OpenTimes.of(slots)
    cut = times.between(earliest, latest)
    expected = [s for s in slots if earliest <= s[0] < latest]
    assert cut.intervals() == expected
    assert bool(cut) == bool(expected)
    assert times.intervals() == slots


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_ranking_from_open_times_equals_ranking_the_slot_lists(seed):
    rng = random.Random(seed)
    free = [(AT + timedelta(minutes=rng.randint(0, 30_000)), None) for _ in range(rng.randint(0, 30))]
    free = [(lo, lo + timedelta(minutes=rng.randint(5, 400), seconds=rng.choice([0, 0, 30]))) for lo, _ in free]
    needs = CoupleNeeds(
        concerns=tuple(rng.sample(["infidelity", "trust", "communication", "conflict"], rng.randint(0, 4))),
        languages_a=frozenset(rng.sample(["en", "es", "fr"], rng.randint(1, 2))),
        languages_b=frozenset(rng.sample(["en", "es"], rng.randint(1, 2))), shared_free=tuple(free),
        timezones=tuple(rng.sample(ZONES, rng.randint(1, 2))), format=rng.choice([None, "video"]),
        budget_cents=rng.choice([None, 12000]), approach=rng.choice([None, "EFT"]), language=rng.choice([None, "es"]))
    coaches = offers(rng, 60)
    weights = Weights(availability=rng.choice([3.0, 0.7]))
    times = {c.coach_id: OpenTimes.of(c.open_slots) for c in coaches if rng.random() < 0.95}
    bare = [replace(c, open_slots=()) for c in coaches]
    expected = rank(needs, [replace(c, open_slots=c.open_slots if c.coach_id in times else ()) for c in coaches],
                    weights, AT)
    got = rank_open(needs, bare, times, weights, AT)
    assert list(got.matches) == list(expected.matches)
    assert got.top(3) == expected.top(3)
    assert got.excluded == expected.excluded
