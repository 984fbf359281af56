"""What many browser tests do in the app's pages, written once: sign in, open an offer to book,
check that a page fits a phone, and find the link in an email the app sent."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD
from tests.second_factor import pass_in_page
from tests.smtp import text_of

LOGIN_PATH = "/account/login"
PHONE = {"width": 390, "height": 844}


def submit_login(page: Any, email: str, password: str = PASSWORD) -> None:
    """Fill the login form already open in ``page`` and send it, whatever the answer will be."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_in(page: Any, base: str, email: str, *, password: str = PASSWORD, second_factor: bool = True,
           lands_on: str | None = None) -> None:
    """Sign ``email`` in through the login page, as a person does, and wait until that is done.

    Coaches and admins (and clients who turned it on) then pass the code step; with
    ``second_factor=False`` (tests of that step itself) the helper stops on the first page after
    the password. ``lands_on`` (a path, a glob after ``base``) is where the sign-in must end;
    by default anywhere past the login and code pages.
    """
    page.goto(base + LOGIN_PATH)
    submit_login(page, email, password)
    if second_factor:
        pass_in_page(page, email)
    else:
        page.wait_for_url(lambda url: LOGIN_PATH not in url)
    if lands_on is not None:
        page.wait_for_url(base + lands_on)


def open_offer(page: Any, base: str, offer: str) -> None:
    """Open one coach's offer from the booking page, by its link (e.g. "Consultation with Ana Ruiz")."""
    page.goto(base + "/book")
    page.get_by_role("link", name=offer).click()


def scroll_width(page: Any) -> int:
    """How wide the page's content is in CSS px: wider than the viewport means sideways scrolling."""
    return page.evaluate("document.documentElement.scrollWidth")


def emailed_link(message: Any, path: str) -> str:
    """The first link to the test server's ``path`` (and anything below it) in an email's text."""
    match = re.search(r"http://127\.0\.0\.1:\d+" + re.escape(path) + r"(?:/\S*)?", text_of(message))
    assert match, f"no link to {path} in the email"
    return match.group(0)
