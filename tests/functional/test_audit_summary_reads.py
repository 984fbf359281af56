"""Every read of an intake summary is in the access log; a refused one leaves no entry."""

from __future__ import annotations

from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.audit.models import AuditEvent
from tests.scheduling_data import create_coach, create_couple, user_by_email


def test_a_coach_reading_the_intake_summary_leaves_one_summary_read_entry(app, client, login_as, frozen_clock):
    with app.app_context():
        coach = create_coach("ana@example.com")
        couple = create_couple("sam@example.com", "alex@example.com")
        couple.coach_id = coach.id
        db.session.commit()
        couple_id, coach_user = couple.id, user_by_email("ana@example.com")
    login_as(coach_user)
    assert client.get(f"/intake/couples/{couple_id}/summary").status_code == 200
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent)).all()
        assert (event.action, event.couple_id, event.actor_id, event.actor_role) == (
            "summary_read", couple_id, coach_user.id, "coach")
        assert event.object_type == "intake_summary" and event.ip == "127.0.0.1"


def test_a_refused_summary_read_leaves_no_entry(app, client, login_as):
    with app.app_context():
        create_coach("ana@example.com")
        couple_id = create_couple("sam@example.com", "alex@example.com").id
        create_coach("una@example.com")
        outsider = user_by_email("una@example.com")
    login_as(outsider)
    assert client.get(f"/intake/couples/{couple_id}/summary").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_an_admin_reading_the_summary_is_logged_with_the_admin_role(app, client, login_as, create_user):
    admin = create_user(role=Role.ADMIN)
    with app.app_context():
        couple_id = create_couple("sam@example.com", "alex@example.com").id
    login_as(admin)
    assert client.get(f"/intake/couples/{couple_id}/summary").status_code == 200
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.actor_role)).all() == ["admin"]
