"""In Chromium: a coach's first sign-in sets up two-step sign-in from the QR page (on a phone-sized
screen), signs in again with a code, and an admin resets it. axe-core checks every page reached."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from coaching import clock, db
from coaching.accounts.models import Role
from coaching.twofactor import totp
from tests.e2e.pages import PHONE, log_in, scroll_width
from tests.scheduling_data import create_coach, create_user_row

CODE_STEP = "/account/two-factor/**"  # the password is right; the code page (or enrolment) is next


def test_a_coach_sets_up_two_step_sign_in_signs_in_with_a_code_and_an_admin_resets_it(
        app, live_server, new_page, frozen_clock):
    with app.app_context():
        create_coach("cora@example.com", name="Cora Coach")
        create_user_row("root@example.com", role=Role.ADMIN, name="Root Admin")
        db.session.commit()

    coach = new_page(viewport=PHONE)
    log_in(coach, live_server, "cora@example.com", second_factor=False, lands_on=CODE_STEP)
    expect(coach.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(coach.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert scroll_width(coach) <= PHONE["width"]
    secret = coach.locator("#totp-secret").inner_text().replace(" ", "")
    coach.get_by_label("Code from your app").fill("000000" if totp.code_at(secret, clock.now()) != "000000" else "111111")
    coach.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(coach.get_by_text("That code did not work.")).to_be_visible()
    coach.get_by_label("Code from your app").fill(totp.code_at(secret, clock.now()))
    coach.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(coach.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    assert coach.locator("#recovery-codes li").count() == 10
    assert scroll_width(coach) <= PHONE["width"]
    coach.get_by_role("button", name="I have saved them, continue").click()
    coach.wait_for_url(live_server + "/coach")

    # Another device: the code page; the same code again is refused, the next one works.
    again = new_page()
    log_in(again, live_server, "cora@example.com", second_factor=False, lands_on=CODE_STEP)
    again.get_by_label("Code", exact=True).fill(totp.code_at(secret, clock.now()))
    again.get_by_role("button", name="Continue").click()
    expect(again.get_by_text("That code did not work.")).to_be_visible()
    frozen_clock.advance(seconds=30)
    again.get_by_label("Code", exact=True).fill(totp.code_at(secret, clock.now()))
    again.get_by_role("button", name="Continue").click()
    again.wait_for_url(live_server + "/coach")
    again.goto(live_server + "/account/two-factor")
    expect(again.get_by_text("You have 10 unused recovery codes.")).to_be_visible()

    # An admin resets it: Cora's sessions end, and her next sign-in sets it up again.
    admin = new_page(viewport=PHONE)
    log_in(admin, live_server, "root@example.com")
    admin.goto(live_server + "/admin/")
    admin.get_by_role("link", name="Staff sign-in").click()
    admin.wait_for_url(live_server + "/admin/staff-sign-in")
    expect(admin.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert scroll_width(admin) <= PHONE["width"]
    admin.get_by_role("button", name="Reset two-step sign-in of Cora Coach").click()
    expect(admin.get_by_text("Cora Coach's two-step sign-in is reset")).to_be_visible()
    coach.goto(live_server + "/coach")
    coach.wait_for_url(re.compile(r".*/account/login.*"))
    frozen_clock.advance(seconds=timedelta(minutes=1).total_seconds())
    log_in(coach, live_server, "cora@example.com", second_factor=False, lands_on=CODE_STEP)
    expect(coach.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
