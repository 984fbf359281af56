"""The trend chart's geometry and the divergence rule (pure)."""

from __future__ import annotations

import pytest

from coaching.checkins import chart
from coaching.checkins.chart import Series, build_chart, distressed, diverges


@pytest.mark.parametrize(("a", "b", "expected"), [
    (8, 13, True),     # 5 apart, both below the cutoff
    (8, 12, False),    # 4 apart, both below
    (14, 18, False),   # 4 apart, both above
    (14, 19, True),    # 5 apart, both above
    (13, 14, True),    # 1 apart but either side of 13.5
    (14, 13, True),    # order does not matter
    (13, 13, False),   # equal, below
    (21, 21, False),
    (0, 21, True),
    (13.5, 14, False),  # 13.5 itself is not below the cutoff: same side as 14
    (13.5, 13, True),   # ... and so opposite to 13
    (13.4, 13.0, False),
])
def test_partners_diverge_when_5_apart_or_either_side_of_the_cutoff(a, b, expected):
    assert diverges(a, b) is expected


@pytest.mark.parametrize(("score", "expected"), [(13, True), (13.49, True), (13.5, False), (14, False), (0, True)])
def test_a_score_below_13_5_is_distressed(score, expected):
    assert distressed(score) is expected


def test_a_score_maps_to_height_with_0_on_the_bottom_edge_and_21_on_the_top():
    c = build_chart(["Intake", "Jan"], [Series("A", "a", (0, 21))], width=640, height=300)
    low, high = c.lines[0].points
    assert low.y == c.bottom and high.y == c.top
    assert c.top < c.cutoff_y < c.bottom
    # 13.5 of 21 up from the bottom
    assert c.cutoff_y == pytest.approx(c.bottom - (c.bottom - c.top) * 13.5 / 21, abs=0.05)


@pytest.mark.parametrize(("count", "expected"), [
    (0, ()), (1, (50.0,)), (2, (0.0, 100.0)), (3, (0.0, 50.0, 100.0)), (5, (0.0, 25.0, 50.0, 75.0, 100.0)),
])
def test_occasions_are_evenly_spaced_and_a_single_one_is_centred(count, expected):
    assert chart.x_positions(count, 0, 100) == expected


def test_columns_span_the_plot_from_left_to_right_edge():
    c = build_chart(["Intake", "1", "2", "3"], [Series("A", "a", (8, 10, 12, 15))])
    xs = [p.x for p in c.lines[0].points]
    assert xs[0] == c.left and xs[-1] == c.right and xs == sorted(xs)
    assert [(label, anchor) for _x, label, anchor in c.x_labels] == [
        ("Intake", "start"), ("1", "middle"), ("2", "middle"), ("3", "end")]


def test_a_missing_answer_splits_the_line_and_has_no_point():
    c = build_chart(["Intake", "1", "2", "3"], [Series("A", "a", (8, None, 12, 15))])
    line = c.lines[0]
    assert [p.label for p in line.points] == ["Intake", "2", "3"]
    assert len(line.segments) == 2 and len(line.segments[0].split()) == 1 and len(line.segments[1].split()) == 2


def test_markers_stand_on_divergent_occasions_between_the_two_points():
    a = Series("Sam", "a", (8, 10, 13, None))
    b = Series("Alex", "b", (17, 12, 14, 20))
    c = build_chart(["Intake", "1", "2", "3"], [a, b])
    assert [m.index for m in c.markers] == [0, 2]  # 9 apart; 2 apart same side; across 13.5; B alone
    first = c.markers[0]
    pa, pb = c.lines[0].points[0], c.lines[1].points[0]
    assert first.x == pa.x == pb.x
    assert (first.y_top, first.y_bottom) == (min(pa.y, pb.y), max(pa.y, pb.y))


def test_one_partners_chart_has_no_divergence_markers():
    c = build_chart(["Intake", "1"], [Series("You", "a", (2, 20))])
    assert c.markers == ()


@pytest.mark.parametrize("scores", [(22,), (-1,)])
def test_a_score_outside_0_to_21_is_refused(scores):
    with pytest.raises(ValueError, match="outside"):
        build_chart(["Intake"], [Series("A", "a", scores)])


def test_a_series_with_the_wrong_number_of_scores_is_refused():
    with pytest.raises(ValueError, match="occasions"):
        build_chart(["Intake", "1"], [Series("A", "a", (8,))])


def test_a_chart_without_any_score_is_empty():
    assert build_chart(["Intake"], [Series("A", "a", (None,))]).is_empty
    assert build_chart([], []).is_empty


def test_many_occasions_label_at_most_six_columns_and_a_single_one_is_centred():
    labels = [str(i) for i in range(14)]
    c = build_chart(labels, [Series("A", "a", tuple(range(14)))])
    assert [label for _x, label, _a in c.x_labels] == ["0", "3", "6", "9", "12"]
    (only,) = build_chart(["Intake"], [Series("A", "a", (9,))]).x_labels
    assert only[2] == "middle"
