"""What each partner does next, and the couple's checklist (completion only)."""

from __future__ import annotations

import pytest

from coaching.intake.profile import build_profile
from coaching.intake.progress import CoupleFacts, PartnerFacts, checklist, next_step
from coaching.intake.review import ReviewRefused, next_status

ALL_PRIVATE = frozenset({"view", "satisfaction", "safety"})
DONE = PartnerFacts("a", joined=True, consented=True, personal_done=True, private_done=ALL_PRIVATE)


def facts(a: PartnerFacts, b: PartnerFacts | None = None, missing=(), blocked=False, pending=False):
    return CoupleFacts(shared_missing=tuple(missing), partners=tuple(p for p in (a, b) if p),
                       invite_pending=pending, joint_booking_blocked=blocked)


@pytest.mark.parametrize(("a", "missing", "expected"), [
    (PartnerFacts("a", joined=True), (), "consent"),
    (PartnerFacts("a", joined=True, consented=True), ("about", "goals"), "shared:about"),
    (PartnerFacts("a", joined=True, consented=True), (), "personal"),
    (PartnerFacts("a", joined=True, consented=True, personal_done=True), (), "invite"),
])
def test_the_first_partner_consents_then_answers_the_shared_part_then_invites(a, missing, expected) -> None:
    assert next_step(facts(a, missing=missing), "a") == expected


def test_with_an_invite_pending_the_first_partner_goes_on_to_the_private_part() -> None:
    a = PartnerFacts("a", joined=True, consented=True, personal_done=True)
    b = PartnerFacts("b", joined=False)
    assert next_step(facts(a, b, pending=True), "a") == "private:view"
    assert next_step(facts(a, b, pending=False), "a") == "invite"


def test_the_safety_screen_comes_after_the_satisfaction_index() -> None:
    a = PartnerFacts("a", joined=True, consented=True, personal_done=True, private_done=frozenset({"view", "satisfaction"}))
    b = PartnerFacts("b", joined=True)
    assert next_step(facts(a, b), "a") == "safety"


def test_a_partner_who_finished_waits_for_the_other() -> None:
    assert next_step(facts(DONE, PartnerFacts("b", joined=True, consented=True)), "a") == "wait_for_partner"


def test_when_both_finished_matching_opens() -> None:
    b = PartnerFacts("b", joined=True, consented=True, personal_done=True, private_done=ALL_PRIVATE)
    assert next_step(facts(DONE, b), "a") == next_step(facts(DONE, b), "b") == "matching"


def test_when_joint_booking_is_blocked_both_partners_see_the_same_neutral_next_step() -> None:
    b = PartnerFacts("b", joined=True, consented=True, personal_done=True, private_done=ALL_PRIVATE)
    f = facts(DONE, b, blocked=True)
    assert next_step(f, "a") == next_step(f, "b") == "coach_in_touch"


def test_the_checklist_shows_completion_and_never_which_private_step_is_missing() -> None:
    b = PartnerFacts("b", joined=True, consented=True, personal_done=True, private_done=frozenset({"view", "satisfaction"}))
    lines = dict(checklist(facts(DONE, b)))
    assert lines["Second partner: private part"] is False
    assert not any("safety" in what.lower() for what in lines)


@pytest.mark.parametrize(("status", "action", "expected"), [
    ("open", "acknowledge", "acknowledged"),
    ("open", "resolve", "resolved"),
    ("acknowledged", "resolve", "resolved"),
    ("open", "note", "open"),
    ("resolved", "note", "resolved"),
])
def test_allowed_review_moves(status, action, expected) -> None:
    assert next_status(status, action) == expected


@pytest.mark.parametrize(("status", "action"), [
    ("acknowledged", "acknowledge"), ("resolved", "resolve"), ("resolved", "acknowledge"), ("open", "reopen"),
])
def test_refused_review_moves(status, action) -> None:
    with pytest.raises(ReviewRefused):
        next_status(status, action)


def test_the_matching_profile_reads_preferences_in_matchings_terms() -> None:
    profile = build_profile(
        7, {"concerns": {"concerns": ["infidelity", "trust"]},
            "preferences": {"coach_gender": "female", "coach_language": "any", "faith_based": "no",
                            "lgbtq_affirming": "yes", "approach": "gottman", "format": "either", "budget": "15000"}},
        {"a": {"languages": ["en", "es"], "timezone": "America/Chicago", "free_times": {"mon": [["17:00", "20:00"]]}},
         "b": {"languages": ["en"], "timezone": "Europe/London", "free_times": {}}},
        safety_flagged=True)
    assert profile.concerns == ("infidelity", "trust")
    assert profile.languages == frozenset({"en"})
    assert (profile.gender, profile.language, profile.faith_based, profile.lgbtq_affirming) == ("female", None, False, True)
    assert (profile.approach, profile.format, profile.budget_cents) == ("gottman", None, 15000)
    assert profile.safety_flagged
    assert profile.availability[0].free_times == {"mon": [["17:00", "20:00"]]}


def test_an_empty_intake_gives_an_empty_profile_without_preferences() -> None:
    profile = build_profile(1, {}, {}, safety_flagged=False)
    assert profile.concerns == () and profile.budget_cents is None and profile.faith_based is None
