"""The booking state machine, transition by transition."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.scheduling.lifecycle import (
    CANCELLED, COMPLETED, CONFIRMED, EXPIRED, HELD, NO_SHOW, TRANSITIONS, BookingState, TransitionRefused,
    next_status, within_cancellation_window,
)

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
LATER = NOW + timedelta(days=2)
EARLIER = NOW - timedelta(hours=2)
EVENTS = ["confirm", "expire", "release", "cancel", "reschedule", "complete", "no_show"]
ALL = [HELD, CONFIRMED, COMPLETED, NO_SHOW, EXPIRED, CANCELLED]


@pytest.mark.parametrize(("status", "event", "starts", "expected"), [
    pytest.param(HELD, "confirm", LATER, CONFIRMED, id="live-hold-is-confirmed"),
    pytest.param(HELD, "expire", LATER, EXPIRED, id="hold-expires"),
    pytest.param(HELD, "release", LATER, EXPIRED, id="released-hold-ends-unpaid"),
    pytest.param(HELD, "cancel", LATER, CANCELLED, id="hold-is-cancelled"),
    pytest.param(CONFIRMED, "cancel", LATER, CANCELLED, id="booking-is-cancelled"),
    pytest.param(CONFIRMED, "reschedule", LATER, CANCELLED, id="rescheduled-booking-gives-way"),
    pytest.param(CONFIRMED, "complete", EARLIER, COMPLETED, id="started-session-is-completed"),
    pytest.param(CONFIRMED, "no_show", EARLIER, NO_SHOW, id="started-session-is-a-no-show"),
])
def test_allowed_transition_reaches_its_status(status, event, starts, expected):
    state = BookingState(status, starts, hold_expires_at=NOW + timedelta(minutes=5))
    assert next_status(state, event, NOW) == expected


REFUSED = [(s, e) for s in ALL for e in EVENTS if (s, e) not in TRANSITIONS]


def test_the_table_allows_exactly_the_documented_transitions():
    assert len(TRANSITIONS) == 8 and len(REFUSED) == len(ALL) * len(EVENTS) - 8


@pytest.mark.parametrize(("status", "event"), REFUSED)
def test_every_transition_outside_the_table_is_refused(status, event):
    with pytest.raises(TransitionRefused):
        next_status(BookingState(status, LATER), event, NOW)


def test_expired_hold_never_becomes_a_booking():
    state = BookingState(HELD, LATER, hold_expires_at=NOW)
    with pytest.raises(TransitionRefused, match="expired"):
        next_status(state, "confirm", NOW)


@pytest.mark.parametrize("event", ["complete", "no_show"])
def test_future_session_cannot_be_marked_completed_or_no_show(event):
    with pytest.raises(TransitionRefused, match="not started"):
        next_status(BookingState(CONFIRMED, LATER), event, NOW)


@pytest.mark.parametrize("event", ["cancel", "reschedule"])
def test_started_session_cannot_be_cancelled_or_moved(event):
    with pytest.raises(TransitionRefused, match="already started"):
        next_status(BookingState(CONFIRMED, EARLIER), event, NOW)


@pytest.mark.parametrize(("hours_before", "allowed"), [(48, True), (24, True), (23.9, False), (1, False)])
def test_client_may_cancel_only_outside_the_policy_window(hours_before, allowed):
    assert within_cancellation_window(NOW + timedelta(hours=hours_before), NOW, 24) is allowed
