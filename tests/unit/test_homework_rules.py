"""Who sees what of a shared summary, and which texts can be stored (pure rules)."""

from __future__ import annotations

import pytest

from coaching.homework import rules
from coaching.homework.rules import COACH_ONLY, SHARED, InvalidText

A, B = 1, 2


def test_a_joint_summary_is_seen_by_both_partners():
    assert rules.partner_sees_summary(None, A) and rules.partner_sees_summary(None, B)


def test_an_individual_summary_is_seen_only_by_its_partner():
    assert rules.partner_sees_summary(A, A)
    assert not rules.partner_sees_summary(A, B)


@pytest.mark.parametrize(("author", "visibility", "viewer", "seen"), [
    (A, COACH_ONLY, A, True),
    (A, COACH_ONLY, B, False),
    (A, SHARED, B, True),
    (A, SHARED, A, True),
    (B, "anything else", A, False),
])
def test_a_reflection_on_a_joint_summary_is_seen_by_its_author_and_by_the_other_only_when_shared(
        author, visibility, viewer, seen):
    assert rules.partner_sees_reflection(None, author, visibility, viewer) is seen


def test_no_reflection_on_an_individual_summary_reaches_the_other_partner_even_marked_shared():
    assert not rules.partner_sees_reflection(A, A, SHARED, B)
    assert rules.partner_sees_reflection(A, A, COACH_ONLY, A)


def test_a_reflection_on_an_individual_session_can_only_be_for_the_coach():
    assert rules.reflection_choices(individual=True) == (COACH_ONLY,)
    assert rules.reflection_choices(individual=False) == (COACH_ONLY, SHARED)


def test_text_is_trimmed_and_its_line_endings_unified():
    assert rules.clean_text("  one\r\ntwo\rthree\n ", field="f", limit=50, label="x") == "one\ntwo\nthree"


@pytest.mark.parametrize(("value", "why"), [
    ("", "Please write"), ("   \n ", "Please write"), (None, "Please write"),
    ("x" * 11, "too long"), ("nul\x00byte", "characters"), ("bell\x07", "characters"), ("del\x7f", "characters"),
])
def test_empty_oversized_or_control_character_text_is_refused_with_a_reason(value, why):
    with pytest.raises(InvalidText) as caught:
        rules.clean_text(value, field="summary", limit=10, label="summary")
    assert caught.value.field == "summary" and why in caught.value.message


def test_homework_is_one_item_per_line_skipping_blank_lines():
    assert rules.homework_items("Walk together\n\n  Write a letter \n") == ["Walk together", "Write a letter"]


@pytest.mark.parametrize(("value", "why"), [
    ("\n".join(f"item {n}" for n in range(rules.ITEMS_MAX + 1)), f"At most {rules.ITEMS_MAX}"),
    ("short\n" + "y" * (rules.ITEM_MAX + 1), "item 2 is too long"),
    ("", "Please write"),
])
def test_too_many_too_long_or_no_homework_items_are_refused(value, why):
    with pytest.raises(InvalidText) as caught:
        rules.homework_items(value)
    assert why in caught.value.message
