"""What an email says is encrypted while it waits and erased once sent (raw rows, both databases)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from alembic import command
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from coaching import crypto, db
from coaching.cli import alembic_config
from coaching.config import TEST_DATA_KEY
from coaching.db import make_engine
from coaching.notify.models import OutboxMessage, OutboxStatus
from coaching.notify.outbox import queue_email
from coaching.notify.tasks import deliver_now
from tests.smtp import SMTPServer, text_of

RESET_LINK = "https://tandem.example/account/reset/LIVE-RESET-TOKEN-123"
ICS = "BEGIN:VCALENDAR\r\nURL:https://tandem.example/bookings/manage/LIVE-MANAGE-TOKEN\r\nEND:VCALENDAR\r\n"
CONTENT = ("subject", "text_body", "html_body", "attachments")


@pytest.fixture
def later() -> SMTPServer:
    return SMTPServer()  # not listening until a test enters it


@pytest.fixture
def config_overrides(later: SMTPServer) -> dict[str, Any]:
    return {"SMTP_URL": later.url}


def raw_row(message_id: int) -> dict[str, Any]:
    with db.get_engine().connect() as conn:
        return dict(conn.execute(text("SELECT * FROM outbox_messages WHERE id = :id"), {"id": message_id})
                    .mappings().one())


def queue_reset(app: Any) -> int:
    with app.app_context():
        message = queue_email(db.session, "robin@example.com", "reset_password", user=SimpleNamespace(name="Robin"),
                              link=RESET_LINK, attachments=[{"filename": "s.ics", "content_type": "text/calendar",
                                                             "content": ICS}])
        db.session.commit()  # delivery is tried at once and fails: the SMTP server is down
        return message.id


def test_a_waiting_email_is_stored_only_as_ciphertext_that_the_data_keys_open(app: Any) -> None:
    message_id = queue_reset(app)
    with app.app_context():
        row = raw_row(message_id)
        assert row["status"] == "pending" and row["attempts"] == 1
        for column in CONTENT:
            assert row[column] and "LIVE-" not in row[column] and "Robin" not in row[column], column
        assert RESET_LINK in crypto.decrypt(row["text_body"])
        assert RESET_LINK in crypto.decrypt(row["html_body"])
        assert "LIVE-MANAGE-TOKEN" in crypto.decrypt(row["attachments"])
        with pytest.raises(InvalidToken):
            crypto.decrypt(row["text_body"], Fernet.generate_key().decode())


def test_a_sent_email_keeps_its_metadata_and_nothing_of_what_it_said(app: Any, later: SMTPServer,
                                                                      frozen_clock: Any) -> None:
    message_id = queue_reset(app)
    with later:
        frozen_clock.advance(minutes=5)
        with app.app_context():
            assert deliver_now() == 1
        [received] = later.inbox.wait_for("robin@example.com")
    assert RESET_LINK in text_of(received)  # the recipient got the whole message
    with app.app_context():
        row = raw_row(message_id)
        assert {column: row[column] for column in CONTENT} == dict.fromkeys(CONTENT)
        assert (row["to_addr"], row["kind"], row["status"], row["attempts"]) == (
            "robin@example.com", "reset_password", "sent", 2)
        assert row["created_at"] is not None and row["sent_at"] is not None
        assert db.session.get(OutboxMessage, message_id).status == OutboxStatus.SENT


def test_rotating_the_data_keys_re_encrypts_waiting_emails(app: Any) -> None:
    message_id = queue_reset(app)
    new_key = Fernet.generate_key().decode()
    app.config["DATA_KEYS"] = f"{new_key},{TEST_DATA_KEY}"
    with app.app_context():
        assert crypto.rotate_all(db.session) >= len(CONTENT)
        row = raw_row(message_id)
        assert RESET_LINK in crypto.decrypt(row["text_body"], new_key)
        with pytest.raises(InvalidToken):
            crypto.decrypt(row["text_body"], TEST_DATA_KEY)


def test_migration_erases_sent_emails_and_encrypts_waiting_ones_and_downgrade_restores_them(
        database_url: str, monkeypatch: pytest.MonkeyPatch, app: Any) -> None:
    monkeypatch.setenv("TANDEM_DATA_KEYS", TEST_DATA_KEY)
    cfg = alembic_config(database_url)
    cfg.attributes["skip_logging"] = True
    with app.app_context():
        db.session.remove()
    engine = make_engine(database_url)
    try:
        command.downgrade(cfg, "0007_merge_features")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_messages"))
            for status, body in (("sent", f"old {RESET_LINK}"), ("pending", f"waiting {RESET_LINK}")):
                conn.execute(text(
                    "INSERT INTO outbox_messages (to_addr, subject, text_body, html_body, attachments, kind, status,"
                    " attempts, next_attempt_at, created_at) VALUES ('a@example.com', 'Hi', :body, NULL, '[]',"
                    " 'reset_password', :status, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                    {"body": body, "status": status})
        command.upgrade(cfg, "heads")
        with engine.connect() as conn:
            rows = {r.status: r for r in conn.execute(text(
                "SELECT status, subject, text_body, attachments FROM outbox_messages"))}
        assert (rows["sent"].subject, rows["sent"].text_body, rows["sent"].attachments) == (None, None, None)
        assert "LIVE-" not in rows["pending"].text_body
        assert crypto.decrypt(rows["pending"].text_body, TEST_DATA_KEY) == f"waiting {RESET_LINK}"
        assert crypto.decrypt(rows["pending"].attachments, TEST_DATA_KEY) == "[]"

        command.downgrade(cfg, "0007_merge_features")
        with engine.connect() as conn:
            back = {r.status: r for r in conn.execute(text("SELECT status, subject, text_body FROM outbox_messages"))}
        assert (back["pending"].subject, back["pending"].text_body) == ("Hi", f"waiting {RESET_LINK}")
        assert (back["sent"].subject, back["sent"].text_body) == ("", "")
        command.upgrade(cfg, "heads")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_messages"))
    finally:
        engine.dispose()
