"""A new client registers, confirms by the emailed link, logs in and lands on their home page."""

from __future__ import annotations

import re

from tests.smtp import text_of


def test_client_registers_verifies_by_email_and_logs_in(live_server, page, smtp_server):
    page.goto(live_server + "/")
    page.get_by_role("button", name="Start together").first.click()
    page.get_by_label("Your name").fill("Robin Park")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("Your time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create my login").click()
    assert page.get_by_role("heading", name="Check your email").is_visible()

    [message] = smtp_server.inbox.wait_for("robin@example.com")
    link = re.search(r"(http://127\.0\.0\.1:\d+/account/verify/\S+)", text_of(message)).group(1)
    page.goto(link)
    assert "your email address is confirmed" in page.content()

    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(live_server + "/home")
    assert page.get_by_role("heading", name="Welcome, Robin Park").is_visible()
