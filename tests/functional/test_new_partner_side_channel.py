"""Two worlds again: after Sam (A) and Alex (B) end their couple, what Alex sees is the same
whether Sam has started again with a new partner, Cara, or not.

Both worlds: the couple of ``test_safety_side_channel.build_world`` chooses Ana, and Sam ends the
couple from ``/account/couple``. In the "again" world Sam then presses "Start with a new partner"
on that page, answers a new questionnaire (with new private words) and invites Cara, who joins
and answers hers. Alex is then crawled (every page Alex can reach, the pages of leaving, the API,
Alex's export and calendar feed, every email Alex received) and both worlds must be identical.

In the "again" world, Cara's pages and export hold nothing of the couple Sam had with Alex, and
Sam's pages keep that history and show the new couple.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import User
from coaching.erasure.models import CoupleSeparation
from coaching.intake.models import Partner
from tests.conftest import csrf_token
from tests.export_data import export_through_pages
from tests.functional import intake_steps as steps
from tests.functional.test_erasure_side_channel import LEAVING_PAGES, record_what_b_sees
from tests.functional.test_safety_side_channel import (
    ALEX, BLOCKS, SAM, World, _user, build_world, choose_ana, crawl, normalise, snapshot, welcome_calls_done,
)

CARA = "cara@example.com"
SAM_AGAIN = "PRIVATE-A-NEW-quartz"
CARA_PRIVATE = "PRIVATE-C-juniper"


def end_couple(world: World) -> None:
    page = world.a.get("/account/couple").get_data(as_text=True)
    assert "End our couple" in page
    ended = world.a.post("/account/couple", data={"csrf_token": csrf_token(world.a, "/account/couple"),
                                                  "confirm": "y"})
    assert ended.status_code == 303
    with world.app.app_context():
        assert db.session.scalar(select(CoupleSeparation.reason)) == "separation"


def start_again_with_cara(world: World) -> World:
    """Sam starts again from /account/couple and invites Cara, who joins; Cara's World (as ``b``)."""
    a = world.a
    page = a.get("/account/couple").get_data(as_text=True)
    assert "Start with a new partner" in page and 'action="/intake/start"' in page
    started = a.post("/intake/start", data={"csrf_token": csrf_token(a, "/account/couple")})
    assert started.status_code == 302 and started.headers["Location"].endswith("/intake/consent")
    steps.consent(a)
    steps.shared(a, goals="Begin again, slowly", names=("Sam", "Cara"))
    steps.personal(a, zone="America/New_York", blocks=BLOCKS)
    token = steps.invite(a, world.app, CARA)
    with world.app.app_context():
        _user(CARA, "Cara Lin")
    cara = steps.logged_in(world.app, User(email=CARA))
    assert steps.join(cara, token).status_code == 302
    steps.consent(cara)
    steps.personal(cara, zone="America/New_York", blocks=BLOCKS)
    steps.private(cara, CARA_PRIVATE)
    steps.private(a, SAM_AGAIN)
    choose_ana(world)  # the new couple chooses Ana too: its welcome calls are still to come
    with world.app.app_context():
        sam = db.session.scalar(select(User.id).where(User.email == SAM))
        held = db.session.scalars(select(Partner).where(Partner.user_id == sam).order_by(Partner.id)).all()
        assert [p.ended_at is None for p in held] == [False, True]  # the old seat ended, the new one current
    return World(world.app, a, cara, world.ana, world.clock)


def crawl_alex(world: World) -> dict[str, object]:
    record_what_b_sees(world, "after", "couple_ended", LEAVING_PAGES + ("/account/data", "/account/calendar", "/checkins"))
    statuses, files = export_through_pages(world.app, world.b, ALEX)
    assert files, statuses
    world.seen.update({f"export of B: {name}": normalise(body) for name, body in files.items()})
    world.seen["B makes a calendar feed"] = snapshot(world.b.post(
        "/account/calendar/new", data={"csrf_token": csrf_token(world.b, "/account/calendar")}))
    feed_url = re.search(r'<code id="feed-url">([^<]+)</code>',
                         world.b.get("/account/calendar").get_data(as_text=True)).group(1)
    world.seen["B's calendar feed"] = snapshot(world.app.test_client().get(urlsplit(feed_url).path))
    return world.seen


@pytest.fixture(scope="module")
def worlds(sqlite_template, tmp_path_factory):
    where, out = tmp_path_factory.mktemp("new-partner-worlds"), {}
    for name in ("alone", "again"):
        world = build_world(sqlite_template, where / name, steps.NEGATIVE)
        choose_ana(world)
        welcome_calls_done(world)  # the first couple's welcome calls happened
        end_couple(world)
        cara = start_again_with_cara(world) if name == "again" else None
        out[name] = {"alex": crawl_alex(world), "world": world, "cara": cara}
        db.session.remove()
    yield out
    db.session.remove()
    clock.set_source(None)


def _enter(world: World) -> None:
    db.session.remove()
    db.init_engine(world.app.config["DATABASE_URL"])


def test_alex_sees_the_same_whether_sam_started_again_or_not(worlds):
    alone, again = worlds["alone"]["alex"], worlds["again"]["alex"]
    reached = " ".join(alone)
    for page in ("GET /home", "GET /account/couple", "GET /homework", "GET /intake", "GET /account/data"):
        assert page in reached, page
    assert len(alone) > 20
    assert sorted(alone) == sorted(again)
    different = [key for key in alone if alone[key] != again[key]]
    assert different == [], {key: (str(alone[key])[:300], str(again[key])[:300]) for key in different[:3]}
    for value in again.values():
        for foreign in (SAM_AGAIN, CARA_PRIVATE, "Cara Lin", CARA, "Begin again"):
            assert foreign not in str(value), foreign


def test_cara_sees_nothing_of_the_couple_sam_had_with_alex(worlds):
    world: World = worlds["again"]["cara"]
    _enter(world)
    crawl(world, "cara")
    statuses, files = export_through_pages(world.app, world.b, CARA)
    assert files, statuses
    world.seen.update({f"export of C: {name}": body for name, body in files.items()})
    assert CARA_PRIVATE in files["tandem-export/data.json"]
    assert len(world.seen) > 15
    for key, value in world.seen.items():
        text = str(value)
        for foreign in (steps.A_PRIVATE, steps.B_PRIVATE, "Alex", ALEX, SAM_AGAIN, "Talk without shouting",
                        "earlier_couples"):
            assert foreign not in text, (key, foreign)


def test_sam_keeps_the_history_and_has_the_new_couple(worlds):
    world: World = worlds["again"]["world"]
    _enter(world)
    a = world.a
    couple_page = a.get("/account/couple").get_data(as_text=True)
    assert "Earlier couples" in couple_page and "Start with a new partner" not in couple_page
    assert "End our couple" in couple_page  # the new couple is a couple like any other
    intake = a.get("/intake").get_data(as_text=True)
    assert "Cara Lin" in intake and "Alex" not in intake
    # Home: the new couple's next step (its own welcome call), whatever happened in the first one;
    # the first couple's sessions are listed with Sam's history.
    home = a.get("/home").get_data(as_text=True)
    assert "Book my welcome call" in home and "You have had your welcome call" not in home
    assert "Past sessions" in home
    # The ended couple's answers stay readable for Sam, in Sam's export, with the new couple's.
    statuses, files = export_through_pages(world.app, a, SAM)
    data = files["tandem-export/data.json"]
    assert "earlier_couples" in data and steps.A_PRIVATE in data and SAM_AGAIN in data, statuses
    assert steps.B_PRIVATE not in data and CARA_PRIVATE not in data
    # Sam may not start a third couple while the one with Cara is current: the button is gone and
    # a forged request gives the same couple back.
    again = a.post("/intake/start", data={"csrf_token": csrf_token(a, "/home")})
    assert again.status_code == 302
    with world.app.app_context():
        sam = db.session.scalar(select(User.id).where(User.email == SAM))
        assert len(db.session.scalars(select(Partner).where(Partner.user_id == sam)).all()) == 2
