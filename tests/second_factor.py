"""Passing the second factor in tests, the way a person with an authenticator app does.

The login helpers (``tests/conftest.py::login``, ``tests/e2e/pages.py::log_in``) call these after
the password step: a coach or admin who has not enrolled yet is enrolled directly in the
database (as ``flask seed-demo`` does), and the current code is computed with pyotp from the
stored secret at ``coaching.clock.now()`` (frozen or not) and typed into the code page. Nothing
here changes what the application accepts: a test that signs the same person in twice within
one 30-second step (or under a frozen clock) gets past the "each code works once" rule only
because the helper forgets the last accepted step in the database first.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import update

from coaching import clock, db
from coaching.accounts.services import find_user
from coaching.twofactor import services, totp
from coaching.twofactor.models import SecondFactor

VERIFY_PATH = "/account/two-factor/verify"
current_app: Any = None  # the app of the running test (set by the ``app`` fixture)


def code_for(app: Any, email: str) -> str:
    """The current code of ``email`` (enrolling them first if they have not), usable once now."""
    with app.app_context():
        user = find_user(db.session, email)
        assert user is not None, email
        factor = services.factor_of(db.session, user.id)
        secret = factor.secret if factor is not None and factor.confirmed_at is not None \
            else services.enrol_directly(db.session, user)
        db.session.execute(update(SecondFactor).where(SecondFactor.user_id == user.id).values(last_step=None))
        db.session.commit()
        return totp.code_at(secret, clock.now())


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the code page"
    return match.group(1)


def pass_in_client(client: Any, response: Any, email: str) -> Any:
    """After a password POST with the Flask test client: pass the code step if it is asked for."""
    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if not location.startswith(VERIFY_PATH):
        return response
    code = code_for(client.application, email)
    page = client.get(location)
    assert page.status_code == 200, page.status_code
    return client.post(location, data={"code": code, "csrf_token": _csrf(page.get_data(as_text=True))})


def pass_in_page(page: Any, email: str, app: Any = None) -> None:
    """After "Log in" in a browser page: pass the code step if it is asked for."""
    page.wait_for_url(lambda url: "/account/login" not in url)
    if "/account/two-factor/" not in page.url:
        return
    code = code_for(app or current_app, email)
    if VERIFY_PATH not in page.url:  # the enrolment page: now enrolled, the code page follows
        page.goto(page.url.replace("/account/two-factor/enrol", VERIFY_PATH))
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/account/two-factor/" not in url)
