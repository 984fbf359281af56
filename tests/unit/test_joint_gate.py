"""When a coach may open joint sessions: after both welcome calls, and past an unresolved
safety flag only with the coach's review and a note."""

from __future__ import annotations

import pytest

from coaching.scheduling.gate import OpeningRequest, opening_refusal


def request(**kw) -> OpeningRequest:
    base = dict(already_open=False, welcome_calls_completed=(True, True), unresolved_flags=0)
    base.update(kw)
    return OpeningRequest(**base)


def test_a_coach_opens_joint_sessions_after_both_welcome_calls() -> None:
    assert opening_refusal(request()) is None


@pytest.mark.parametrize("calls", [(), (True,), (True, False), (False, False)])
def test_joint_sessions_stay_closed_until_both_welcome_calls_are_completed(calls) -> None:
    assert "welcome calls" in opening_refusal(request(welcome_calls_completed=calls))


def test_an_unresolved_flag_needs_the_coaches_review_and_a_note() -> None:
    assert "safety flag" in opening_refusal(request(unresolved_flags=1))
    assert "safety flag" in opening_refusal(request(unresolved_flags=1, flags_reviewed=True, note="  "))
    assert "safety flag" in opening_refusal(request(unresolved_flags=1, note="Spoke with both"))
    assert opening_refusal(request(unresolved_flags=1, flags_reviewed=True, note="Spoke with both")) is None


def test_opening_twice_is_refused_and_a_long_note_is_refused() -> None:
    assert "already open" in opening_refusal(request(already_open=True))
    assert "4000" in opening_refusal(request(unresolved_flags=1, flags_reviewed=True, note="x" * 4001))
