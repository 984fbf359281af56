"""The safety screen has no side channel: what partner B sees never depends on A's screen.

The same couple is built twice, in two fresh databases at the same frozen instant, once with
partner A's screen positive and once negative. B is then walked through everything B can
reach: every same-site link and GET form from B's pages (home, proposals, the questionnaire,
booking pages, coach profiles, Support), B's own actions (choosing a coach and the redirect it
gives, booking the welcome call, trying the consultation by form and by the JSON API) and every
email B receives. After removing tokens, the two worlds must be identical: the same URLs, the
same status codes, the same redirects, the same pages and the same emails.

The other tests here follow the design that makes this possible: the coach and admins still
see the flag, matching is blind to the screen, and joint sessions open only when the coach
opens them (after both welcome calls; for a flagged couple, only with the coach's review).
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select

from coaching import clock, create_app, db
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import import_catalog, validate_catalog
from coaching import config as tandem_config
from coaching.intake.models import Couple, SafetyFlag, SafetyFlagNote
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from tests import mail
from tests.mail import sent_emails
from tests.conftest import PASSWORD, FrozenClock, csrf_token, login
from tests.export_data import export_through_pages
from tests.functional import intake_steps as steps
from tests.matching_data import CATALOG

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
BLOCKS = tuple(f"{d}-{b}" for d in ("mon", "tue", "wed", "thu", "fri") for b in ("afternoon", "evening"))
SAM, ALEX, ADMIN, ANA = "sam@example.com", "alex@example.com", "admin@example.com", "ana@example.com"
START_PAGES = ("/home", "/intake", "/match", "/book", "/support", "/account/settings", "/account/notifications",
               "/coaches")
MAX_DEPTH = 3  # "Later times" links go on for ever; three clicks from a start page reach every page type


# --- building a world --------------------------------------------------------------------------


def _user(email: str, name: str, role: Role = Role.CLIENT, zone: str = "America/New_York") -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, timezone=zone, email_verified_at=clock.now(),
                    password_hash=passwords.hash_password(PASSWORD))
        db.session.add(user)
    user.password_hash = passwords.hash_password(PASSWORD)
    db.session.commit()
    return user


@dataclass
class World:
    app: Any
    a: Any  # Sam's client
    b: Any  # Alex's client
    ana: int  # the coach both worlds choose
    clock: FrozenClock
    seen: dict[str, Any] = field(default_factory=dict)


def build_world(template: Path, where: Path, screen_a: dict[str, str]) -> World:
    """Coaches, an admin, and Sam (A) and Alex (B) through the whole intake; A's screen as given."""
    where.mkdir()
    mail.clear()  # each world starts with no delivered email
    shutil.copy(template, where / "tandem.db")
    frozen = FrozenClock(NOW)
    clock.set_source(frozen)
    app = create_app(tandem_config.TestConfig(DATABASE_URL=f"sqlite:///{where / 'tandem.db'}", RATELIMIT_ENABLED=False))
    with app.app_context():
        import_catalog(db.session, validate_catalog(db.session, CATALOG))
        _user(ADMIN, "Ada Admin", Role.ADMIN, "UTC")
        _user(SAM, "Sam Rivera")
        _user(ALEX, "Alex Rivera")
        _user(ANA, "Ana Ruiz", Role.COACH)
        ana = db.session.scalar(select(CoachProfile.id).join(User).where(User.email == ANA))
    a = steps.logged_in(app, User(email=SAM))
    steps.start(a)
    steps.shared(a)
    steps.personal(a, zone="America/New_York", blocks=BLOCKS)
    token = steps.invite(a, app, ALEX)
    b = steps.logged_in(app, User(email=ALEX))
    assert steps.join(b, token).status_code == 302
    steps.consent(b)
    steps.personal(b, zone="America/New_York", blocks=BLOCKS)
    steps.private(b, steps.B_PRIVATE)
    steps.private(a, steps.A_PRIVATE, screen=screen_a)
    return World(app, a, b, ana, frozen)


# --- what B sees, normalised ------------------------------------------------------------------

TOKENS = [
    (re.compile(r'name="csrf_token" type="hidden" value="[^"]*"'), 'name="csrf_token" value="CSRF"'),
    (re.compile(r'<meta name="csrf-token" content="[^"]*"'), '<meta name="csrf-token" content="CSRF"'),
    (re.compile(r"tandem-[A-Za-z0-9_-]{16,}"), "tandem-VIDEO"),
    (re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "UUID"),
    (re.compile(r"[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}"), "SIGNED"),  # itsdangerous
    (re.compile(r"[A-Za-z0-9_\-]{32,}"), "TOKEN"),
    # A fresh random TOTP key and its QR code on the two-step sign-in enrolment page.
    (re.compile(r'<svg role="img" aria-label="QR code.*?</svg>|<code id="totp-secret"[^>]*>[A-Z2-7 ]+</code>', re.S),
     "TOTP-KEY"),
]


def normalise(text: str) -> str:
    text = text.replace("\r\n ", "")  # unfold iCalendar lines, so a folded token is still one token
    for pattern, replacement in TOKENS:
        text = pattern.sub(replacement, text)
    return text


def snapshot(response: Any) -> tuple[int, str, str]:
    return (response.status_code, normalise(response.headers.get("Location", "")),
            normalise(response.get_data(as_text=True)))


LINK = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
FORM = re.compile(r"<form\b([^>]*)>")


def targets(page: str) -> tuple[list[str], list[str]]:
    """(same-site GET targets: links and GET forms, POST form targets) of a page."""
    gets, posts = [], []
    for href in LINK.findall(page):
        gets.append(href)
    for attrs in FORM.findall(page):
        action = re.search(r'action="([^"]*)"', attrs)
        method = re.search(r'method="([^"]*)"', attrs)
        (posts if method and method.group(1).lower() == "post" else gets).append(action.group(1) if action else "")
    clean = []
    for url in gets:
        url = urldefrag(html_lib.unescape(url))[0]
        parts = urlsplit(url)
        if url.startswith("/") and not parts.netloc and not url.startswith("/static/"):
            clean.append(url)
    return clean, sorted(html_lib.unescape(p) for p in posts)


def crawl(world: World, label: str, starts: tuple[str, ...] = START_PAGES) -> None:
    """GET every same-site page B can reach from ``starts``; record each under ``label``."""
    queue = [(url, 0) for url in starts]
    visited: set[str] = set()
    while queue:
        url, depth = queue.pop(0)
        if url in visited:
            continue
        visited.add(url)
        response = world.b.get(url)
        world.seen[f"{label} GET {normalise(url)}"] = snapshot(response)
        if depth >= MAX_DEPTH:
            continue
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append((urlsplit(response.headers["Location"]).path, depth + 1))
            continue
        if "html" in response.content_type:
            gets, posts = targets(response.get_data(as_text=True))
            world.seen[f"{label} POST targets of {normalise(url)}"] = [normalise(p) for p in posts]
            queue.extend((u, depth + 1) for u in gets if u not in visited)


def first_start(page: str) -> str:
    return re.search(r'name="start" value="([^"]+)"', page).group(1)


def walk_partner_b(world: World) -> dict[str, Any]:
    """Everything B sees and does, recorded (world.seen) and returned."""
    b, ana = world.b, world.ana
    crawl(world, "before choosing")
    chosen = b.post("/match/choose", data={"coach_id": str(ana), "csrf_token": csrf_token(b, "/match")})
    world.seen["choose coach"] = snapshot(chosen)
    world.seen["choose coach: redirect target"] = snapshot(b.get(chosen.headers["Location"]))
    welcome = f"/book/{ana}/welcome"
    start = first_start(b.get(welcome).get_data(as_text=True))
    booked = b.post(welcome, data={"start": start, "csrf_token": csrf_token(b, welcome)})
    world.seen["book welcome call"] = snapshot(booked)
    world.seen["book welcome call: redirect target"] = snapshot(b.get(booked.headers["Location"]))
    consultation = f"/book/{ana}/consultation"
    joint = b.post(consultation, data={"start": start, "csrf_token": csrf_token(b, welcome)})
    world.seen["book consultation by form"] = snapshot(joint)
    api_token = csrf_token(b, "/home")
    for slug in ("consultation", "couples-session", "welcome", "individual-session"):
        answer = b.post("/api/v1/bookings", json={"coach_id": ana, "session_type": slug, "start": start},
                        headers={"X-CSRFToken": api_token})
        world.seen[f"API book {slug}"] = snapshot(answer)
        world.seen[f"API slots {slug}"] = snapshot(b.get(
            f"/api/v1/coaches/{ana}/slots?session_type={slug}&start=2026-11-03&end=2026-11-10&tz=America/New_York"))
    for slug in ("consultation", "couples-session", "individual-session"):  # a series (coaching.series)
        answer = b.post("/api/v1/series", json={"coach_id": ana, "session_type": slug, "interval": "weekly",
                                                "start": start, "count": 3}, headers={"X-CSRFToken": api_token})
        world.seen[f"API series {slug}"] = snapshot(answer)
    series = f"/book/{ana}/individual-session/series?every=2&count=2"
    booked = b.post(series, data={"start": first_start(b.get(series).get_data(as_text=True)),
                                  "csrf_token": csrf_token(b, series)})
    world.seen["book series by form"] = snapshot(booked)
    world.seen["book series by form: target"] = snapshot(b.get(booked.headers.get("Location", series)))
    crawl(world, "after booking")
    # B's copy of their data (/account/data is crawled above from the settings page): every file
    # of the ZIP, decompressed, must be the same in both worlds.
    statuses, files = export_through_pages(world.app, b, ALEX)
    assert files and "your_private_intake" in files["tandem-export/data.json"], statuses
    world.seen["export of B"] = [normalise(str(s)) for s in statuses]
    world.seen.update({f"export of B: {name}": normalise(body) for name, body in files.items()})
    crawl(world, "after booking")  # reaches the booking's "Add to calendar" download too
    world.seen["B makes a calendar feed"] = snapshot(b.post("/account/calendar/new",
                                                            data={"csrf_token": csrf_token(b, "/account/calendar")}))
    feed_url = re.search(r'<code id="feed-url">([^<]+)</code>', b.get("/account/calendar").get_data(as_text=True)).group(1)
    world.seen["B's calendar feed"] = snapshot(world.app.test_client().get(urlsplit(feed_url).path))
    with world.app.app_context():
        # B's reminder of the welcome call, as the worker sends it an hour before.
        from coaching.reminders.tasks import dispatch_reminders_now

        now = world.clock.at
        alex = db.session.scalar(select(User.id).where(User.email == ALEX))
        world.clock.set(db.session.scalar(select(Booking.starts_at).where(Booking.booked_by_id == alex))
                        - timedelta(hours=1))
        dispatch_reminders_now()
        world.clock.set(now)
        # What B received (the outbox keeps no content once sent: read the delivered copies).
        mails = sent_emails(to=ALEX)
        assert "booking_reminder" in {m.kind for m in mails}
        assert mails, "B received no email at all: the comparison would prove nothing"
        world.seen["emails to B"] = [(m.kind, normalise(m.subject), normalise(m.text_body),
                                      normalise(m.html_body or "")) for m in mails]
    return world.seen


@pytest.fixture(scope="module")
def two_worlds(sqlite_template, tmp_path_factory):
    """{"negative": World, "positive": World}: the same couple, A's screen the only difference."""
    worlds, where = {}, tmp_path_factory.mktemp("worlds")
    for name, screen in (("negative", steps.NEGATIVE), ("positive", steps.POSITIVE)):
        worlds[name] = build_world(sqlite_template, where / name, screen)
        walk_partner_b(worlds[name])
        db.session.remove()
    yield worlds
    db.session.remove()
    clock.set_source(None)


def enter(world: World) -> None:
    """Point the (process-wide) engine back at ``world``'s database."""
    db.session.remove()
    db.init_engine(world.app.config["DATABASE_URL"])


def test_partner_b_sees_exactly_the_same_in_both_worlds_whatever_as_screen_said(two_worlds):
    negative, positive = two_worlds["negative"].seen, two_worlds["positive"].seen
    # The worlds really differ in A's screen, and the walk really reached B's whole path.
    for name, flags in (("positive", 1), ("negative", 0)):
        enter(two_worlds[name])
        with two_worlds[name].app.app_context():
            assert len(db.session.scalars(select(SafetyFlag)).all()) == flags
    reached = " ".join(negative)
    for page in ("GET /account/profile", "GET /account/data", "export of B: tandem-export/data.json",
                 "GET /home", "GET /match", f"GET /book/{two_worlds['negative'].ana}/consultation",
                 f"GET /coaches/{two_worlds['negative'].ana}", "GET /support", "GET /bookings/", "/calendar.ics",
                 "GET /account/calendar", "GET /account/notifications"):
        assert page in reached, page
    assert len(negative) > 60 and len(negative["emails to B"]) >= 3
    assert negative["B's calendar feed"][0] == 200 and "BEGIN:VEVENT" in negative["B's calendar feed"][2]

    assert sorted(negative) == sorted(positive)  # the same URLs and actions
    different = [key for key in negative if negative[key] != positive[key]]
    assert different == [], {key: (negative[key][:2], positive[key][:2]) for key in different[:5]}
    # And what B met is the design: a welcome call first, joint sessions not open yet.
    assert negative["book welcome call"][0] == 302 and negative["API book consultation"][0] == 403
    assert negative["API series consultation"][0] == 403 and negative["book series by form"][0] == 303
    assert any(key.startswith("after booking GET /series/") for key in negative)  # B's own series page, crawled


def test_matchings_proposals_are_identical_in_both_worlds(two_worlds):
    from coaching.matching.services import propose

    proposals = {}
    for name, world in two_worlds.items():
        enter(world)
        with world.app.app_context():
            couple = db.session.scalar(select(Couple))
            couple_coach, couple.coach_id = couple.coach_id, None  # as before B chose
            proposals[name] = [(m.coach_id, m.score, m.reasons) for m in propose(db.session, couple, NOW).top]
            db.session.rollback()
            assert couple_coach == world.ana
    assert proposals["negative"] and proposals["negative"] == proposals["positive"]


# --- the gate: the coach opens joint sessions ----------------------------------------------------


def as_coach(app: Any) -> Any:
    client = app.test_client()
    assert login(client, ANA).status_code == 302
    return client


def book(client: Any, path: str) -> Any:
    return client.post(path, data={"start": first_start(client.get(path).get_data(as_text=True)),
                                   "csrf_token": csrf_token(client, path)})


def choose_ana(world: World) -> None:
    a = world.a
    assert a.post("/match/choose", data={"coach_id": str(world.ana), "csrf_token": csrf_token(a, "/match")}
                  ).status_code == 302


def welcome_calls_done(world: World) -> Any:
    """Both partners book and have their welcome call with Ana (already chosen); Ana marks both
    completed. Returns Ana's client."""
    ana = world.ana
    assert book(world.a, f"/book/{ana}/welcome").status_code == 302
    assert book(world.b, f"/book/{ana}/welcome").status_code == 302
    with world.app.app_context():
        calls = db.session.scalars(select(Booking).order_by(Booking.starts_at)).all()
        ids, last_end = [c.id for c in calls], max(c.ends_at for c in calls)
    world.clock.set(last_end + timedelta(minutes=5))
    # Days have passed: every sign-in has timed out while idle, so everyone signs in again.
    assert login(world.a, SAM).status_code == 302 and login(world.b, ALEX).status_code == 302
    coach = as_coach(world.app)
    for booking_id in ids:
        marked = coach.post(f"/coach/bookings/{booking_id}/attendance",
                            data={"att-outcome": "complete", "csrf_token": csrf_token(coach, "/coach/calendar")})
        assert marked.status_code == 302
    with world.app.app_context():
        assert {b.status for b in db.session.scalars(select(Booking))} == {BookingStatus.COMPLETED}
    return coach


def consultation_refused(world: World, client: Any) -> bool:
    """The consultation page shows the neutral notice and no times, and booking by form is a 403."""
    path = f"/book/{world.ana}/consultation"
    page = client.get(path).get_data(as_text=True)
    start = (world.clock() + timedelta(days=2)).replace(hour=17, minute=0).isoformat()
    refused = client.post(path, data={"start": start, "csrf_token": csrf_token(client, path)})
    return ("Your coach will open joint sessions after your welcome calls." in page and 'name="start"' not in page
            and refused.status_code == 403)


@pytest.fixture
def world_factory(sqlite_template, tmp_path):
    def _build(screen: dict[str, str]) -> World:
        return build_world(sqlite_template, tmp_path / f"w{len(list(tmp_path.iterdir()))}", screen)

    yield _build
    db.session.remove()
    clock.set_source(None)


def open_joint(coach: Any, couple_id: int, **data: str) -> Any:
    page = f"/coach/couples/{couple_id}/joint"
    return coach.post(f"/coach/couples/{couple_id}/open-joint", data={"csrf_token": csrf_token(coach, page), **data})


def couple_id(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(select(Couple.id))


def test_the_coach_opens_joint_sessions_after_both_welcome_calls_and_both_partners_book_the_consultation(
        world_factory):
    world = world_factory(steps.NEGATIVE)
    a, b, ana = world.a, world.b, world.ana
    choose_ana(world)
    cid = couple_id(world)
    too_early = open_joint(as_coach(world.app), cid)
    assert too_early.status_code == 409 and "welcome calls" in too_early.get_data(as_text=True)
    assert consultation_refused(world, a) and consultation_refused(world, b)
    coach = welcome_calls_done(world)
    assert open_joint(coach, cid).status_code == 302
    assert "Open since" in coach.get(f"/coach/couples/{cid}/joint").get_data(as_text=True)
    for client in (a, b):
        home = client.get("/home").get_data(as_text=True)
        assert "Your coach has opened joint sessions" in home and f"/book/{ana}/consultation" in home
    assert book(a, f"/book/{ana}/consultation").status_code == 302
    assert book(b, f"/book/{ana}/consultation").status_code == 302
    with world.app.app_context():
        consultation = db.session.scalar(select(SessionType.id).where(SessionType.slug == "consultation"))
        booked = db.session.scalars(select(Booking).where(Booking.session_type_id == consultation)).all()
        assert len(booked) == 2 and all(x.status == BookingStatus.CONFIRMED for x in booked)


def test_a_flagged_couple_stays_closed_until_the_coach_acts_and_the_coach_and_admins_see_the_flag(world_factory):
    world = world_factory(steps.POSITIVE)
    choose_ana(world)
    coach = welcome_calls_done(world)
    cid = couple_id(world)
    page = coach.get(f"/coach/couples/{cid}/joint").get_data(as_text=True)
    assert "Safety flag" in page and "open" in page and "Sam Rivera" in page
    assert "<strong>safety flag</strong>" in coach.get("/coach").get_data(as_text=True)
    summary = coach.get(f"/intake/couples/{cid}/summary").get_data(as_text=True)
    assert "<strong>positive</strong>" in summary
    admin = world.app.test_client()
    assert login(admin, ADMIN).status_code == 302
    assert f"Couple #{cid}" in admin.get("/admin/matching").get_data(as_text=True).split("With a safety flag")[1]
    assert "/admin/safety/" in admin.get("/admin/safety").get_data(as_text=True)

    # Both welcome calls are done, but the flag is not resolved: nothing opens without the coach's review.
    refused = open_joint(coach, cid)
    assert refused.status_code == 409 and "safety flag" in refused.get_data(as_text=True)
    assert open_joint(coach, cid, flags_reviewed="y").status_code == 409
    for client in (world.a, world.b):
        assert "Your coach will open joint sessions after your welcome calls." in client.get("/home").get_data(as_text=True)
    assert consultation_refused(world, world.b) and consultation_refused(world, world.a)
    with world.app.app_context():
        assert not db.session.scalar(select(Couple)).joint_sessions_open

    assert open_joint(coach, cid, flags_reviewed="y", note="Spoke with each alone; no current risk").status_code == 302
    with world.app.app_context():
        assert db.session.scalar(select(Couple)).joint_sessions_open
        [note] = db.session.scalars(select(SafetyFlagNote)).all()
        assert note.action == "coach_opened" and note.body == "Spoke with each alone; no current risk"
    flag_page = admin.get(f"/admin/safety/{db_flag_id(world)}").get_data(as_text=True)
    assert "coach_opened: Spoke with each alone" in flag_page
    assert book(world.b, f"/book/{world.ana}/consultation").status_code == 302


def db_flag_id(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(select(SafetyFlag.id))


def test_only_the_couples_own_coach_reaches_the_gate(world_factory):
    world = world_factory(steps.NEGATIVE)
    cid = couple_id(world)
    coach = as_coach(world.app)  # Ana, not (yet) this couple's coach
    assert coach.get(f"/coach/couples/{cid}/joint").status_code == 404
    assert coach.get("/coach/couples/99999/joint").status_code == 404
    assert open_joint(coach, cid).status_code == 404
    assert world.b.get(f"/coach/couples/{cid}/joint").status_code == 403
    with world.app.app_context():
        assert not db.session.scalar(select(Couple)).joint_sessions_open


def test_an_admin_reassigning_the_couple_closes_joint_sessions_until_the_new_coach_opens_them(world_factory):
    world = world_factory(steps.NEGATIVE)
    choose_ana(world)
    coach = welcome_calls_done(world)
    cid = couple_id(world)
    assert open_joint(coach, cid).status_code == 302
    admin = world.app.test_client()
    assert login(admin, ADMIN).status_code == 302
    with world.app.app_context():
        james = db.session.scalar(select(CoachProfile.id).join(User).where(User.email == "james@example.com"))
    page = f"/admin/matching/{cid}"
    moved = admin.post(page, data={"coach_id": james, "reason": "Asked for London hours",
                                   "csrf_token": csrf_token(admin, page)})
    assert moved.status_code == 302
    with world.app.app_context():
        couple = db.session.scalar(select(Couple))
        assert couple.coach_id == james and not couple.joint_sessions_open
    for client in (world.a, world.b):
        home = client.get("/home").get_data(as_text=True)
        assert "Your coach will open joint sessions after your welcome calls." in home
        assert f"/book/{james}/welcome" in home
