"""In the browser: the coach shares a joint and an individual session's summary; Sam and Alex,
each in their own browser, see what is theirs; Sam's coach-only reflection never reaches Alex."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.pages import PHONE, log_in, scroll_width
from tests.homework_data import EMAILS, build_world


def share(page, base, booking_id, summary, homework):
    page.goto(f"{base}/coach/bookings/{booking_id}/share")
    page.get_by_label("Summary of the session").fill(summary)
    page.get_by_label("Homework, one item per line").fill(homework)
    page.get_by_role("button", name="Share with the couple").click()
    expect(page.get_by_text("Shared. The partners who may see it")).to_be_visible()


def test_partners_see_what_is_theirs_and_a_coach_only_reflection_stays_with_the_coach(app, live_server, new_page,
                                                                                         frozen_clock):
    with app.app_context():
        world = build_world()
    coach = new_page()
    log_in(coach, live_server, EMAILS["coach"])
    share(coach, live_server, world.bookings["joint"], "We practised listening.\nWell done.",
          "Ten minutes of listening each evening\nOne kind note a day")
    coach.goto(f"{live_server}/coach/bookings/{world.bookings['solo_sam']}/share")
    expect(coach.get_by_text("only Sam will see it")).to_be_visible()
    share(coach, live_server, world.bookings["solo_sam"], "Sam's first sentence, said aloud.", "Notice one moment")

    sam = new_page(viewport=PHONE)
    log_in(sam, live_server, EMAILS["sam"])
    sam.get_by_role("link", name="Summaries and homework from your coach").click()
    expect(sam.get_by_text("Sam's first sentence, said aloud.")).to_be_visible()
    assert scroll_width(sam) <= PHONE["width"]  # fits a phone
    joint = sam.locator("article", has_text="We practised listening.")
    joint.locator("li", has_text="One kind note a day").get_by_role("button", name="Mark done").click()
    joint = sam.locator("article", has_text="We practised listening.")
    expect(joint.locator("li", has_text="One kind note a day").get_by_text("You: done")).to_be_visible()
    joint.get_by_label("Your reflection").fill("Only for Ana: the evenings still feel heavy.")
    joint.get_by_label("For my coach only").check()
    joint.get_by_role("button", name="Save my reflection").click()
    expect(sam.get_by_text("Your reflection is saved.")).to_be_visible()

    alex = new_page()
    log_in(alex, live_server, EMAILS["alex"])
    alex.goto(live_server + "/homework")
    content = alex.content()
    assert "We practised listening." in content and "Sam: done" in content
    assert "first sentence" not in content and "evenings still feel heavy" not in content

    coach.goto(f"{live_server}/coach/bookings/{world.bookings['joint']}/share")
    expect(coach.get_by_text("Only for Ana: the evenings still feel heavy.")).to_be_visible()
    expect(coach.get_by_text("for the coach only")).to_be_visible()
