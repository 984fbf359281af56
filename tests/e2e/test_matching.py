"""In the browser: intake -> the coaches we suggest -> choose one -> book, for two partners in two
time zones; and for a couple where one partner's safety screen was positive."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from coaching import db
from coaching.coaches.models import CoachProfile
from coaching.coaches.services import import_catalog, validate_catalog
from tests.e2e.intake_pages import NEGATIVE, POSITIVE, consent, log_in, private_part, shared_part, where_and_when
from tests.matching_data import CATALOG, WEEKDAYS
from tests.smtp import text_of

CRISIS_WORDS = ("Quick exit", "799-7233", "0808 2000 247", "Help is available", "safety", "screen")


@pytest.fixture
def coaches(app):
    with app.app_context():
        import_catalog(db.session, validate_catalog(db.session, CATALOG))
        return {c.user.name: c.id for c in db.session.scalars(select(CoachProfile))}


def couple_through_intake(base: str, smtp_server, sam, alex, screen_sam: dict[str, str]) -> None:
    """Sam (New York, an existing login) and Alex (Los Angeles, joins by the emailed link) finish
    the intake; both are free on weekday afternoons and evenings, in their own zones."""
    log_in(sam, base, "sam@example.com")
    sam.get_by_role("button", name="Start the questionnaire").click()
    consent(sam)
    shared_part(sam)
    blocks = [f"{d}-{b}" for d in WEEKDAYS for b in ("afternoon", "evening")]
    where_and_when(sam, "America/New_York", blocks)
    sam.get_by_label("Your partner's email").fill("alex@example.com")
    sam.get_by_role("button", name="Send the invitation").click()
    expect(sam.get_by_text("We have emailed an invitation")).to_be_visible()

    [invite] = smtp_server.inbox.wait_for("alex@example.com")
    link = re.search(r"(http://127\.0\.0\.1:\d+/intake/join/\S+)", text_of(invite)).group(1)
    alex.goto(link)
    alex.get_by_role("button", name="Create my login").click()
    alex.get_by_label("Your name").fill("Alex Rivera")
    alex.get_by_label("Password").fill("a long enough password")
    alex.get_by_label("Your time zone").select_option("America/Los_Angeles")
    alex.get_by_role("button", name="Create my login and join").click()
    expect(alex.get_by_text("You have joined your partner")).to_be_visible()
    alex.get_by_role("button", name="Continue the questionnaire").click()
    consent(alex)
    where_and_when(alex, "America/Los_Angeles", blocks)
    private_part(alex, "ALEX-PRIVATE-words", NEGATIVE)

    sam.goto(base + "/home")
    sam.get_by_role("button", name="Continue my private part").click()
    private_part(sam, "SAM-PRIVATE-words", screen_sam)


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


# --- the tests -----------------------------------------------------------------------------------


def test_couple_is_matched_with_readable_reasons_and_books_a_free_consultation_each_in_their_zone(
        app, live_server, new_page, smtp_server, create_user, coaches, frozen_clock):
    create_user("sam@example.com", name="Sam Rivera", timezone="America/New_York")
    sam = new_page(timezone_id="America/New_York")
    alex = new_page(timezone_id="America/Los_Angeles")
    couple_through_intake(live_server, smtp_server, sam, alex, NEGATIVE)

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
    sam.wait_for_url(f"{live_server}/book/{coaches['Ana Ruiz']}/consultation")
    expect(sam.get_by_text("Now pick a time for your first session")).to_be_visible()
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

    alex.goto(live_server + "/home")
    coach_section = alex.get_by_role("region", name="Your coach")
    expect(coach_section.get_by_role("link", name="Ana Ruiz")).to_be_visible()
    appointments = alex.get_by_role("region", name="Your appointments")
    expect(appointments.get_by_text(local(start, "America/Los_Angeles"))).to_be_visible()
    assert "PST" in local(start, "America/Los_Angeles")


def test_safety_flagged_couple_sees_only_trained_coaches_and_books_an_individual_session(
        app, live_server, new_page, smtp_server, create_user, coaches, frozen_clock):
    create_user("sam@example.com", name="Sam Rivera", timezone="America/New_York")
    sam = new_page(timezone_id="America/New_York")
    alex = new_page(timezone_id="America/Los_Angeles")
    couple_through_intake(live_server, smtp_server, sam, alex, POSITIVE)
    sam.wait_for_url(live_server + "/intake/support")

    # The home page offers no matching link to a flagged couple; Sam opens the proposals directly.
    sam.goto(live_server + "/match")
    cards = proposal_cards(sam)
    assert set(cards) == {"Ana Ruiz", "Tara Trained"}, cards  # trained and offering individual sessions
    assert "Works with affair recovery, your first concern" in cards["Ana Ruiz"]

    ana = coaches["Ana Ruiz"]
    sam.get_by_role("button", name="Choose Ana Ruiz").click()
    sam.wait_for_url(re.compile(rf".*/book/{ana}/[\w-]+$"))
    # A joint session, even the free consultation, is refused with a clear message; nothing is booked.
    sam.goto(f"{live_server}/book/{ana}/consultation")
    first_time_for_both(sam)
    expect(sam.get_by_text("Joint sessions can't be booked online for you right now; your coach will be in touch."
                           )).to_be_visible()
    assert "Your appointment is confirmed" not in sam.content()
    sam.goto(live_server + "/home")
    expect(sam.get_by_role("region", name="Your coach")).to_be_visible()
    assert sam.get_by_role("region", name="Your appointments").count() == 0

    sam.get_by_role("link", name="Book: Individual session").click()
    sam.wait_for_url(f"{live_server}/book/{ana}/individual-session")
    start, _ = first_time_for_both(sam)
    sam.wait_for_url(re.compile(r".*/pay/\d+$"))
    sam.get_by_role("button", name="Book and pay by invoice").click()
    expect(sam.get_by_role("heading", name="Your session is confirmed")).to_be_visible()
    expect(sam.get_by_text(local(start, "America/New_York"))).to_be_visible()

    # Alex's pages stay neutral: no crisis resources, nothing about the screen or Sam's answers.
    for path in ("/home", "/intake", "/intake/shared", "/intake/support", "/match"):
        alex.goto(live_server + path)
        html = alex.content()
        for words in CRISIS_WORDS + ("SAM-PRIVATE",):
            assert words not in html, (path, words)
    alex.goto(live_server + "/home")
    expect(alex.get_by_text("Your coach will be in touch")).to_be_visible()
    expect(alex.get_by_role("region", name="Your coach").get_by_role("link", name="Ana Ruiz")).to_be_visible()
    # Sam's individual session is Sam's own business (its page is a 404 for Alex), so Alex's list of
    # appointments must not show it either.
    assert local(start, "America/Los_Angeles") not in alex.content()
