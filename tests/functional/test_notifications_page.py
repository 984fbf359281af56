"""``/account/notifications`` over HTTP: each person turns reminders (and, for clients, homework
emails) on or off; CSRF, roles, hostile input; the choice is honoured by what is sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.reminders.models import NotificationPreference
from tests.conftest import csrf_token
from tests.homework_data import EMAILS, build_world, publish
from tests.mail import sent_emails
from tests.scheduling_data import user_by_email

PAGE = "/account/notifications"


def checkbox(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    return match.group(0) if match else None


def prefs(app, user_id):
    with app.app_context():
        return db.session.scalar(select(NotificationPreference).where(NotificationPreference.user_id == user_id))


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_a_client_sees_both_choices_on_by_default_and_the_reminder_times(client, create_user, login_as):
    login_as(create_user())
    html = client.get(PAGE).get_data(as_text=True)
    assert "checked" in checkbox(html, "reminders") and "checked" in checkbox(html, "homework_emails")
    assert "24 hours and 1 hour before each session" in html
    assert '<label for="reminders">' in html and "<legend>Optional emails</legend>" in html
    assert 'href="/account/notifications"' in client.get("/account/settings").get_data(as_text=True)


def test_turning_reminders_off_and_on_again(app, client, create_user, login_as):
    user = create_user()
    login_as(user)
    saved = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "homework_emails": "y"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(PAGE)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Your email choices are saved." in html
    assert "checked" not in checkbox(html, "reminders") and "checked" in checkbox(html, "homework_emails")
    row = prefs(app, user.id)
    assert (row.reminders, row.homework_emails) == (False, True)
    client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "reminders": "y"})
    row = prefs(app, user.id)
    assert (row.reminders, row.homework_emails) == (True, False)


def test_a_post_without_the_csrf_token_changes_nothing(app, client, create_user, login_as):
    user = create_user()
    login_as(user)
    assert client.post(PAGE, data={}).status_code == 400
    assert prefs(app, user.id) is None


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "0" * 5000, "false"])
def test_hostile_values_are_read_as_a_checkbox_never_a_500(app, client, create_user, login_as, value):
    user = create_user()
    login_as(user)
    response = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "reminders": value})
    assert response.status_code in (303, 400)
    assert "<script>alert" not in client.get(PAGE).get_data(as_text=True)


def test_a_control_character_is_refused(client, create_user, login_as):
    login_as(create_user())
    response = client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE), "reminders": "y\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("role", [Role.COACH, Role.ADMIN])
def test_staff_choose_reminders_only(app, client, create_user, login_as, role):
    user = create_user(role=role)
    login_as(user)
    html = client.get(PAGE).get_data(as_text=True)
    assert checkbox(html, "reminders") and checkbox(html, "homework_emails") is None
    assert client.post(PAGE, data={"csrf_token": csrf_token(client, PAGE)}).status_code == 303
    row = prefs(app, user.id)
    assert (row.reminders, row.homework_emails) == (False, True)


def test_a_partner_who_turned_homework_emails_off_is_not_emailed_when_a_summary_is_shared(app, frozen_clock):
    with app.app_context():
        world = build_world()
    sam = app.test_client()
    from tests.conftest import login

    assert login(sam, EMAILS["sam"]).status_code == 302
    assert sam.post(PAGE, data={"csrf_token": csrf_token(sam, PAGE), "reminders": "y"}).status_code == 303
    with app.app_context():
        publish(world, "joint")
        assert sent_emails(to=EMAILS["sam"], kind="homework_shared") == []
        assert len(sent_emails(to=EMAILS["alex"], kind="homework_shared")) == 1


@pytest.fixture
def swept(monkeypatch):
    from coaching.reminders import views

    monkeypatch.setattr(views, "_last_sweep", 0.0)
    return views


@pytest.mark.parametrize("config_overrides", [{"REMINDERS_WEB_SWEEP": True}])
def test_without_a_worker_the_web_process_sends_due_reminders_at_most_once_a_minute(app, client, frozen_clock,
                                                                                     swept):
    from datetime import UTC, datetime, timedelta

    from coaching.scheduling import services
    from tests.scheduling_data import create_coach, create_couple, create_session_type

    start = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        create_couple("ana@example.com", "ben@example.com")
        services.place_hold(db.session, user=user_by_email("ana@example.com"), coach_id=coach.id,
                            session_type_slug="consultation", start=start, now=frozen_clock.at)
    frozen_clock.set(start - timedelta(hours=1))
    client.get("/").close()
    with app.app_context():
        assert len(sent_emails(kind="booking_reminder")) == 3
    frozen_clock.set(start - timedelta(minutes=1))
    with app.app_context():
        from coaching.reminders.models import Reminder
        from sqlalchemy import update

        db.session.execute(update(Reminder).values(sent_at=None, state="pending"))
        db.session.commit()
    client.get("/").close()
    with app.app_context():
        assert len(sent_emails(kind="booking_reminder")) == 3
