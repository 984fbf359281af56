"""Register and forgot cost the same whether or not an email has an account.

Timing is measured by ``bench/bench_account_timing.py``; here the work itself is counted
(argon2 operations, emails queued, commits), which is what made the two paths differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from coaching import db
from coaching.notify.models import OutboxMessage
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts argon2 hashes and verifications, outbox rows written and commits."""
    counts: Counter[str] = Counter()
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self: PasswordHasher, *args: Any, **kwargs: Any) -> str:
        counts["argon2 hash"] += 1
        return real_hash(self, *args, **kwargs)

    def counting_verify(self: PasswordHasher, *args: Any, **kwargs: Any) -> bool:
        counts["argon2 verify"] += 1
        return real_verify(self, *args, **kwargs)

    def on_flush(session: Session, _context: Any, _instances: Any) -> None:
        counts["outbox rows"] += sum(isinstance(obj, OutboxMessage) for obj in session.new)

    def on_commit(_session: Session) -> None:
        counts["commits"] += 1

    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    event.listen(Session, "before_flush", on_flush)
    event.listen(Session, "after_commit", on_commit)
    yield counts
    event.remove(Session, "before_flush", on_flush)
    event.remove(Session, "after_commit", on_commit)


def measured(work: Counter[str], client: Any, path: str, data: dict[str, str]) -> Counter[str]:
    token = csrf_token(client, path)
    work.clear()
    response = client.post(path, data={**data, "csrf_token": token})
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:300]  # register redirects
    return Counter(work)


def test_registering_a_known_email_does_the_same_work_as_a_new_one(
        app: Any, client: Any, create_user: Any, work: Counter[str]) -> None:
    create_user("known@example.com")
    form = {"name": "Robin", "password": PASSWORD, "timezone": "Europe/London"}
    known = measured(work, client, "/account/register", {**form, "email": "known@example.com"})
    new = measured(work, client, "/account/register", {**form, "email": "new@example.com"})
    assert known == new
    assert known["argon2 hash"] == 1 and known["outbox rows"] == 1
    with app.app_context():
        kinds = db.session.scalars(select(OutboxMessage.kind).order_by(OutboxMessage.id)).all()
    assert kinds == ["already_registered", "verify_email"]


@pytest.mark.parametrize("unknown", ["ghost@example.com", "deactivated@example.com"])
def test_asking_for_a_reset_does_the_same_work_for_unknown_and_known_emails(
        app: Any, client: Any, create_user: Any, work: Counter[str], unknown: str) -> None:
    from coaching.accounts.models import User

    create_user("known@example.com")
    gone = create_user("deactivated@example.com")
    with app.app_context():
        db.session.get(User, gone.id).is_active = False
        db.session.commit()
    known = measured(work, client, "/account/forgot", {"email": "known@example.com"})
    other = measured(work, client, "/account/forgot", {"email": unknown})
    assert known == other
    assert known["outbox rows"] == 1
