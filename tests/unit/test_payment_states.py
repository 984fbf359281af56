"""The payment state machine: allowed transitions as a table."""

from __future__ import annotations

import pytest

from coaching.payments.states import (ALLOWED, InvalidTransition, PaymentStatus as S, can_move, move,
                                      status_after_refund)


@pytest.mark.parametrize(("current", "target"), [
    (S.PENDING, S.PAID), (S.PENDING, S.PROCESSING), (S.PENDING, S.EXPIRED), (S.PENDING, S.VOID),
    (S.PROCESSING, S.PAID), (S.PROCESSING, S.FAILED), (S.INVOICED, S.PAID), (S.INVOICED, S.VOID),
    (S.PAID, S.PARTIALLY_REFUNDED), (S.PAID, S.REFUNDED), (S.PARTIALLY_REFUNDED, S.REFUNDED),
    (S.EXPIRED, S.PAID), (S.VOID, S.PAID), (S.FAILED, S.PAID),
])
def test_allowed_transition_moves(current, target):
    assert move(current, target) is target


@pytest.mark.parametrize(("current", "target"), [
    (S.PAID, S.PENDING), (S.PAID, S.EXPIRED), (S.PAID, S.FAILED), (S.REFUNDED, S.PAID),
    (S.EXPIRED, S.PENDING), (S.INVOICED, S.REFUNDED), (S.PENDING, S.REFUNDED), (S.PAID, S.PAID),
])
def test_refused_transition_raises(current, target):
    assert not can_move(current, target)
    with pytest.raises(InvalidTransition):
        move(current, target)


def test_every_status_has_a_row_in_the_table():
    assert set(ALLOWED) == set(S)


def test_a_refunded_payment_is_final():
    assert ALLOWED[S.REFUNDED] == frozenset()


@pytest.mark.parametrize(("amount", "refunded", "expected"), [
    (5000, 0, S.PAID), (5000, 1, S.PARTIALLY_REFUNDED), (5000, 4999, S.PARTIALLY_REFUNDED),
    (5000, 5000, S.REFUNDED),
])
def test_status_after_refund_follows_the_refunded_amount(amount, refunded, expected):
    assert status_after_refund(amount, refunded) is expected


@pytest.mark.parametrize("refunded", [-1, 5001])
def test_refund_beyond_the_amount_is_refused(refunded):
    with pytest.raises(ValueError):
        status_after_refund(5000, refunded)
