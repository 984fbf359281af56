"""Sign-ins and API tokens in the database (SQLite and PostgreSQL): revoke, expire, list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from coaching import db
from coaching.accounts import services
from coaching.accounts.models import ApiToken, LoginSession, Role, User


def fresh(user_id: int) -> User:
    return db.session.get(User, user_id)


def test_a_password_change_keeps_only_the_current_sign_in_and_revokes_every_token(
        app: Flask, create_user: Any, frozen_clock: Any) -> None:
    user = create_user()
    with app.test_request_context():
        other = create_user()
        current = fresh(user.id)
        elsewhere = services.start_login_session(db.session, fresh(user.id), remember=True)
        kept = services.start_login_session(db.session, current, remember=False)
        strangers = services.start_login_session(db.session, fresh(other.id), remember=False)
        token = services.create_api_token(db.session, current, "t")
        strangers_token = services.create_api_token(db.session, fresh(other.id), "t")
        services.change_password(db.session, current, "correct horse battery", "a new long password")
        db.session.expire_all()
        assert services.user_for_login_session(db.session, elsewhere) is None
        assert services.user_for_login_session(db.session, kept).id == user.id
        assert services.user_for_login_session(db.session, strangers).id == other.id
        assert services.user_for_api_token(db.session, token) is None
        assert services.user_for_api_token(db.session, strangers_token).id == other.id


def test_timed_out_sign_ins_are_not_listed_and_stay_ended(app: Flask, create_user: Any, frozen_clock: Any) -> None:
    coach = create_user(role=Role.COACH)
    with app.test_request_context():
        early = services.start_login_session(db.session, fresh(coach.id), remember=False, user_agent="A")
        frozen_clock.advance(minutes=20)
        services.start_login_session(db.session, fresh(coach.id), remember=False, user_agent="B")
        frozen_clock.advance(minutes=app.config["SESSION_IDLE_MINUTES_STAFF"] - 10)
        assert [s.user_agent for s in services.live_login_sessions(db.session, fresh(coach.id))] == ["B"]
        assert services.user_for_login_session(db.session, early) is None
        frozen_clock.advance(minutes=-60)
        assert services.user_for_login_session(db.session, early) is None
        [ended] = [s for s in db.session.query(LoginSession) if s.user_agent == "A"]
        assert ended.revoked_at is not None


def test_an_api_token_expires_after_the_configured_days(app: Flask, create_user: Any, frozen_clock: Any) -> None:
    user = create_user()
    with app.test_request_context():
        new = services.issue_api_token(db.session, fresh(user.id), "t")
        assert new.expires_at == frozen_clock.at + timedelta(days=app.config["API_TOKEN_DAYS"])
        [row] = db.session.query(ApiToken).all()
        assert row.expires_at == new.expires_at and row.token_hash != new.token
        frozen_clock.set(new.expires_at - timedelta(seconds=1))
        assert services.user_for_api_token(db.session, new.token) is not None
        frozen_clock.set(new.expires_at)
        assert services.user_for_api_token(db.session, new.token) is None
        assert services.active_api_tokens(db.session, fresh(user.id)) == []


def test_signing_in_forgets_that_users_sign_ins_older_than_the_absolute_limit(
        app: Flask, create_user: Any, frozen_clock: Any) -> None:
    user, other = create_user(), create_user()
    with app.test_request_context():
        services.start_login_session(db.session, fresh(user.id), remember=True, user_agent="old")
        services.start_login_session(db.session, fresh(other.id), remember=True, user_agent="other's old")
        frozen_clock.advance(hours=app.config["SESSION_MAX_HOURS_CLIENT"], seconds=1)
        services.start_login_session(db.session, fresh(user.id), remember=False, user_agent="new")
        agents = sorted(s.user_agent for s in db.session.query(LoginSession))
        assert agents == ["new", "other's old"]
