"""In Chromium: the coach sends a check-in, a partner answers it on a phone-sized screen from the
emailed link, and both see the SVG trend (drawn within the CSP, no horizontal scrolling)."""

from __future__ import annotations

from playwright.sync_api import expect

from coaching import db
from tests.checkin_data import create_world
from tests.e2e.pages import PHONE, emailed_link, log_in, scroll_width


def test_coach_sends_a_check_in_a_partner_answers_it_on_a_phone_and_both_see_the_trend(
        app, live_server, new_page, smtp_server, frozen_clock):
    with app.app_context():
        world = create_world()
        db.session.remove()
    problems: list[str] = []

    coach = new_page()
    coach.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(coach, live_server, world.emails["coach"], lands_on="/coach")
    coach.goto(f"{live_server}/coach/couples/{world.couple}/checkins")
    coach.get_by_role("button", name="Send a check-in to both partners").click()
    expect(coach.get_by_text("Check-in sent")).to_be_visible()

    [message] = smtp_server.inbox.wait_for(world.emails["a"])
    link = emailed_link(message, "/checkins")

    sam = new_page(viewport=PHONE)
    sam.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in(sam, live_server, world.emails["a"], lands_on="/home")
    sam.goto(link)
    sam.get_by_role("link", name="answer now").click()
    sam.get_by_label("Yes, I can answer privately").check()
    sam.get_by_role("button", name="Continue").click()
    for question, answer in (("csi1", "4"), ("csi2", "4"), ("csi3", "3"), ("csi4", "4")):
        sam.locator(f"#q-{question}-{answer}").check()
    for question in ("fear-never", "physical_harm-no", "threats-no", "monitoring-no", "money-no",
                     "isolation-no", "forced_sex-no", "self_harm-no"):
        sam.locator(f"#q-{question}").check()
    sam.get_by_role("button", name="Send my answers").click()
    expect(sam.get_by_role("heading", name="Thank you")).to_be_visible()
    sam.get_by_role("button", name="Back to check-ins").click()
    chart = sam.locator("figure.checkin-chart svg")
    expect(chart).to_be_visible()
    expect(chart.locator("circle")).to_have_count(2)  # intake 8, now 15
    assert scroll_width(sam) <= PHONE["width"]

    coach.reload()
    assert coach.locator("figure.checkin-chart svg polyline").count() == 2
    assert coach.locator("g.divergence").count() == 1  # the intake: 8 and 17
    assert not problems, problems
