"""Two partners complete the intake in two browsers; one screens positive. What does each see?"""

from __future__ import annotations

import re

from tests.conftest import PASSWORD
from tests.smtp import text_of


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


def where_and_when(page, zone: str, blocks: list[str]) -> None:
    assert page.get_by_role("heading", name="Where you are and when you are free").is_visible()
    page.get_by_label("Country you live in").fill("Somewhere")
    page.locator("#q-timezone").select_option(zone)
    page.locator("#q-languages-en").check()
    for block in blocks:
        page.locator(f"#q-{block}").check()
    save(page)


def private_part(page, words: str, screen: dict[str, str]) -> None:
    assert page.get_by_role("heading", name="Your own view").is_visible()
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
    page.get_by_role("button", name="Send my answers").click()


NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}


def test_two_partners_complete_the_intake_and_only_the_one_who_screened_positive_sees_help(
        live_server, new_page, smtp_server, create_user):
    create_user("sam@example.com", name="Sam Rivera", timezone="America/Chicago")
    sam = new_page(timezone_id="America/Chicago")
    alex = new_page(timezone_id="Europe/London")

    # Sam: home -> start -> consent -> shared part -> own details -> invite.
    log_in(sam, live_server, "sam@example.com")
    sam.get_by_role("button", name="Start the questionnaire").click()
    consent(sam)
    sam.get_by_label("First partner's name").fill("Sam")
    sam.get_by_label("Second partner's name").fill("Alex")
    sam.locator("#q-together_for-3to10").check()
    sam.locator("#q-living_together-yes").check()
    sam.locator("#q-children-none").check()
    save(sam)
    sam.get_by_label("Emotional infidelity or affair recovery").select_option("1")
    sam.get_by_label("Trust").select_option("2")
    save(sam)
    for q, v in (("kind", "emotional"), ("ongoing", "no"), ("came_to_light", "discovered"), ("how_long_ago", "1to6m")):
        sam.locator(f"#q-{q}-{v}").check()
    save(sam)
    sam.get_by_label("Our goals").fill("Rebuild trust <b>together</b>")
    save(sam)
    for q, v in (("coach_gender", "any"), ("faith_based", "any"), ("lgbtq_affirming", "any"),
                 ("approach", "any"), ("format", "video"), ("budget", "15000")):
        sam.locator(f"#q-{q}-{v}").check()
    sam.locator("#q-coach_language").select_option("en")
    save(sam)
    where_and_when(sam, "America/Chicago", ["mon-evening", "wed-evening"])
    sam.get_by_label("Your partner's email").fill("alex@example.com")
    sam.get_by_role("button", name="Send the invitation").click()
    assert "We have emailed an invitation" in sam.content()

    # Alex: the emailed link -> create a login -> consent -> own details -> private part, screening positive.
    [invite] = smtp_server.inbox.wait_for("alex@example.com")
    assert invite["Subject"] == "Sam Rivera invited you to Tandem"
    link = re.search(r"(http://127\.0\.0\.1:\d+/intake/join/\S+)", text_of(invite)).group(1)
    alex.goto(link)
    alex.get_by_role("button", name="Create my login").click()
    alex.get_by_label("Your name").fill("Alex Rivera")
    alex.get_by_label("Password").fill("a long enough password")
    alex.get_by_label("Your time zone").select_option("Europe/London")
    alex.get_by_role("button", name="Create my login and join").click()
    assert "You have joined your partner" in alex.content()
    alex.get_by_role("button", name="Continue the questionnaire").click()
    consent(alex)
    where_and_when(alex, "Europe/London", ["tue-evening"])
    private_part(alex, "ALEX-PRIVATE-words", {**NEGATIVE, "fear": "often", "threats": "yes"})

    alex.wait_for_url(live_server + "/intake/support")
    assert alex.get_by_role("heading", name="Help is available now").is_visible()
    assert "1-800-799-7233" in alex.content() and "0808 2000 247" in alex.content()
    exit_link = alex.get_by_role("link", name="Quick exit")
    assert exit_link.get_attribute("href") == "https://www.google.com/"
    for path in ("/intake", "/home", "/intake/shared"):
        alex.goto(live_server + path)
        assert alex.get_by_role("link", name="Quick exit").is_visible(), path

    # Sam sees Alex's shared edits area, not Alex's words; then finishes and is told neutrally.
    sam.goto(live_server + "/intake")
    sam.get_by_role("button", name="Continue my private part").click()
    private_part(sam, "SAM-PRIVATE-words", NEGATIVE)
    sam.goto(live_server + "/home")
    assert "Your coach will be in touch before your first session" in sam.content()
    for path in ("/home", "/intake", "/intake/shared", "/intake/support"):
        sam.goto(live_server + path)
        html = sam.content()
        assert "ALEX-PRIVATE" not in html and "Quick exit" not in html and "799-7233" not in html, path
    shared = (sam.goto(live_server + "/intake/shared"), sam.content())[1]
    assert "Rebuild trust &lt;b&gt;together&lt;/b&gt;" in shared and "Alex Rivera" in shared

    # The same neutral words reach both by email.
    [sam_done] = smtp_server.inbox.wait_for("sam@example.com")
    [alex_done] = [m for m in smtp_server.inbox.wait_for("alex@example.com", count=2)
                   if m["Subject"] == "Your Tandem questionnaire is complete"]
    assert sam_done["Subject"] == alex_done["Subject"]
    for message in (sam_done, alex_done):
        body = text_of(message).lower()
        assert "safety" not in body and "799-7233" not in body and "private-words" not in body


def test_intake_pages_fit_a_phone_screen(live_server, page, create_user):
    create_user("robin@example.com", name="Robin Park")
    page.set_viewport_size({"width": 360, "height": 740})
    log_in(page, live_server, "robin@example.com")
    page.get_by_role("button", name="Start the questionnaire").click()
    consent(page)
    for path in ("/intake/shared/about", "/intake/shared/concerns", "/intake/you", "/intake/private/satisfaction"):
        page.goto(live_server + path)
        # The questionnaire itself fits; the site's header nav is base.html's business.
        too_wide = page.evaluate("() => [...document.querySelectorAll('main *')]"
                                 ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                                 ".map(e => e.tagName + '#' + e.id)")
        assert too_wide == [], (path, too_wide)
    page.goto(live_server + "/intake/you")
    page.screenshot(path="/tmp/intake_phone.png", full_page=False)
