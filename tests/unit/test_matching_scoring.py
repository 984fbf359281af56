"""Coach matching: every hard filter, every score part, reasons, ties, and two properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.matching.scoring import (
    CoachOffer,
    CoupleNeeds,
    Weights,
    exclusion,
    load_part,
    merge,
    preference_part,
    rank,
    score,
    slots_inside,
    specialty_part,
    timezone_part,
)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def hours(start_h: float, length_h: float = 1.0, day: int = 0) -> tuple[datetime, datetime]:
    start = AT + timedelta(days=day, hours=start_h)
    return start, start + timedelta(hours=length_h)


def needs(**kw) -> CoupleNeeds:
    base = dict(concerns=("infidelity", "trust", "communication"), languages_a=frozenset({"en", "es"}),
                languages_b=frozenset({"en"}), shared_free=(hours(0, 4),), timezones=("America/New_York",))
    base.update(kw)
    return CoupleNeeds(**base)


def coach(coach_id: int = 1, **kw) -> CoachOffer:
    base = dict(coach_id=coach_id, name=f"Coach {coach_id}", timezone="America/New_York",
                languages=frozenset({"en"}), specialties=frozenset({"infidelity"}),
                open_slots=(hours(1, 0.5), hours(2, 0.5)))
    base.update(kw)
    return CoachOffer(**base)


@pytest.mark.parametrize(
    ("change", "couple_change", "expected"),
    [
        ({"accepting_new": False}, {}, "not accepting new couples"),
        ({"active_couples": 10, "max_active_couples": 10}, {}, "at capacity"),
        ({"languages": frozenset({"es"})}, {}, "no language in common with both partners"),
        ({"formats": frozenset({"video"})}, {"format": "in_person"}, "does not offer in person sessions"),
        ({"price_cents": 20000}, {"budget_cents": 15000}, "above your budget"),
        ({"price_cents": None}, {}, "does not offer this session type"),
        ({"offers_welcome": False}, {}, "does not offer welcome calls"),
        ({"open_slots": ()}, {}, "no open times in the next three weeks"),
    ],
)
def test_each_hard_filter_excludes_with_its_reason(change, couple_change, expected):
    assert exclusion(needs(**couple_change), coach(**change)) == expected


def test_matching_takes_no_safety_screen_as_input():
    assert not {f for f in CoupleNeeds.__dataclass_fields__ if "safety" in f or "flag" in f}


def test_an_eligible_coach_passes_every_filter():
    assert exclusion(needs(budget_cents=15000, format="video"), coach(price_cents=15000)) is None


def test_separate_languages_are_accepted_only_when_the_couple_said_so():
    split = needs(languages_a=frozenset({"es"}), languages_b=frozenset({"en"}))
    bilingual = coach(languages=frozenset({"en", "es"}))
    assert exclusion(split, bilingual) == "no language in common with both partners"
    assert exclusion(replace(split, separate_languages_ok=True), bilingual) is None
    assert exclusion(replace(split, separate_languages_ok=True), coach(languages=frozenset({"en"}))) is not None


def test_specialties_are_weighted_by_the_couples_priority():
    first_only, first_reasons = specialty_part(needs(), coach(specialties=frozenset({"infidelity"})))
    last_only, _ = specialty_part(needs(), coach(specialties=frozenset({"communication"})))
    assert first_only > last_only > 0
    assert first_reasons == ["Works with affair recovery, your first concern"]
    assert specialty_part(needs(), coach(specialties=frozenset({"infidelity", "trust", "communication"})))[0] == 1


def test_specialty_names_match_across_dashes_and_underscores():
    part, reasons = specialty_part(needs(concerns=("life_transitions",)),
                                   coach(specialties=frozenset({"life-transitions"})))
    assert part == 1 and reasons == ["Works with life transitions, your first concern"]


def test_preferences_count_only_what_the_couple_asked_for():
    assert preference_part(needs(), coach())[0] == 1
    asked = needs(gender="female", approach="gottman", lgbtq_affirming=True)
    half, reasons = preference_part(asked, coach(gender="female", approaches=frozenset({"eft"})))
    assert half == pytest.approx(1 / 3)
    assert reasons == ["A female coach, as you asked"]


def test_availability_counts_only_open_times_inside_the_shared_free_time():
    free = merge([hours(0, 1), hours(3, 2)])
    slots = [hours(0.5, 0.5), hours(0.75, 0.5), hours(3, 1), hours(10, 1)]
    assert slots_inside(slots, free) == [hours(0.5, 0.5), hours(3, 1)]


def test_timezone_comfort_falls_with_the_offset_difference():
    near = timezone_part(needs(), coach(timezone="America/Chicago"), AT)
    far = timezone_part(needs(), coach(timezone="Australia/Sydney"), AT)
    assert timezone_part(needs(), coach(), AT) == 1 > near > far >= 0


def test_load_prefers_coaches_with_fewer_active_couples():
    assert load_part(coach(active_couples=1)) > load_part(coach(active_couples=8))


def test_reasons_are_plain_words():
    match = score(needs(), coach(languages=frozenset({"en", "es"})), Weights(), AT)
    assert match.reasons[0] == "Works with affair recovery, your first concern"
    assert "2 open times in the next three weeks when you are both free" in match.reasons


def test_ranking_orders_by_score_and_breaks_ties_by_load_then_id():
    coaches = [coach(3), coach(2), coach(1, active_couples=5), coach(4, specialties=frozenset())]
    ranking = rank(needs(), coaches, Weights(), AT)
    assert [m.coach_id for m in ranking.matches] == [2, 3, 1, 4]
    assert rank(needs(), list(reversed(coaches)), Weights(), AT).matches == ranking.matches


def test_excluded_coaches_are_reported_with_their_reason():
    ranking = rank(needs(), [coach(1), coach(2, accepting_new=False)], Weights(), AT)
    assert [m.coach_id for m in ranking.matches] == [1]
    assert [(e.coach_id, e.reason) for e in ranking.excluded] == [(2, "not accepting new couples")]


def test_weights_come_from_configuration():
    assert Weights.from_mapping({"load": "5", "unknown": 1}).load == 5.0


# --- properties ------------------------------------------------------------------------------

LANGS = st.frozensets(st.sampled_from(["en", "es", "fr"]), max_size=3)
SLOT = st.builds(lambda d, h: hours(h * 0.5, 0.5, d), st.integers(0, 20), st.integers(0, 40))
coach_strategy = st.builds(
    CoachOffer, coach_id=st.integers(1, 10**6), name=st.just("C"),
    timezone=st.sampled_from(["UTC", "Europe/London", "America/New_York", "Australia/Sydney"]),
    languages=LANGS, specialties=st.frozensets(st.sampled_from(["infidelity", "trust", "conflict"])),
    formats=st.frozensets(st.sampled_from(["video", "in_person"]), min_size=1),
    safety_trained=st.booleans(), accepting_new=st.booleans(), active_couples=st.integers(0, 12),
    max_active_couples=st.integers(0, 12), price_cents=st.one_of(st.none(), st.integers(0, 30000)),
    offers_welcome=st.booleans(), open_slots=st.lists(SLOT, max_size=8).map(tuple),
)
needs_strategy = st.builds(
    CoupleNeeds, concerns=st.lists(st.sampled_from(["infidelity", "trust", "conflict"]), unique=True).map(tuple),
    languages_a=LANGS, languages_b=LANGS, shared_free=st.lists(SLOT, max_size=5).map(tuple),
    separate_languages_ok=st.booleans(), format=st.sampled_from([None, "video", "in_person"]),
    budget_cents=st.one_of(st.none(), st.integers(0, 30000)),
)


@settings(max_examples=300, deadline=None)
@given(needs_strategy, st.lists(coach_strategy, max_size=6))
def test_no_proposed_coach_violates_a_hard_filter(couple, coaches):
    for match in rank(couple, coaches, Weights(), AT).matches:
        offer = next(c for c in coaches if c.coach_id == match.coach_id)
        assert offer.accepting_new and offer.active_couples < offer.max_active_couples
        assert offer.open_slots and offer.price_cents is not None
        assert couple.format is None or couple.format in offer.formats
        assert couple.budget_cents is None or offer.price_cents <= couple.budget_cents
        assert offer.offers_welcome
        speaks_both = bool(couple.languages_a & couple.languages_b & offer.languages)
        assert speaks_both or (couple.separate_languages_ok and couple.languages_a & offer.languages
                               and couple.languages_b & offer.languages)


@settings(max_examples=300, deadline=None)
@given(needs_strategy, coach_strategy, st.lists(SLOT, max_size=5))
def test_more_shared_free_time_never_lowers_a_score(couple, offer, extra):
    before = score(couple, offer, Weights(), AT).score
    after = score(replace(couple, shared_free=couple.shared_free + tuple(extra)), offer, Weights(), AT).score
    assert after >= before
