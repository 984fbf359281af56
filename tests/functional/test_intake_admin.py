"""The admin safety queue and the review workflow: acknowledge, note, resolve."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.intake.models import Couple, SafetyFlag, SafetyFlagNote
from tests.conftest import csrf_token
from tests.functional import intake_steps as steps


@pytest.fixture
def flagged(app, create_user):
    """A partner whose screen was positive, and a logged-in admin client."""
    partner = steps.logged_in(app, create_user(name="Robin Hart"))
    steps.start(partner)
    assert steps.answer_screen(partner, steps.POSITIVE).headers["Location"].endswith("/support")
    admin = steps.logged_in(app, create_user(role=Role.ADMIN))
    with app.app_context():
        flag_id = db.session.scalar(select(SafetyFlag.id))
    return admin, flag_id


def review(admin, flag_id, action, **data):
    token = csrf_token(admin, f"/admin/safety/{flag_id}")
    return admin.post(f"/admin/safety/{flag_id}/{action}", data={"csrf_token": token, **data})


def test_the_queue_lists_the_flag_with_a_link_to_the_summary(app, flagged):
    admin, flag_id = flagged
    html = admin.get("/admin/safety").get_data(as_text=True)
    assert f"/admin/safety/{flag_id}" in html and "/summary" in html and "open" in html


def test_acknowledge_note_and_resolve_are_recorded_in_order(app, flagged):
    admin, flag_id = flagged
    assert review(admin, flag_id, "acknowledge").status_code == 302
    assert review(admin, flag_id, "note", note="Called Robin, safe plan in place").status_code == 302
    assert review(admin, flag_id, "resolve", note="Individual sessions only").status_code == 302
    with app.app_context():
        flag = db.session.get(SafetyFlag, flag_id)
        assert flag.status.value == "resolved" and flag.acknowledged_at and flag.resolved_at
        assert [n.action for n in flag.notes] == ["acknowledge", "note", "resolve"]
        assert not db.session.get(Couple, flag.couple_id).joint_sessions_open  # the coach decides
    assert "Called Robin, safe plan in place" in admin.get(f"/admin/safety/{flag_id}").get_data(as_text=True)
    assert f"/admin/safety/{flag_id}" not in admin.get("/admin/safety").get_data(as_text=True)
    assert f"/admin/safety/{flag_id}" in admin.get("/admin/safety?all=1").get_data(as_text=True)


def test_resolving_a_flag_changes_nothing_in_the_couples_state(app, flagged):
    admin, flag_id = flagged
    with app.app_context():
        before = db.session.get(SafetyFlag, flag_id).couple.status
    assert review(admin, flag_id, "resolve", restore_joint_booking="y").status_code == 302
    with app.app_context():
        flag = db.session.get(SafetyFlag, flag_id)
        assert flag.status.value == "resolved"
        assert flag.couple.status == before and not flag.couple.joint_sessions_open
    assert "Allow joint sessions" not in admin.get(f"/admin/safety/{flag_id}").get_data(as_text=True)


def test_a_move_the_workflow_does_not_allow_is_a_409_and_changes_nothing(app, flagged):
    admin, flag_id = flagged
    review(admin, flag_id, "resolve")
    response = review(admin, flag_id, "acknowledge")
    assert response.status_code == 409 and "cannot be acknowledged" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SafetyFlag, flag_id).acknowledged_at is None


def test_an_empty_or_oversized_note_is_refused(app, flagged):
    admin, flag_id = flagged
    assert review(admin, flag_id, "note", note="").status_code == 409
    assert review(admin, flag_id, "note", note="n" * 4001).status_code == 422
    assert review(admin, flag_id, "explode").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(SafetyFlagNote)).all() == []


def test_notes_are_escaped_on_the_page(app, flagged):
    admin, flag_id = flagged
    review(admin, flag_id, "note", note="<b>bold</b>")
    html = admin.get(f"/admin/safety/{flag_id}").get_data(as_text=True)
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
