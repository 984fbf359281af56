"""The client home's next step follows the welcome-call design and the viewer's own bookings."""

from datetime import UTC, datetime, timedelta

from coaching.public.portal import Seen, next_action

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
KW = {"welcome_slug": "welcome", "joint_slug": "consultation"}


def seen(slug, status="confirmed", days=1, mine=True, id=1):
    start = NOW + timedelta(days=days)
    return Seen(id=id, slug=slug, status=status, starts_at=start, ends_at=start + timedelta(minutes=50),
                booked_by_viewer=mine)


def test_with_no_welcome_call_booked_the_next_step_is_booking_it():
    assert next_action("welcome_calls", [], NOW, **KW) == ("welcome_calls", None)


def test_a_booked_welcome_call_is_the_next_step_and_names_that_booking():
    call = seen("welcome")
    assert next_action("welcome_calls", [call], NOW, **KW) == ("welcome_booked", call)


def test_after_the_welcome_call_the_partner_waits_for_the_coach_to_open_joint_sessions():
    assert next_action("welcome_calls", [seen("welcome", "completed", days=-1)], NOW, **KW)[0] == "welcome_had"


def test_the_other_partners_welcome_call_does_not_change_my_next_step():
    assert next_action("welcome_calls", [seen("welcome", mine=False)], NOW, **KW) == ("welcome_calls", None)


def test_once_joint_sessions_open_a_booked_consultation_is_shown_then_the_next_session():
    consult = seen("consultation")
    assert next_action("joint_sessions", [consult], NOW, **KW) == ("consultation_booked", consult)
    assert next_action("joint_sessions", [seen("consultation", "completed", days=-1)], NOW, **KW) == ("book_next", None)
    assert next_action("joint_sessions", [seen("consultation", "cancelled")], NOW, **KW) == ("joint_sessions", None)


def test_steps_before_a_coach_is_chosen_are_left_alone():
    assert next_action("matching", [seen("welcome")], NOW, **KW) == ("matching", None)
