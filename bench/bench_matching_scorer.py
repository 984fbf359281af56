"""Ranking N coaches against one couple in the pure scorer (median of repeated runs): ``rank``
over offers carrying their open slots, and ``rank_open`` over open times kept as masks (what
the match page does, its masks made once as the page's per-process cache keeps them).

Run: .venv/bin/python bench/bench_matching_scorer.py
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's coaching package

from coaching.matching.scoring import CoachOffer, CoupleNeeds, OpenTimes, Weights, rank, rank_open  # noqa: E402

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Australia/Sydney"]
CONCERNS = ["infidelity", "communication", "trust", "intimacy", "conflict", "parenting"]


def make_coaches(n: int, rng: random.Random) -> list[CoachOffer]:
    coaches = []
    for i in range(n):
        slots = []
        for day in range(21):
            for half_hour in rng.sample(range(16, 40), 6):
                start = AT + timedelta(days=day, minutes=30 * half_hour)
                slots.append((start, start + timedelta(minutes=50)))
        coaches.append(CoachOffer(
            coach_id=i, name=f"Coach {i}", timezone=rng.choice(ZONES),
            languages=frozenset(rng.sample(["en", "es", "fr"], rng.randint(1, 2)) + ["en"]),
            specialties=frozenset(rng.sample(CONCERNS, 3)), approaches=frozenset({"gottman"}),
            formats=frozenset({"video"}), accepting_new=rng.random() > 0.1,
            active_couples=rng.randint(0, 10), max_active_couples=12, price_cents=rng.choice([0, 12000, 15000]),
            offers_welcome=True, safety_trained=rng.random() > 0.5, open_slots=tuple(sorted(slots)),
        ))
    return coaches


def main() -> None:
    rng = random.Random(7)
    free = tuple((AT + timedelta(days=d, hours=h), AT + timedelta(days=d, hours=h + 3))
                 for d in range(21) for h in (6, 18))
    needs = CoupleNeeds(concerns=("infidelity", "trust", "communication"), languages_a=frozenset({"en"}),
                        languages_b=frozenset({"en", "es"}), shared_free=free,
                        timezones=("America/New_York", "America/Chicago"), budget_cents=15000)
    print("pure matching scorer: rank N coaches (126 open slots each) against one couple")
    for n in (1_000, 5_000, 10_000):
        coaches = make_coaches(n, rng)
        runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            ranking = rank(needs, coaches, Weights(), AT)
            runs.append(time.perf_counter() - t0)
        median = statistics.median(runs)
        times = {c.coach_id: OpenTimes.of(c.open_slots) for c in coaches}
        bare = [replace(c, open_slots=()) for c in coaches]
        open_runs = []
        for _ in range(7):
            t0 = time.perf_counter()
            from_masks = rank_open(needs, bare, times, Weights(), AT)
            open_runs.append(time.perf_counter() - t0)
        assert list(from_masks.matches[:3]) == list(ranking.matches[:3])
        open_median = statistics.median(open_runs)
        print(f"  {n:>6} coaches: rank median {median * 1000:8.1f} ms  ({median / n * 1e6:.1f} us/coach, "
              f"{len(ranking.matches)} eligible); rank_open median {open_median * 1000:6.1f} ms "
              f"({open_median / n * 1e6:.1f} us/coach)")


if __name__ == "__main__":
    main()
