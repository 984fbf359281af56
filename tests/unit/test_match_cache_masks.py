"""Open times kept as masks (``OpenTimes``) answer as the slot lists they were made from: cut to
a window, they hold the slots starting in it (``rank_open`` is checked in test_fast_paths.py)."""

from __future__ import annotations

import random
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.matching.scoring import OpenTimes
from tests.unit.test_fast_paths import AT, offers


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
