"""In the browser: intake -> the coaches we suggest -> choose one -> each partner's welcome call,
for two partners in two time zones; and for a couple where one partner's safety screen was
positive, whose path is the same until the coach opens joint sessions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coaching import db
from coaching.accounts import passwords
from coaching.accounts.models import User
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import import_catalog, validate_catalog
from tests.e2e.intake_pages import (NEGATIVE, POSITIVE, consent, invite_partner, join_by_invitation, private_part,
                                    shared_part, start_questionnaire, where_and_when)
from tests.e2e.pages import log_in
from coaching.scheduling.models import Booking, BookingStatus
from tests.conftest import PASSWORD
from tests.matching_data import CATALOG, WEEKDAYS
from tests.smtp import text_of

CRISIS_WORDS = ("Quick exit", "799-7233", "0808 2000 247", "Help is available", "safety", "screen")


@pytest.fixture
def coaches(app):
    with app.app_context():
        import_catalog(db.session, validate_catalog(db.session, CATALOG))
        return {c.user.name: c.id for c in db.session.scalars(select(CoachProfile))}


def couple_through_intake(new_page, create_user, base: str, smtp_server,
                          screen_sam: dict[str, str]) -> tuple[Any, Any]:
    """Sam (New York, an existing login) and Alex (Los Angeles, joins by the emailed link) finish
    the intake, each in a page of their own (returned: sam, alex); both are free on weekday
    afternoons and evenings, in their own zones."""
    create_user("sam@example.com", name="Sam Rivera", timezone="America/New_York")
    sam = new_page(timezone_id="America/New_York")
    alex = new_page(timezone_id="America/Los_Angeles")
    start_questionnaire(sam, base, "sam@example.com")
    shared_part(sam)
    blocks = [f"{d}-{b}" for d in WEEKDAYS for b in ("afternoon", "evening")]
    where_and_when(sam, "America/New_York", blocks)
    invite_partner(sam, "alex@example.com")

    join_by_invitation(alex, smtp_server, "alex@example.com", "Alex Rivera", "America/Los_Angeles")
    consent(alex)
    where_and_when(alex, "America/Los_Angeles", blocks)
    private_part(alex, "ALEX-PRIVATE-words", NEGATIVE)

    sam.goto(base + "/home")
    sam.get_by_role("button", name="Continue my private part").click()
    private_part(sam, "SAM-PRIVATE-words", screen_sam)
    return sam, alex


def proposal_cards(page) -> dict[str, list[str]]:
    """{coach name: [reasons]} of the proposals shown, in the order shown."""
    cards = {}
    for card in page.locator("article.match").all():
        name = card.locator("header a").inner_text().strip()
        cards[name] = [r.strip() for r in card.locator("ul.reasons li").all_inner_texts()]
    return cards


def first_time_for_both(page) -> tuple[datetime, str]:
    """Click the first time that suits both partners; return its instant and its label."""
    region = page.get_by_role("region", name="Times that suit you both")
    slot = region.locator("form.slot").first
    start = datetime.fromisoformat(slot.locator("input[name=start]").get_attribute("value"))
    label = slot.get_by_role("button").get_attribute("aria-label")
    slot.get_by_role("button").click()
    return start, label


def local(at: datetime, zone: str, fmt: str = "%a %d %b %Y, %H:%M") -> str:
    moment = at.astimezone(ZoneInfo(zone))
    return f"{moment.strftime(fmt)} {moment.tzname()}"


def book_welcome_call(page, base: str, coach_id: int) -> datetime:
    """From home, book the partner's own welcome call at the first time that suits both."""
    page.goto(base + "/home")
    page.get_by_role("button", name="Book my welcome call").click()
    page.wait_for_url(f"{base}/book/{coach_id}/welcome")
    start, _ = first_time_for_both(page)
    expect(page.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
    return start


# --- the tests -----------------------------------------------------------------------------------


def test_couple_is_matched_with_readable_reasons_and_each_books_a_welcome_call_in_their_zone(
        app, live_server, new_page, smtp_server, create_user, coaches, frozen_clock):
    sam, alex = couple_through_intake(new_page, create_user, live_server, smtp_server, NEGATIVE)

    sam.goto(live_server + "/home")
    sam.get_by_role("button", name="See the coaches we suggest").click()
    sam.wait_for_url(live_server + "/match")
    cards = proposal_cards(sam)
    names = list(cards)
    assert 1 <= len(names) <= 3 and names[0] == "Ana Ruiz", cards
    assert not {"Closed Coach", "Solo Francais", "Tara Trained"} & set(names)
    assert "Works with affair recovery, your first concern" in cards["Ana Ruiz"]
    assert "Works with rebuilding trust, your second concern" in cards["Ana Ruiz"]
    assert any(re.fullmatch(r"\d+ open times? in the next three weeks when you are both free", r)
               for r in cards["Ana Ruiz"]), cards["Ana Ruiz"]
    # The next shared free times are shown in Sam's zone.
    assert "EST" in sam.locator("article.match").first.locator("time").first.inner_text()

    sam.get_by_role("button", name="Choose Ana Ruiz").click()
    sam.wait_for_url(f"{live_server}/book/{coaches['Ana Ruiz']}/welcome")
    expect(sam.get_by_text("Your first step is a welcome call")).to_be_visible()
    expect(sam.get_by_text("America/New York").first).to_be_visible()
    start, label = first_time_for_both(sam)
    assert label == local(start, "America/New_York", "%A %d %B, %H:%M") + ", suits you both"
    expect(sam.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
    expect(sam.get_by_text(local(start, "America/New_York"))).to_be_visible()
    # Both are free 17:00-20:00 New York time (14:00-17:00 in Los Angeles); 12 hours' notice.
    assert start.astimezone(ZoneInfo("America/New_York")).hour in (17, 18, 19)

    [told] = [m for m in smtp_server.inbox.wait_for("alex@example.com", count=2)
              if m["Subject"] == "Your Tandem coach"]
    assert "Ana Ruiz" in text_of(told)

    # Alex's home: the same coach, Alex's own welcome call to book; Sam's call is Sam's own.
    alex.goto(live_server + "/home")
    coach_section = alex.get_by_role("region", name="Your coach")
    expect(coach_section.get_by_role("link", name="Ana Ruiz")).to_be_visible()
    expect(alex.get_by_text("Your coach will open joint sessions after your welcome calls.")).to_be_visible()
    assert local(start, "America/Los_Angeles") not in alex.content()
    alex_start = book_welcome_call(alex, live_server, coaches["Ana Ruiz"])
    alex.goto(live_server + "/home")
    appointments = alex.get_by_role("region", name="Upcoming sessions")
    expect(appointments.get_by_text(local(alex_start, "America/Los_Angeles"))).to_be_visible()
    assert "PST" in local(alex_start, "America/Los_Angeles")


def test_a_flagged_couple_gets_the_same_proposals_and_path_until_the_coach_opens_joint_sessions(
        app, live_server, new_page, smtp_server, create_user, coaches, frozen_clock):
    sam, alex = couple_through_intake(new_page, create_user, live_server, smtp_server, POSITIVE)
    # Sam lands once on Support (resources and the quick exit); Sam's home shows neither.
    sam.wait_for_url(live_server + "/support")
    expect(sam.get_by_role("link", name="Quick exit")).to_be_visible()
    sam.goto(live_server + "/home")
    assert "799-7233" not in sam.content() and sam.get_by_role("link", name="Quick exit").count() == 0
    expect(sam.get_by_role("link", name="Support", exact=True)).to_be_visible()

    # Alex sees the ordinary path: the proposals every couple with these answers gets.
    alex.goto(live_server + "/home")
    alex.get_by_role("button", name="See the coaches we suggest").click()
    cards = proposal_cards(alex)
    assert list(cards)[0] == "Ana Ruiz" and not {"Closed Coach", "Solo Francais", "Tara Trained"} & set(cards)
    ana = coaches["Ana Ruiz"]
    alex.get_by_role("button", name="Choose Ana Ruiz").click()
    alex.wait_for_url(f"{live_server}/book/{ana}/welcome")
    first_time_for_both(alex)
    expect(alex.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
    book_welcome_call(sam, live_server, ana)

    # Until Ana acts, both see the same neutral words and the consultation has no times to book.
    for page in (sam, alex):
        page.goto(live_server + "/home")
        expect(page.get_by_text("Your coach will open joint sessions after your welcome calls.")).to_be_visible()
        page.goto(f"{live_server}/book/{ana}/consultation")
        expect(page.get_by_text("Your coach will open joint sessions after your welcome calls.")).to_be_visible()
        assert page.locator("form.slot").count() == 0
    for path in ("/home", "/intake", "/intake/shared", "/match", f"/book/{ana}/welcome"):
        alex.goto(live_server + path)
        html = alex.content()
        for words in CRISIS_WORDS + ("SAM-PRIVATE",):
            assert words not in html, (path, words)

    # The calls take place; Ana sees the flag, reviews it, and opens joint sessions herself.
    with app.app_context():
        calls = db.session.scalars(select(Booking)).all()
        assert len(calls) == 2
        for call in calls:
            call.status = BookingStatus.COMPLETED
        ana_user = db.session.scalar(select(User).where(User.email == "ana@example.com"))
        ana_user.password_hash = passwords.hash_password(PASSWORD)
        couple_id = calls[0].couple_id
        db.session.commit()
    coach = new_page(timezone_id="America/New_York")
    log_in(coach, live_server, "ana@example.com", lands_on="/coach")
    coach.goto(f"{live_server}/coach/couples/{couple_id}/joint")
    expect(coach.get_by_role("heading", name="Safety flag")).to_be_visible()
    coach.get_by_role("button", name="Open joint sessions").click()
    expect(coach.get_by_text("has a safety flag that is not resolved")).to_be_visible()
    coach.get_by_label("I have reviewed this couple's safety flag").check()
    coach.get_by_label("Note for the admins").fill("Spoke with each alone; no current risk.")
    coach.get_by_role("button", name="Open joint sessions").click()
    expect(coach.get_by_text("Joint sessions are open.")).to_be_visible()

    alex.goto(live_server + "/home")
    alex.get_by_role("button", name="Book our consultation").click()
    alex.wait_for_url(f"{live_server}/book/{ana}/consultation")
    first_time_for_both(alex)
    expect(alex.get_by_role("heading", name="Your appointment is confirmed")).to_be_visible()
