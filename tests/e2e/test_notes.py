"""In the browser: a coach marks a session completed, lands on its note, writes and signs it,
adds an addendum; the partners see none of it."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from coaching import db
from coaching.intake.models import Couple
from coaching.scheduling.models import BookingStatus, SessionType
from tests.e2e.pages import log_in
from tests.notes_data import build_world, booking


def test_coach_completes_a_session_writes_signs_and_amends_its_note(app, live_server, new_page, frozen_clock):
    with app.app_context():
        world = build_world(frozen_clock)
        couple = db.session.get(Couple, world.couple_id)
        joint = db.session.scalar(select(SessionType).where(SessionType.slug == "couples-session"))
        frozen_clock.advance(hours=-1)
        booking(world.cora_id, couple, joint, 0, BookingStatus.CONFIRMED, world.sam)
        frozen_clock.advance(hours=1)

    coach = new_page()
    log_in(coach, live_server, world.cora.email)
    coach.goto(live_server + "/coach")
    expect(coach.get_by_text("2 sessions need a note.")).to_be_visible()
    coach.goto(live_server + "/coach/calendar")
    coach.get_by_role("button", name="Mark completed").click()
    expect(coach.get_by_role("heading", name="Joint session: new note")).to_be_visible()
    coach.get_by_label("Focus of the session").fill("Planning the holidays <b>together</b>\nwith both families")
    coach.get_by_role("button", name="Save draft").click()
    expect(coach.get_by_text("Draft saved.")).to_be_visible()
    coach.get_by_role("button", name="Sign and lock the note").click()
    expect(coach.get_by_text("Signed. The note is now locked")).to_be_visible()
    expect(coach.get_by_text("Planning the holidays <b>together</b>")).to_be_visible()  # shown as text
    coach.get_by_label("Addendum").fill("Correction: only Casey's family.")
    coach.get_by_role("button", name="Sign and add the addendum").click()
    expect(coach.get_by_text("Correction: only Casey's family.")).to_be_visible()
    coach.goto(live_server + f"/coach/couples/{world.couple_id}")
    assert coach.get_by_text("(1 addendum)").count() == 2

    for partner in (world.sam, world.alex):
        page = new_page()
        log_in(page, live_server, partner.email)
        for path in ("/home", f"/coach/couples/{world.couple_id}"):
            page.goto(live_server + path)
            assert "Planning the holidays" not in page.content()
