"""In the browser: a partner deletes their account from the account page (on a phone); after the
cooling-off period the erasure runs, they can no longer log in, and the other partner's portal
still works and says only that their partner left."""

from __future__ import annotations

from playwright.sync_api import expect

from coaching import db
from coaching.erasure import services
from tests.conftest import PASSWORD
from tests.e2e.pages import PHONE, log_in, scroll_width, submit_login
from tests.erasure_data import A_EMAIL, B_EMAIL


def test_a_partner_deletes_their_account_and_the_other_partners_portal_still_works(app, live_server, new_page,
                                                                                    frozen_clock, couple_with_history):
    a = new_page(viewport=PHONE)
    log_in(a, live_server, A_EMAIL)
    a.goto(live_server + "/account/settings")
    a.get_by_role("link", name="delete your account").click()
    a.get_by_label("Your password").fill(PASSWORD)
    a.get_by_label("I understand that my account and my answers will be erased").check()
    a.get_by_role("button", name="Delete my account").click()
    expect(a.get_by_role("button", name="Keep my account")).to_be_visible()
    expect(a.get_by_text("We will erase your account on")).to_be_visible()
    assert scroll_width(a) <= PHONE["width"]  # fits a phone

    frozen_clock.advance(days=7, minutes=1)
    with app.app_context():
        assert services.erase_due(db.session, frozen_clock()) == 1
        db.session.remove()
    a.goto(live_server + "/home")
    assert "/account/login" in a.url  # the account's sign-ins ended with it
    submit_login(a, A_EMAIL)
    expect(a.get_by_text("That email and password do not match an account.")).to_be_visible()

    b = new_page()
    log_in(b, live_server, B_EMAIL)
    b.goto(live_server + "/home")
    assert "qzxa" not in b.content().lower()
    b.goto(live_server + "/account/couple")
    expect(b.get_by_text("Your couple ended on")).to_be_visible()
    b.goto(live_server + "/homework")
    assert "bxqv reflection" in b.content() and "qzxa" not in b.content().lower()
