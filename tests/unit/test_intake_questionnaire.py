"""The questionnaire as data: versions, validation of answers, the free-time grid."""

from __future__ import annotations

import pytest

from coaching.intake import questionnaire as qn

Q = qn.questionnaire()


def form(**values: object) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [str(v)] for k, v in values.items()}


def test_only_the_current_version_accepts_answers() -> None:
    assert qn.accepted_version(str(qn.CURRENT_VERSION)) == qn.CURRENT_VERSION


@pytest.mark.parametrize("raw", ["", None, "0", "2", "999", "-1", "1.0", "1; DROP", "abc", " 7 "])
def test_a_tampered_or_unknown_version_is_refused(raw) -> None:
    with pytest.raises(qn.UnknownVersion):
        qn.accepted_version(raw)


def test_an_unknown_stored_version_has_no_definition() -> None:
    with pytest.raises(qn.UnknownVersion):
        qn.questionnaire(42)


def test_every_step_key_and_question_key_is_unique() -> None:
    for version in qn.QUESTIONNAIRES.values():
        assert len(version.steps) == len(version.shared) + 1 + len(version.private) + 1
        for step in version.steps.values():
            keys = [q.key for q in step.questions]
            assert len(keys) == len(set(keys)), step.key


def test_the_affair_follow_ups_apply_only_when_infidelity_is_chosen() -> None:
    without = [s.key for s in Q.shared_steps_for({"concerns": {"concerns": ["trust"]}})]
    with_ = [s.key for s in Q.shared_steps_for({"concerns": {"concerns": ["infidelity", "trust"]}})]
    assert "infidelity" not in without and "infidelity" in with_


def test_valid_about_answers_are_cleaned_and_stripped() -> None:
    answers = qn.validate(Q.step("about"), form(partner_a_name="  Sam ", partner_b_name="Alex",
                                                 together_for="3to10", living_together="yes",
                                                 children="none", csrf_token="x", partner_id="9"))
    assert answers["partner_a_name"] == "Sam"
    assert "csrf_token" not in answers and "partner_id" not in answers


def test_missing_required_answers_are_reported_per_question() -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.step("about"), form(partner_a_name="Sam"))
    assert set(err.value.errors) == {"partner_b_name", "together_for", "living_together", "children"}


def test_oversized_text_is_refused_with_a_clear_message() -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.step("goals"), form(goals="x" * (qn.LONG_TEXT_MAX + 1)))
    assert "under 4000 characters" in err.value.errors["goals"]


def test_control_characters_are_refused() -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.step("goals"), form(goals="hello\x00world"))
    assert "goals" in err.value.errors


def test_html_in_free_text_is_kept_as_text_for_escaping_on_output() -> None:
    answers = qn.validate(Q.step("goals"), form(goals="<script>alert(1)</script>"))
    assert answers["goals"] == "<script>alert(1)</script>"


@pytest.mark.parametrize(("step", "values", "key"), [
    ("about", {"together_for": "forever"}, "together_for"),
    ("preferences", {"coach_language": "klingon"}, "coach_language"),
    ("satisfaction", {"csi1": "7"}, "csi1"),
    ("safety", {"fear": "maybe"}, "fear"),
])
def test_a_choice_that_is_not_offered_is_refused(step, values, key) -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.step(step), form(**values))
    assert err.value.errors[key] == "Please choose one of the options shown."


def test_concerns_come_back_in_priority_order() -> None:
    answers = qn.validate(Q.step("concerns"), {"concerns-trust": ["2"], "concerns-infidelity": ["1"],
                                                "concerns-parenting": ["3"], "concerns-conflict": [""]})
    assert answers["concerns"] == ["infidelity", "trust", "parenting"]


@pytest.mark.parametrize("ranks", [
    {"concerns-trust": ["1"], "concerns-intimacy": ["1"]},   # two the same
    {"concerns-trust": ["0"]},
    {"concerns-trust": ["10"]},
    {"concerns-trust": ["one"]},
    {},                                                      # nothing chosen
])
def test_invalid_or_missing_priorities_are_refused(ranks) -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.step("concerns"), ranks)
    assert "concerns" in err.value.errors


def test_languages_outside_the_list_are_refused() -> None:
    with pytest.raises(qn.AnswersInvalid):
        qn.validate(Q.personal, form(country="US", timezone="UTC", languages=["en", "xx"],
                                     free_times=["mon-evening"]))


def test_the_zone_is_checked_with_the_given_validator() -> None:
    with pytest.raises(qn.AnswersInvalid) as err:
        qn.validate(Q.personal, form(country="US", timezone="Mars/Olympus", languages=["en"],
                                     free_times=["mon-evening"]), zone_is_valid=lambda z: z == "UTC")
    assert set(err.value.errors) == {"timezone"}


def test_adjacent_grid_blocks_merge_into_one_range() -> None:
    assert qn.free_times_from_blocks({("mon", "evening"), ("mon", "late"), ("mon", "early"),
                                      ("sat", "morning")}) == {
        "mon": [["06:00", "09:00"], ["17:00", "23:00"]], "sat": [["09:00", "12:00"]]}


def test_a_saved_grid_shows_the_same_blocks_again() -> None:
    blocks = {("tue", "midday"), ("tue", "afternoon"), ("sun", "late")}
    assert qn.blocks_from_free_times(qn.free_times_from_blocks(blocks)) == blocks


def test_grid_values_outside_the_grid_are_refused() -> None:
    with pytest.raises(qn.AnswersInvalid):
        qn.validate(Q.personal, form(country="US", timezone="UTC", languages=["en"],
                                     free_times=["funday-evening"]))
