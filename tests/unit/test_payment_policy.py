"""Refund policy on cancellation, including the exact cutoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.payments.policy import RefundPolicy, cancellation_refund, check_manual_refund

START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
POLICY = RefundPolicy(refund_hours=24, late_percent=50)


@pytest.mark.parametrize(("before", "expected"), [
    (timedelta(days=3), 12000),
    (timedelta(hours=24), 12000),                        # exactly at the cutoff: full
    (timedelta(hours=24) - timedelta(microseconds=1), 6000),  # a moment after: late percent
    (timedelta(hours=1), 6000),
    (timedelta(0), 6000),
])
def test_cancellation_refund_depends_on_the_cutoff(before, expected):
    assert cancellation_refund(12000, 0, starts_at=START, cancelled_at=START - before, policy=POLICY) == expected


def test_coach_cancellation_always_refunds_in_full():
    assert cancellation_refund(12000, 0, starts_at=START, cancelled_at=START - timedelta(minutes=5),
                               policy=POLICY, by_coach=True) == 12000


def test_refund_never_exceeds_what_is_left():
    assert cancellation_refund(12000, 10000, starts_at=START, cancelled_at=START - timedelta(days=2),
                               policy=POLICY) == 2000
    assert cancellation_refund(12000, 12000, starts_at=START, cancelled_at=START - timedelta(days=2),
                               policy=POLICY) == 0


def test_late_percent_rounds_down_to_the_minor_unit():
    assert cancellation_refund(999, 0, starts_at=START, cancelled_at=START,
                               policy=RefundPolicy(24, 33)) == 329


@pytest.mark.parametrize(("hours", "percent"), [(-1, 50), (24, -1), (24, 101)])
def test_policy_refuses_nonsense_settings(hours, percent):
    with pytest.raises(ValueError):
        RefundPolicy(hours, percent)


def test_within_full_refund_window_decides_credit_return():
    assert POLICY.within_full_refund(START, START - timedelta(hours=24))
    assert not POLICY.within_full_refund(START, START - timedelta(hours=23, minutes=59))
    assert POLICY.within_full_refund(START, START, by_coach=True)


@pytest.mark.parametrize("requested", [0, -5, 2001])
def test_manual_refund_must_be_positive_and_within_what_is_left(requested):
    with pytest.raises(ValueError):
        check_manual_refund(5000, 3000, requested)


def test_manual_refund_of_exactly_what_is_left_is_allowed():
    check_manual_refund(5000, 3000, 2000)
