"""A new client registers, confirms by the emailed link, logs in and lands on their home page."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.pages import emailed_link, submit_login


def test_client_registers_verifies_by_email_and_logs_in(live_server, page, smtp_server):
    page.goto(live_server + "/")
    page.get_by_role("button", name="Start together").first.click()
    page.get_by_label("Your name").fill("Robin Park")
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("Your time zone").select_option("Europe/London")
    page.get_by_role("button", name="Create my login").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

    [message] = smtp_server.inbox.wait_for("robin@example.com")
    link = emailed_link(message, "/account/verify")
    page.goto(link)
    assert "your email address is confirmed" in page.content()

    submit_login(page, "robin@example.com", "a long enough password")  # the form the link led to
    page.wait_for_url(live_server + "/home")
    expect(page.get_by_role("heading", name="Welcome, Robin Park")).to_be_visible()
