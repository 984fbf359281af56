"""What a partner does in the intake pages, step by step, for the browser tests."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.e2e.pages import emailed_link, log_in

NEGATIVE = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
            "isolation": "no", "forced_sex": "no", "self_harm": "no"}
POSITIVE = {**NEGATIVE, "fear": "often", "physical_harm": "yes"}


def start_questionnaire(page, base: str, email: str) -> None:
    """An existing client signs in, starts the questionnaire from home and gives consent."""
    log_in(page, base, email, lands_on="/home")
    page.get_by_role("button", name="Start the questionnaire").click()
    consent(page)


def invite_partner(page, email: str) -> None:
    """The first partner, their own details given: the invitation goes to the other by email."""
    page.get_by_label("Your partner's email").fill(email)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("We have emailed an invitation")).to_be_visible()


def join_by_invitation(page, smtp_server, email: str, name: str, zone: str) -> Any:
    """The invited partner follows the emailed link, creates a login, joins and continues the
    questionnaire (consent is next); returns the invitation email."""
    [invite] = smtp_server.inbox.wait_for(email)
    page.goto(emailed_link(invite, "/intake/join"))
    page.get_by_role("button", name="Create my login").click()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_label("Your time zone").select_option(zone)
    page.get_by_role("button", name="Create my login and join").click()
    expect(page.locator("main")).to_contain_text("You have joined your partner")
    page.get_by_role("button", name="Continue the questionnaire").click()
    return invite


def save(page) -> None:
    page.get_by_role("button", name="Save and continue").click()


def consent(page) -> None:
    page.get_by_label("I agree to Tandem's terms of service.").check()
    page.get_by_label("I have read how our answers are shared").check()
    page.get_by_label("I agree that Tandem stores and processes sensitive information").check()
    page.get_by_role("button", name="I agree, continue").click()


def shared_part(page, goals: str = "Rebuild trust together") -> None:
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
    page.get_by_label("Our goals").fill(goals)
    save(page)
    for q, v in (("coach_gender", "any"), ("faith_based", "any"), ("lgbtq_affirming", "any"),
                 ("approach", "any"), ("format", "video"), ("budget", "15000")):
        page.locator(f"#q-{q}-{v}").check()
    page.locator("#q-coach_language").select_option("en")
    save(page)


def where_and_when(page, zone: str, blocks: list[str], country: str = "United States") -> None:
    expect(page.get_by_role("heading", name="Where you are and when you are free")).to_be_visible()
    page.get_by_label("Country you live in").fill(country)
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
