"""Admins see the emails that gave up (metadata only) and send them again."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.notify.models import OutboxMessage, OutboxStatus
from tests.conftest import csrf_token
from tests.mail import sent_emails

LINK = "https://tandem.example/account/reset/LIVE-RESET-TOKEN"


@pytest.fixture
def failed_id(app: Any) -> int:
    with app.app_context():
        message = OutboxMessage(to_addr="robin@example.com", subject="Private subject line", kind="reset_password",
                                text_body=f"Reset here: {LINK}", html_body=f"<a href='{LINK}'>reset</a>",
                                attachments=[], status=OutboxStatus.FAILED, attempts=8,
                                last_error="SMTPServerDisconnected: Connection unexpectedly closed")
        db.session.add(message)
        db.session.commit()
        return message.id


@pytest.fixture
def admin(create_user: Any, login_as: Any) -> Any:
    return login_as(create_user("admin@example.com", role=Role.ADMIN))


def status_of(app: Any, message_id: int) -> tuple[OutboxStatus, int]:
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id))
        return row.status, row.attempts


def test_the_admin_home_counts_failed_emails_and_links_to_them(admin: Any, failed_id: int) -> None:
    home = admin.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/emails/failed">Failed emails</a>: 1 waiting for a retry' in home


def test_the_failed_emails_page_shows_metadata_and_never_what_the_email_said(admin: Any, failed_id: int) -> None:
    page = admin.get("/admin/emails/failed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "robin@example.com" in html and "reset password" in html and "SMTPServerDisconnected" in html
    assert "LIVE-RESET-TOKEN" not in html and "Private subject line" not in html
    assert f'action="/admin/emails/{failed_id}/retry"' in html and 'name="csrf_token"' in html


def test_retry_puts_the_email_back_and_delivers_it_once(app: Any, admin: Any, failed_id: int) -> None:
    token = csrf_token(admin, "/admin/emails/failed")
    response = admin.post(f"/admin/emails/{failed_id}/retry", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/emails/failed"
    assert status_of(app, failed_id) == (OutboxStatus.SENT, 1)
    again = admin.post(f"/admin/emails/{failed_id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "no longer waiting for a retry" in again.get_data(as_text=True)
    with app.app_context():
        [delivered] = sent_emails(to="robin@example.com")
    assert LINK in delivered.text_body
    assert "Failed emails</a>: 0" in admin.get("/admin/").get_data(as_text=True)


def test_retry_needs_a_csrf_token_and_changes_nothing_without_one(app: Any, admin: Any, failed_id: int) -> None:
    assert admin.post(f"/admin/emails/{failed_id}/retry").status_code == 400
    assert status_of(app, failed_id) == (OutboxStatus.FAILED, 8)


def test_retrying_an_unknown_email_is_a_404(admin: Any, failed_id: int) -> None:
    token = csrf_token(admin, "/admin/emails/failed")
    assert admin.post(f"/admin/emails/{failed_id + 1000}/retry", data={"csrf_token": token}).status_code == 404


def test_failed_emails_are_for_admins_only(app: Any, client: Any, create_user: Any, login_as: Any,
                                           failed_id: int) -> None:
    assert client.get("/admin/emails/failed").status_code == 302  # anonymous: log in first
    login_as(create_user("coach@example.com", role=Role.COACH))
    assert client.get("/admin/emails/failed").status_code == 403
    token = csrf_token(client, "/account/settings")
    assert client.post(f"/admin/emails/{failed_id}/retry", data={"csrf_token": token}).status_code == 403
    assert status_of(app, failed_id) == (OutboxStatus.FAILED, 8)
