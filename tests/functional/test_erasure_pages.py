"""The pages: ``/account/delete`` (with its cooling-off period) and ``/account/couple``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching import db
from coaching.erasure import services
from coaching.erasure.models import CoupleSeparation, DeletionRequest
from tests.conftest import csrf_token, login
from tests.erasure_data import A_EMAIL, B_EMAIL, COACH_EMAIL, build_world
from tests.mail import sent_emails


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        built = build_world(future_from=frozen_clock() + timedelta(days=8))
        db.session.remove()
    return built


def signed_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def ask_deletion(client, password="correct horse battery", confirm=True):
    data = {"csrf_token": csrf_token(client, "/account/delete"), "password": password}
    if confirm:
        data["confirm"] = "y"
    return client.post("/account/delete", data=data)


def test_deleting_needs_the_password_and_the_box_then_waits_and_can_be_kept(app, world, frozen_clock):
    a = signed_in(app, A_EMAIL)
    elsewhere = signed_in(app, A_EMAIL)
    page = a.get("/account/delete").get_data(as_text=True)
    assert "Delete my account" in page and "7 days" in page
    assert "delete your account" in a.get("/account/settings").get_data(as_text=True)
    wrong = ask_deletion(a, password="not my password at all")
    assert wrong.status_code == 200 and "That is not your password." in wrong.get_data(as_text=True)
    unticked = ask_deletion(a, confirm=False)
    assert unticked.status_code == 200 and "Tick the box" in unticked.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(DeletionRequest)) is None

    done = ask_deletion(a)
    assert done.status_code == 303
    page = a.get("/account/delete").get_data(as_text=True)
    assert "Keep my account" in page and 'id="deletion-due"' in page
    assert elsewhere.get("/home").status_code == 302  # the other sign-in ended
    assert sent_emails(to=A_EMAIL, kind="account_deletion_requested")
    kept = a.post("/account/delete/cancel", data={"csrf_token": csrf_token(a, "/account/delete")})
    assert kept.status_code == 303
    with app.app_context():
        assert services.live_request(db.session, world.a) is None
    assert "Keep my account" not in a.get("/account/delete").get_data(as_text=True)


def test_signing_in_again_cancels_the_deletion(app, world):
    a = signed_in(app, A_EMAIL)
    assert ask_deletion(a).status_code == 303
    again = app.test_client()
    assert login(again, A_EMAIL).status_code == 302
    assert "your account will not be deleted" in again.get("/home", follow_redirects=True).get_data(as_text=True)
    with app.app_context():
        assert services.live_request(db.session, world.a) is None


def test_after_the_erasure_a_cannot_sign_in_and_bs_portal_still_works(app, world, frozen_clock):
    a = signed_in(app, A_EMAIL)
    assert ask_deletion(a).status_code == 303
    frozen_clock.advance(days=7, minutes=1)
    with app.app_context():
        assert services.erase_due(db.session, frozen_clock()) == 1
    assert a.get("/home").status_code == 302  # A's own sign-in ended with the account
    assert login(app.test_client(), A_EMAIL).status_code == 200  # refused like a wrong password
    b = signed_in(app, B_EMAIL)
    for path in ("/home", "/account/settings", "/account/couple", "/account/delete", "/homework", "/support"):
        response = b.get(path)
        assert response.status_code == 200, path
        assert "qzxa" not in response.get_data(as_text=True).lower(), path
    assert "Your couple ended" in b.get("/account/couple").get_data(as_text=True)
    coach = signed_in(app, COACH_EMAIL)
    assert coach.get(f"/coach/couples/{world.couple}").status_code == 200


def test_ending_the_couple_from_the_page(app, world):
    a = signed_in(app, A_EMAIL)
    page = a.get("/account/couple").get_data(as_text=True)
    assert "End our couple" in page
    unticked = a.post("/account/couple", data={"csrf_token": csrf_token(a, "/account/couple")})
    assert unticked.status_code == 200 and "Tick the box" in unticked.get_data(as_text=True)
    ended = a.post("/account/couple", data={"csrf_token": csrf_token(a, "/account/couple"), "confirm": "y"})
    assert ended.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(CoupleSeparation.reason)) == "separation"
    b = signed_in(app, B_EMAIL)
    assert "Your couple ended" in b.get("/account/couple").get_data(as_text=True)
    assert b.get("/home").status_code == 200
    again = b.post("/account/couple", data={"csrf_token": csrf_token(b, "/account/couple"), "confirm": "y"})
    assert again.status_code == 303
    assert "already ended" in b.get("/account/couple").get_data(as_text=True)


def test_after_the_end_the_pages_say_so_and_take_no_more_changes(app, world):
    a = signed_in(app, A_EMAIL)
    assert a.post("/account/couple", data={"csrf_token": csrf_token(a, "/account/couple"),
                                           "confirm": "y"}).status_code == 303
    home = a.get("/home").get_data(as_text=True)
    assert "Your couple ended on" in home and "start again with a new partner" in home
    assert "Book: Individual" in home and "Book: Couples" not in home  # individual sessions go on
    status = a.get("/intake").get_data(as_text=True)
    assert "Your couple ended on" in status and "Invite my partner" not in status
    # The shared part (which the former partner reads) takes no more changes, nor does homework.
    shared = a.post("/intake/shared/goals", data={"csrf_token": csrf_token(a, "/intake/shared/goals"),
                                                 "version": "1", "goals": "qzxa wrote this after the end"})
    assert shared.status_code == 302 and "can no longer be changed" in a.get(shared.headers["Location"]).get_data(
        as_text=True)
    portal = a.get("/homework").get_data(as_text=True)
    assert "nothing more can be ticked or added" in portal and "Save my reflection" not in portal
    with app.app_context():
        from coaching.homework.models import HomeworkItem

        item = db.session.scalar(select(HomeworkItem.id))
    ticked = a.post(f"/homework/items/{item}/done", data={"csrf_token": csrf_token(a, "/homework"), "done": "0"})
    assert ticked.status_code == 409 and "Your couple has ended" in ticked.get_data(as_text=True)
    b = signed_in(app, B_EMAIL)
    assert "qzxa wrote this after the end" not in b.get("/intake/shared/goals").get_data(as_text=True)


def test_staff_cannot_use_these_pages_and_hostile_input_is_a_4xx(app, world):
    coach = signed_in(app, COACH_EMAIL)
    assert coach.get("/account/delete").status_code == 403
    assert coach.get("/account/couple").status_code == 403
    anonymous = app.test_client()
    assert anonymous.get("/account/delete").status_code == 302
    a = signed_in(app, A_EMAIL)
    assert a.post("/account/delete", data={"password": "x", "confirm": "y"}).status_code == 400  # no CSRF token
    assert a.post("/account/couple", data={"confirm": "y"}).status_code == 400
    for password in ("x" * 5000, "a\x00b", "\u202e" * 10):
        response = ask_deletion(a, password=password)
        assert 200 <= response.status_code < 500, password
    with app.app_context():
        assert db.session.scalar(select(DeletionRequest)) is None


@pytest.mark.parametrize("config_overrides", [{"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                               "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute"}])
def test_password_guesses_on_the_delete_page_are_rate_limited_like_logins(app, world):
    a = signed_in(app, A_EMAIL)
    answers = [ask_deletion(a, password=f"guess number {n}").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    with app.app_context():
        assert db.session.scalar(select(DeletionRequest)) is None
