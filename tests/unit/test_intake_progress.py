"""What each partner does next, and the couple's checklist (completion only)."""

from __future__ import annotations

import pytest

from coaching.intake.profile import build_profile
from coaching.intake.progress import CoupleFacts, PartnerFacts, checklist, next_step
from coaching.intake.review import ReviewRefused, next_status

ALL_PRIVATE = frozenset({"view", "satisfaction", "safety"})
DONE = PartnerFacts("a", joined=True, consented=True, personal_done=True, private_done=ALL_PRIVATE)


def facts(a: PartnerFacts, b: PartnerFacts | None = None, missing=(), pending=False, coach=False, joint_open=False):
    return CoupleFacts(shared_missing=tuple(missing), partners=tuple(p for p in (a, b) if p),
                       invite_pending=pending, has_coach=coach, joint_sessions_open=joint_open)


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


def test_with_a_coach_both_partners_have_welcome_calls_until_the_coach_opens_joint_sessions() -> None:
    b = PartnerFacts("b", joined=True, consented=True, personal_done=True, private_done=ALL_PRIVATE)
    f = facts(DONE, b, coach=True)
    assert next_step(f, "a") == next_step(f, "b") == "welcome_calls"
    opened = facts(DONE, b, coach=True, joint_open=True)
    assert next_step(opened, "a") == next_step(opened, "b") == "joint_sessions"


def test_the_next_step_has_no_input_from_anyones_answers_or_screen() -> None:
    # What progress may know is completion and couple state only: the facts have no field
    # for a screen, a flag or an answer, so the other partner's screen cannot reach it.
    fields = set(CoupleFacts.__dataclass_fields__) | set(PartnerFacts.__dataclass_fields__)
    assert not {f for f in fields if any(w in f for w in ("safety", "flag", "screen", "blocked", "answer"))}


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
         "b": {"languages": ["en"], "timezone": "Europe/London", "free_times": {}}})
    assert profile.concerns == ("infidelity", "trust")
    assert profile.languages == frozenset({"en"})
    assert (profile.gender, profile.language, profile.faith_based, profile.lgbtq_affirming) == ("female", None, False, True)
    assert (profile.approach, profile.format, profile.budget_cents) == ("gottman", None, 15000)
    assert not hasattr(profile, "safety_flagged")  # matching never sees the screen
    assert profile.availability[0].free_times == {"mon": [["17:00", "20:00"]]}


def test_an_empty_intake_gives_an_empty_profile_without_preferences() -> None:
    profile = build_profile(1, {}, {})
    assert profile.concerns == () and profile.budget_cents is None and profile.faith_based is None
