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
from tests.conftest import PASSWORD
from tests.smtp import text_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
EVERY_WEEKDAY = {d: [["08:00", "20:00"]] for d in WEEKDAYS}


def coach(email: str, name: str, **kw: object) -> dict[str, object]:
    spec: dict[str, object] = {
        "email": email, "name": name, "timezone": "America/New_York", "languages": ["en"],
        "specialties": ["communication"], "approaches": ["gottman"], "formats": ["video"],
        "accepting_new": True, "safety_trained": False, "max_active_couples": 10, "bio": "",
        "weekly_hours": EVERY_WEEKDAY, "session_types": ["consultation", "couples-session"]}
    spec.update(kw)
    return spec


CATALOG = {
    "session_types": [
        {"slug": "consultation", "name": "Free consultation", "duration_min": 20, "price_cents": 0,
         "currency": "usd", "kind": "joint", "min_notice_hours": 12, "horizon_days": 60},
        {"slug": "couples-session", "name": "Couples session", "duration_min": 50, "price_cents": 15000,
         "currency": "usd", "kind": "joint"},
        {"slug": "individual-session", "name": "Individual session", "duration_min": 50, "price_cents": 12000,
         "currency": "usd", "kind": "individual", "min_notice_hours": 12},
    ],
    "coaches": [
        coach("ana@example.com", "Ana Ruiz", languages=["en", "es"], specialties=["infidelity", "trust"],
              safety_trained=True, session_types=["consultation", "couples-session", "individual-session"]),
        coach("noah@example.com", "Noah Berg", specialties=["infidelity", "communication"], safety_trained=True),
        coach("priya@example.com", "Priya Shah", timezone="America/Chicago", specialties=["trust"]),
        coach("dana@example.com", "Dana Lee", timezone="America/Los_Angeles", specialties=["conflict"]),
        coach("james@example.com", "James Okafor", timezone="Europe/London"),
        coach("closed@example.com", "Closed Coach", specialties=["infidelity", "trust", "communication"],
              accepting_new=False),
        coach("french@example.com", "Solo Francais", languages=["fr"], specialties=["infidelity"]),
        coach("tara@example.com", "Tara Trained", specialties=["conflict"], safety_trained=True,
              session_types=["individual-session"]),
    ],
}
NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}
POSITIVE = {**NEGATIVE, "fear": "often", "physical_harm": "yes"}
CRISIS_WORDS = ("Quick exit", "799-7233", "0808 2000 247", "Help is available", "safety", "screen")


@pytest.fixture
def coaches(app):
    with app.app_context():
        import_catalog(db.session, validate_catalog(db.session, CATALOG))
        return {c.user.name: c.id for c in db.session.scalars(select(CoachProfile))}


# --- what a partner does in the pages ----------------------------------------------------------


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(base + "/home")


def save(page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def consent(page) -> None:
    page.get_by_label("I agree to Tandem's terms of service.").check()
    page.get_by_label("I have read how our answers are shared").check()
    page.get_by_label("I agree that Tandem stores and processes sensitive information").check()
    page.get_by_role("button", name="I agree, continue").click()


def shared_part(page) -> None:
    page.get_by_label("First partner's name").fill("Sam")
    page.get_by_label("Second partner's name").fill("Alex")
    page.locator("#q-together_for-3to10").check()
    page.locator("#q-living_together-yes").check()
    page.locator("#q-children-none").check()
    save(page)
    page.get_by_label("Emotional infidelity or affair recovery").select_option("1")
    page.get_by_label("Trust").select_option("2")
    save(page)
    for q, v in (("kind", "emotional"), ("ongoing", "no"), ("came_to_light", "discovered"), ("how_long_ago", "1to6m")):
        page.locator(f"#q-{q}-{v}").check()
    save(page)
    page.get_by_label("Our goals").fill("Rebuild trust together")
    save(page)
    for q, v in (("coach_gender", "any"), ("faith_based", "any"), ("lgbtq_affirming", "any"),
                 ("approach", "any"), ("format", "video"), ("budget", "15000")):
        page.locator(f"#q-{q}-{v}").check()
    page.locator("#q-coach_language").select_option("en")
    save(page)


def where_and_when(page, zone: str, blocks: list[str]) -> None:
    expect(page.get_by_role("heading", name="Where you are and when you are free")).to_be_visible()
    page.get_by_label("Country you live in").fill("United States")
    page.locator("#q-timezone").select_option(zone)
    page.locator("#q-languages-en").check()
    for block in blocks:
        page.locator(f"#q-{block}").check()
    save(page)


def private_part(page, words: str, screen: dict[str, str]) -> None:
    expect(page.get_by_role("heading", name="Your own view")).to_be_visible()
    page.get_by_label("What is happening in your relationship, as you see it?").fill(words)
    page.get_by_label("What do you hope for?").fill(words + " hopes")
    page.locator("#q-commitment-unsure").check()
    save(page)
    for item, value in (("csi1", "3"), ("csi2", "3"), ("csi3", "2"), ("csi4", "3")):
        page.locator(f"#q-{item}-{value}").check()
    save(page)
    page.get_by_label("Yes, I can answer privately").check()
    page.get_by_role("button", name="Continue").click()
    for question, answer in screen.items():
        page.locator(f"#q-{question}-{answer}").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send my answers").click()


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
