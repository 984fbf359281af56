"""Two partners complete the intake in two browsers; one screens positive. What does each see?"""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.intake_pages import (NEGATIVE, consent, invite_partner, join_by_invitation, private_part,
                                    shared_part, start_questionnaire, where_and_when)
from tests.smtp import text_of


def test_two_partners_complete_the_intake_and_help_is_one_discreet_click_away_under_support(
        live_server, new_page, smtp_server, create_user):
    create_user("sam@example.com", name="Sam Rivera", timezone="America/Chicago")
    sam = new_page(timezone_id="America/Chicago")
    alex = new_page(timezone_id="Europe/London")

    # Sam: home -> start -> consent -> shared part -> own details -> invite.
    start_questionnaire(sam, live_server, "sam@example.com")
    shared_part(sam, goals="Rebuild trust <b>together</b>")
    where_and_when(sam, "America/Chicago", ["mon-evening", "wed-evening"])
    invite_partner(sam, "alex@example.com")

    # Alex: the emailed link -> create a login -> consent -> own details -> private part, screening positive.
    invite = join_by_invitation(alex, smtp_server, "alex@example.com", "Alex Rivera", "Europe/London")
    assert invite["Subject"] == "Sam Rivera invited you to Tandem"
    consent(alex)
    where_and_when(alex, "Europe/London", ["tue-evening"])
    private_part(alex, "ALEX-PRIVATE-words", {**NEGATIVE, "fear": "often", "threats": "yes"})

    alex.wait_for_url(live_server + "/support")
    expect(alex.get_by_role("heading", name="Help is available now")).to_be_visible()
    assert "1-800-799-7233" in alex.content() and "0808 2000 247" in alex.content()
    exit_link = alex.get_by_role("complementary", name="Quick exit").get_by_role("link", name="Quick exit")
    assert exit_link.get_attribute("href") == "https://www.google.com/"  # inside a landmark (axe "region")
    # Elsewhere the resources are one discreet click away, under "Support", as for everyone.
    for path in ("/intake", "/home", "/intake/shared"):
        alex.goto(live_server + path)
        assert "799-7233" not in alex.content() and alex.get_by_role("link", name="Quick exit").count() == 0, path
        alex.get_by_role("link", name="Support", exact=True).click()
        alex.wait_for_url(live_server + "/support")
        expect(alex.get_by_role("link", name="Quick exit"), path).to_be_visible()

    # Sam sees Alex's shared edits area, not Alex's words; then finishes and is told neutrally.
    sam.goto(live_server + "/intake")
    sam.get_by_role("button", name="Continue my private part").click()
    private_part(sam, "SAM-PRIVATE-words", NEGATIVE)
    sam.goto(live_server + "/home")
    assert "Next: choose the coach who fits you both" in sam.content()
    for path in ("/home", "/intake", "/intake/shared"):
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
    start_questionnaire(page, live_server, "robin@example.com")
    for path in ("/intake/shared/about", "/intake/shared/concerns", "/intake/you", "/intake/private/satisfaction"):
        page.goto(live_server + path)
        # The questionnaire itself fits; the site's header nav is base.html's business.
        too_wide = page.evaluate("() => [...document.querySelectorAll('main *')]"
                                 ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)"
                                 ".map(e => e.tagName + '#' + e.id)")
        assert too_wide == [], (path, too_wide)
    page.goto(live_server + "/intake/you")
    page.screenshot(path="/tmp/intake_phone.png", full_page=False)
