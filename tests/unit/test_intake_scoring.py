"""CSI-4 scoring against the published scale, and the safety-screen rule."""

from __future__ import annotations

import pytest

from coaching.intake.scoring import CSI4_CUTOFF, CSI4_MAX, evaluate_safety, score_csi4

NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}


def csi(a: int, b: int, c: int, d: int) -> dict[str, int]:
    return {"csi1": a, "csi2": b, "csi3": c, "csi4": d}


def test_the_scale_runs_from_0_to_21() -> None:
    assert CSI4_MAX == 21
    assert score_csi4(csi(0, 0, 0, 0)).total == 0
    assert score_csi4(csi(6, 5, 5, 5)).total == 21


@pytest.mark.parametrize(("items", "total", "dissatisfied"), [
    (csi(3, 3, 3, 4), 13, True),    # just below the 13.5 cutoff
    (csi(3, 4, 3, 4), 14, False),   # just above it
    (csi(0, 0, 0, 0), 0, True),
    (csi(6, 5, 5, 5), 21, False),
    (csi(6, 0, 0, 0), 6, True),
])
def test_a_total_below_13_5_indicates_notable_dissatisfaction(items, total, dissatisfied) -> None:
    score = score_csi4(items)
    assert (score.total, score.dissatisfied) == (total, dissatisfied)
    assert ("notable dissatisfaction" in score.band) is dissatisfied
    assert CSI4_CUTOFF == 13.5


@pytest.mark.parametrize("items", [
    csi(7, 0, 0, 0),        # item 1 tops out at 6
    csi(0, 6, 0, 0),        # items 2-4 top out at 5
    csi(0, 0, 6, 0),
    csi(0, 0, 0, 6),
    csi(-1, 0, 0, 0),
    {"csi1": 1, "csi2": 1, "csi3": 1},                 # missing item
    {**csi(1, 1, 1, 1), "csi5": 1},                      # unknown item
    {"csi1": "x", "csi2": 1, "csi3": 1, "csi4": 1},    # not a number
    {"csi1": True, "csi2": 1, "csi3": 1, "csi4": 1},   # a bool is not a score
])
def test_out_of_range_missing_or_unknown_items_are_refused(items) -> None:
    with pytest.raises(ValueError):
        score_csi4(items)


def test_items_given_as_digit_strings_are_scored() -> None:
    assert score_csi4({"csi1": "6", "csi2": "5", "csi3": "5", "csi4": "5"}).total == 21


def test_a_screen_with_no_concerning_answer_is_negative() -> None:
    result = evaluate_safety(NEGATIVE)
    assert not result.positive and result.reasons == ()


@pytest.mark.parametrize(("answer", "reason"), [
    ({"fear": "sometimes"}, "fear"),
    ({"fear": "often"}, "fear"),
    ({"physical_harm": "yes"}, "physical_harm"),
    ({"threats": "yes"}, "threats"),
    ({"forced_sex": "yes"}, "forced_sex"),
    ({"self_harm": "yes"}, "self_harm"),
])
def test_any_fear_harm_threat_forced_sex_or_self_harm_answer_makes_the_screen_positive(answer, reason) -> None:
    result = evaluate_safety({**NEGATIVE, **answer})
    assert result.positive
    assert reason in result.reasons


def test_self_harm_is_reported_so_the_self_harm_line_can_be_shown() -> None:
    assert evaluate_safety({**NEGATIVE, "self_harm": "yes"}).self_harm
    assert not evaluate_safety({**NEGATIVE, "threats": "yes"}).self_harm


@pytest.mark.parametrize("item", ["monitoring", "money", "isolation"])
def test_coercive_control_alone_is_reported_but_does_not_make_the_screen_positive(item) -> None:
    result = evaluate_safety({**NEGATIVE, item: "yes"})
    assert not result.positive
    assert result.reasons == ("coercive_control",)


@pytest.mark.parametrize("answers", [
    {k: v for k, v in NEGATIVE.items() if k != "threats"},
    {**NEGATIVE, "fear": "always"},
    {**NEGATIVE, "threats": "maybe"},
    {**NEGATIVE, "self_harm": ""},
])
def test_an_incomplete_or_invalid_screen_is_refused(answers) -> None:
    with pytest.raises(ValueError):
        evaluate_safety(answers)
