"""Racing requests with one TOTP code or one recovery code: exactly one wins (SQLite and PostgreSQL);
the secret is a Fernet token in the database on both."""

from __future__ import annotations

import threading
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from coaching import db
from coaching.accounts.models import Role
from coaching.config import TEST_DATA_KEY
from coaching.twofactor import services, totp
from tests.scheduling_data import create_user_row

RACERS = 8


def _enrolled_coach(app: Any) -> tuple[int, str, list[str]]:
    with app.test_request_context():
        user = create_user_row("racer@example.com", role=Role.COACH)
        db.session.commit()
        services.start_enrolment(db.session, user)
        secret = services.factor_of(db.session, user.id).secret
        from coaching import clock

        enrolled = services.confirm_enrolment(db.session, user, totp.code_at(secret, clock.now()),
                                              login_session_id=0, pending=False)
        return user.id, secret, enrolled.recovery_codes


def _half_way_sign_ins(app: Any, user_id: int) -> list[str]:
    """RACERS sign-ins of the user that passed the password and wait for the code (their secrets)."""
    from coaching.accounts.models import User
    from coaching.accounts.services import start_login_session

    with app.test_request_context():
        user = db.session.get(User, user_id)
        return [start_login_session(db.session, user, remember=False) for _ in range(RACERS)]


def _race(app: Any, secrets: list[str], code: str) -> list[bool]:
    """Each racer passes its own half-way sign-in with ``code``, all at once, as the code page does."""
    barrier = threading.Barrier(RACERS)
    results: list[bool] = []
    lock = threading.Lock()

    def run(secret: str) -> None:
        with app.test_request_context():
            pending = services.pending_sign_in(db.session, secret)
            assert pending is not None
            barrier.wait()
            try:
                services.verify_sign_in(db.session, pending, code)
                ok = True
            except services.SecondFactorError:
                ok = False
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=run, args=(secret,)) for secret in secrets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == RACERS  # no racer failed with an error
    return results


def test_one_code_sent_by_racing_requests_is_accepted_once(app: Any, frozen_clock: Any) -> None:
    user_id, secret, _codes = _enrolled_coach(app)
    frozen_clock.advance(seconds=30)
    results = _race(app, _half_way_sign_ins(app, user_id), totp.code_at(secret, frozen_clock()))
    assert sorted(results) == [False] * (RACERS - 1) + [True]


def test_one_recovery_code_sent_by_racing_requests_is_spent_once(app: Any, frozen_clock: Any) -> None:
    user_id, _secret, codes = _enrolled_coach(app)
    results = _race(app, _half_way_sign_ins(app, user_id), codes[0])
    assert sorted(results) == [False] * (RACERS - 1) + [True]
    with app.app_context():
        assert services.recovery_codes_left(db.session, user_id) == 9


def test_the_secret_is_stored_as_a_fernet_token(app: Any, frozen_clock: Any) -> None:
    user_id, secret, codes = _enrolled_coach(app)
    with app.app_context():
        stored = db.session.execute(text("SELECT secret FROM second_factors WHERE user_id = :id"),
                                    {"id": user_id}).scalar_one()
        assert secret not in stored
        assert Fernet(TEST_DATA_KEY).decrypt(stored.encode()).decode() == secret
        dump = " ".join(db.session.execute(text("SELECT code_hash FROM recovery_codes")).scalars())
        assert all(code.replace("-", "") not in dump and code not in dump for code in codes)
