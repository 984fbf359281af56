"""In the browser: a partner ends the couple, starts again from "Your couple" (on a phone) and
invites a new partner, who joins as any invited client does. The new partner's pages hold
nothing of the old couple; the one who started again keeps their history; the former partner's
pages say only that the couple ended."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.intake_pages import consent, invite_partner, join_by_invitation
from tests.e2e.pages import PHONE, log_in, scroll_width
from tests.erasure_data import A_EMAIL, B_EMAIL

C_EMAIL = "cleo.new@example.com"


def test_after_ending_the_couple_a_partner_starts_again_with_a_new_partner(live_server, new_page, smtp_server,
                                                                           couple_with_history):
    a = new_page(viewport=PHONE)
    log_in(a, live_server, A_EMAIL)
    a.goto(live_server + "/account/couple")
    a.get_by_label("I want to end our couple on Tandem").check()
    a.get_by_role("button", name="End our couple").click()
    expect(a.get_by_text("Your couple has ended. You can go on with individual sessions.")).to_be_visible()
    assert scroll_width(a) <= PHONE["width"]
    a.get_by_role("button", name="Start with a new partner").click()
    consent(a)
    a.goto(live_server + "/intake/invite")
    invite_partner(a, C_EMAIL)

    c = new_page()
    join_by_invitation(c, smtp_server, C_EMAIL, "Cleo New", "America/New_York")
    for path in ("/home", "/intake", "/homework", "/account/couple"):
        c.goto(live_server + path)
        text = c.content().lower()  # A's name (Qzxa Annabel) is for C to see; nothing of A's old couple is
        for foreign in ("bxqv", "springfield", "private view", "listening", "reflection", "had the flu"):
            assert foreign not in text, (path, foreign)

    a.goto(live_server + "/account/couple")
    expect(a.get_by_role("heading", name="Earlier couples")).to_be_visible()
    a.goto(live_server + "/home")
    expect(a.get_by_role("heading", name="Past sessions")).to_be_visible()  # the history with B stays A's
    a.goto(live_server + "/intake")
    expect(a.locator("main")).to_contain_text("Cleo New")

    b = new_page()
    log_in(b, live_server, B_EMAIL)
    b.goto(live_server + "/home")
    expect(b.get_by_text("Your couple ended on")).to_be_visible()
    assert "cleo" not in b.content().lower()
