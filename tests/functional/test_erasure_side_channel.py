"""The two-worlds test, extended to erasure: after A deletes their account, what B sees is the
same whether A's safety screen was positive or negative.

Each world (``test_safety_side_channel.build_world``) goes on: A chooses Ana, both have their
welcome calls, Ana opens joint sessions (in the flagged world after her review, as she must),
B books a couples session ten days ahead; then A asks for deletion, the cooling-off period
passes and the periodic erasure runs. B then signs in again and is crawled (every page B can
reach, the pages of leaving, the API) and every email B received is compared.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import User
from coaching.erasure import services
from coaching.erasure.models import CoupleSeparation
from coaching.scheduling.models import Booking, BookingStatus
from tests.conftest import csrf_token, login
from tests.functional import intake_steps as steps
from tests.functional.test_safety_side_channel import (
    ALEX, SAM, World, build_world, choose_ana, couple_id, crawl, normalise, open_joint, snapshot,
    welcome_calls_done,
)
from tests.mail import sent_emails

LEAVING_PAGES = ("/home", "/account/settings", "/account/couple", "/account/delete", "/homework", "/book", "/match",
                 "/intake", "/support")


def book_joint_ahead(world: World) -> None:
    """B books a couples session about ten days ahead through the JSON API."""
    b, ana = world.b, world.ana
    day = (world.clock() + timedelta(days=10)).date()
    slots = b.get(f"/api/v1/coaches/{ana}/slots?session_type=couples-session&start={day}&end={day + timedelta(days=3)}"
                  f"&tz=America/New_York").get_json()["slots"]
    assert slots, "no couples-session slot ten days ahead"
    answer = b.post("/api/v1/bookings", json={"coach_id": ana, "session_type": "couples-session",
                                              "start": slots[0]["start"]},
                    headers={"X-CSRFToken": csrf_token(b, "/home")})
    assert answer.status_code in (201, 200), answer.get_data(as_text=True)


def live_world(template, where, screen: dict[str, str]) -> dict[str, object]:
    world = build_world(template, where, screen)
    choose_ana(world)
    coach = welcome_calls_done(world)
    review = {"flags_reviewed": "y", "note": "Spoke with each alone"} if screen is steps.POSITIVE else {}
    assert open_joint(coach, couple_id(world), **review).status_code == 302
    book_joint_ahead(world)
    # A asks for deletion from the page; the cooling-off period passes; the periodic task runs.
    deletion = world.a.post("/account/delete", data={"csrf_token": csrf_token(world.a, "/account/delete"),
                                                     "password": "correct horse battery", "confirm": "y"})
    assert deletion.status_code == 303
    world.clock.advance(days=7, minutes=1)
    with world.app.app_context():
        assert services.erase_due(db.session, clock.now()) == 1
        assert db.session.scalar(select(CoupleSeparation.reason)) == "erasure"
        joint = db.session.scalars(select(Booking).where(Booking.starts_at > clock.now())).all()
        assert joint and all(b.status == BookingStatus.CANCELLED for b in joint)
        assert db.session.scalar(select(User).where(User.email == SAM)) is None
    assert login(world.b, ALEX).status_code == 302
    return record_what_b_sees(world, "after erasure", "partner_left")


def record_what_b_sees(world: World, label: str, told: str, starts: tuple[str, ...] = LEAVING_PAGES) -> dict:
    """B's pages from ``starts``, B's API slot answers and every email B received (one of kind
    ``told`` among them), recorded in ``world.seen`` and returned."""
    crawl(world, label, starts)
    for slug in ("couples-session", "individual-session", "welcome"):
        world.seen[f"API slots {slug}"] = snapshot(world.b.get(
            f"/api/v1/coaches/{world.ana}/slots?session_type={slug}&start=2026-11-20&end=2026-11-27&tz=America/New_York"))
    with world.app.app_context():
        mails = sent_emails(to=ALEX)
        assert any(m.kind == told for m in mails)
        world.seen["emails to B"] = [(m.kind, normalise(m.subject), normalise(m.text_body),
                                      normalise(m.html_body or "")) for m in mails]
    return world.seen


@pytest.fixture(scope="module")
def seen(sqlite_template, tmp_path_factory):
    where, out = tmp_path_factory.mktemp("erasure-worlds"), {}
    for name, screen in (("negative", steps.NEGATIVE), ("positive", steps.POSITIVE)):
        out[name] = live_world(sqlite_template, where / name, screen)
        db.session.remove()
    yield out
    db.session.remove()
    clock.set_source(None)


def test_b_sees_the_same_after_as_erasure_whatever_as_screen_said(seen):
    negative, positive = seen["negative"], seen["positive"]
    reached = " ".join(negative)
    for page in ("GET /home", "GET /account/couple", "GET /account/delete", "GET /homework"):
        assert page in reached, page
    assert len(negative) > 20
    assert sorted(negative) == sorted(positive)
    different = [key for key in negative if negative[key] != positive[key]]
    assert different == [], {key: (str(negative[key])[:300], str(positive[key])[:300]) for key in different[:3]}
    # And what B met: the neutral notice, nothing of A's answers.
    [left] = [m for m in negative["emails to B"] if m[0] == "partner_left"]
    assert "Your partner left Tandem" in left[2]
    for value in negative.values():
        assert steps.A_PRIVATE not in str(value)
