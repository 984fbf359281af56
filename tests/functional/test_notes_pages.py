"""The coach's notes work: draft without JavaScript, sign, addendum, the record page, search,
print, the access log; hostile input gets a clear 4xx and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from coaching import db
from coaching.audit.models import AuditEvent
from coaching.notes import note_templates as nt
from coaching.notes.models import Addendum, HandoverConsent, Note
from coaching.scheduling.models import Booking, BookingStatus
from tests.conftest import csrf_token, login
from tests.notes_data import JOINT_TEXT, build_world


@pytest.fixture
def world(app, frozen_clock):
    with app.app_context():
        return build_world(frozen_clock)


@pytest.fixture
def cora(app, world):
    client = app.test_client()
    assert login(client, world.cora.email).status_code == 302
    return client


def actions(app, **where) -> list[str]:
    with app.app_context():
        query = select(AuditEvent.action).order_by(AuditEvent.id)
        for key, value in where.items():
            query = query.where(getattr(AuditEvent, key) == value)
        return list(db.session.scalars(query))


def notes_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Note))


def post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_a_coach_writes_a_draft_without_javascript_saves_it_again_and_signs_it(app, world, cora):
    page = f"/coach/bookings/{world.bookings['open']}/note"
    form = cora.get(page).get_data(as_text=True)
    assert "Focus of the session" in form and "Agreements" in form and "<script" not in form
    created = post(cora, page, page, template_key="joint", template_version="1",
                   **{"section-focus": "Money talk", "section-plan": "Budget night"})
    assert created.status_code == 302
    note_path = created.headers["Location"]
    saved = post(cora, note_path, note_path, template_key="joint", template_version="1", revision="1",
                 **{"section-focus": "Money talk, calmer", "section-plan": "Budget night"})
    assert saved.status_code == 302
    assert post(cora, note_path + "/sign", note_path).status_code == 302
    html = cora.get(note_path).get_data(as_text=True)
    assert "Money talk, calmer" in html and "signed" in html and "Save draft" not in html
    with app.app_context():
        note = db.session.scalar(select(Note).where(Note.booking_id == world.bookings["open"]))
        assert note.is_signed and note.revision == 2 and note.signed_by_id == world.cora.id
        assert note.content_sha256 in html
    note_id = int(note_path.rsplit("/", 1)[1])
    logged = actions(app, object_id=note_id, object_type="note")
    assert [a for a in logged if a != "read"] == ["write", "write", "sign"] and logged[-1] == "read"


def test_signing_twice_keeps_the_first_signature(app, world, cora):
    path = f"/notes/{world.notes['joint']}"
    with app.app_context():
        first = db.session.get(Note, world.notes["joint"]).signed_at
    response = post(cora, path + "/sign", path)
    assert response.status_code == 302
    assert "already signed" in cora.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Note, world.notes["joint"]).signed_at == first


def test_an_addendum_is_signed_shown_under_the_note_and_logged(app, world, cora):
    path = f"/notes/{world.notes['joint']}"
    assert post(cora, path + "/addenda", path, body="Also: they will call the in-laws.").status_code == 302
    html = cora.get(path).get_data(as_text=True)
    assert html.index(JOINT_TEXT) < html.index("Also: they will call the in-laws.")
    with app.app_context():
        latest = db.session.scalars(select(Addendum).order_by(Addendum.id.desc())).first()
        assert latest.signed_by_id == world.cora.id and len(latest.content_sha256) == 64
    assert "addendum" in actions(app, actor_id=world.cora.id)


def test_a_signed_note_cannot_be_edited_through_the_page(app, world, cora):
    path = f"/notes/{world.notes['joint']}"
    response = post(cora, path, path, template_key="joint", template_version="1", revision="1",
                    **{"section-focus": "rewritten"})
    assert response.status_code == 409 and "signed" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Note, world.notes["joint"]).sections["focus"] == JOINT_TEXT


def test_html_and_script_in_a_note_are_shown_as_text_with_line_breaks_kept(app, world, cora):
    page = f"/coach/couples/{world.couple_id}/notes/new"
    hostile = '<script>alert(1)</script>\n<img src=x onerror=alert(2)>\nline three'
    created = post(cora, page, page, template_key="couple", template_version="1", **{"section-note": hostile})
    assert created.status_code == 302
    path = created.headers["Location"]
    assert post(cora, path + "/sign", path).status_code == 302
    html = cora.get(path).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;img src=x onerror=alert(2)&gt;\nline three" in html
    assert 'class="note-text"' in html


def test_an_oversized_section_is_refused_with_a_message_and_nothing_is_stored(app, world, cora):
    page = f"/coach/bookings/{world.bookings['open']}/note"
    before = notes_count(app)
    response = post(cora, page, page, template_key="joint", template_version="1",
                    **{"section-focus": "x" * (nt.SECTION_MAX + 1)})
    assert response.status_code == 422 and "characters" in response.get_data(as_text=True)
    assert notes_count(app) == before


@pytest.mark.parametrize("key, version", [("joint", "2"), ("joint", "0"), ("consultation", "1"), ("joint", "one"),
                                          ("../x", "1")])
def test_a_tampered_template_version_is_refused_and_nothing_is_stored(app, world, cora, key, version):
    page = f"/coach/bookings/{world.bookings['open']}/note"
    before = notes_count(app)
    response = post(cora, page, page, template_key=key, template_version=version, **{"section-focus": "x"})
    assert response.status_code == 400 and "template" in response.get_data(as_text=True)
    assert notes_count(app) == before
    draft = f"/notes/{world.notes['individual']}"
    response = post(cora, draft, draft, template_key="joint", template_version="1", revision="1",
                    **{"section-focus": "x"})
    assert response.status_code == 400


def test_a_stale_draft_form_does_not_overwrite_newer_text(app, world, cora):
    draft = f"/notes/{world.notes['individual']}"
    fields = {"template_key": "individual", "template_version": "1"}
    assert post(cora, draft, draft, revision="1", **fields, **{"section-focus": "newer"}).status_code == 302
    response = post(cora, draft, draft, revision="1", **fields, **{"section-focus": "older tab"})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Note, world.notes["individual"]).sections["focus"] == "newer"


def test_an_empty_note_cannot_be_signed(app, world, cora):
    page = f"/coach/couples/{world.couple_id}/notes/new"
    path = post(cora, page, page, template_key="couple", template_version="1", **{"section-note": " "}).headers["Location"]
    response = post(cora, path + "/sign", path)
    assert response.status_code == 403 and "Write something" in response.get_data(as_text=True)


def test_a_note_cannot_be_written_for_a_session_that_has_not_started(app, world, cora):
    response = cora.get(f"/coach/bookings/{world.bookings['next']}/note")
    assert response.status_code == 403 and "once the session has started" in response.get_data(as_text=True)


def test_the_record_tells_the_couples_story_in_time_order_and_marks_what_needs_a_note(app, world, cora):
    html = cora.get(f"/coach/couples/{world.couple_id}").get_data(as_text=True)
    order = ["Consultation", "Couples session", "Individual session", "individual with Sam", "confirmed"]
    positions = [html.index(word) for word in order]
    assert positions == sorted(positions)
    assert html.count("needs a note</strong>") == 2  # the draft and the session without a note
    assert "Confidential: Sam's individual session" in html
    assert "/intake/couples/%d/summary" % world.couple_id in html
    for block in ("record-summaries", "record-checkins", "record-access"):
        assert f'id="{block}"' in html
    assert "read" in actions(app, object_type="record")


def test_the_individual_sessions_note_is_marked_confidential_wherever_it_appears(app, world, cora):
    mark = "Confidential: Sam's individual session"
    assert mark in cora.get(f"/notes/{world.notes['individual']}").get_data(as_text=True)
    assert mark in cora.get(f"/coach/couples/{world.couple_id}/print").get_data(as_text=True)


def test_the_coach_home_counts_sessions_that_need_notes_and_links_the_record(app, world, cora):
    html = cora.get("/coach").get_data(as_text=True)
    assert "2 sessions need a note." in html and f"/coach/couples/{world.couple_id}" in html


def test_mark_completed_lands_the_coach_on_the_note_for_that_session(app, world, cora, frozen_clock):
    with app.app_context():
        booking = db.session.get(Booking, world.bookings["next"])
        booking.starts_at -= timedelta(days=3, hours=1)
        booking.ends_at -= timedelta(days=3, hours=1)
        db.session.commit()
    response = cora.post(f"/coach/bookings/{world.bookings['next']}/attendance",
                         data={"csrf_token": csrf_token(cora, "/coach/calendar"), "att-outcome": "complete"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/coach/bookings/{world.bookings['next']}/note")
    with app.app_context():
        assert db.session.get(Booking, world.bookings["next"]).status == BookingStatus.COMPLETED


def test_search_names_the_couple_the_note_and_the_section_and_is_logged_per_couple(app, world, cora):
    html = cora.get("/coach/notes/search?q=weekly+WALK").get_data(as_text=True)
    assert "Sam &amp; Alex" in html and "Joint session" in html and "Focus of the session" in html
    assert f"/notes/{world.notes['joint']}" in html
    assert actions(app, action="search", couple_id=world.couple_id) == ["search"]
    with app.app_context():
        detail = db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "search"))
        assert "walk" not in detail.lower()


@pytest.mark.parametrize("query", ["", "   ", "a " * 9, "x" * 101])
def test_an_empty_or_oversized_search_gets_a_clear_message(app, world, cora, query):
    response = cora.get("/coach/notes/search", query_string={"q": query})
    assert response.status_code in (200, 400)
    if query.strip():
        assert response.status_code == 400 and "at most" in response.get_data(as_text=True)
    assert actions(app, action="search") == []


def test_printing_the_record_is_logged_as_an_export_and_uses_print_css(app, world, cora):
    html = cora.get(f"/coach/couples/{world.couple_id}/print").get_data(as_text=True)
    assert JOINT_TEXT in html and 'media="print"' in html and "css/print.css" in html
    assert actions(app, action="export") == ["export"]
    assert cora.get("/static/css/print.css").status_code == 200


def test_the_coach_sees_the_records_access_log(app, world, cora):
    cora.get(f"/notes/{world.notes['joint']}")
    html = cora.get(f"/coach/couples/{world.couple_id}/access-log").get_data(as_text=True)
    assert "Cora Current (coach)" in html and "sign" in html and "addendum" in html and "read" in html


def test_each_kind_of_access_leaves_its_entry(app, world, cora):
    cora.get(f"/notes/{world.notes['joint']}")
    cora.get(f"/coach/couples/{world.couple_id}/print")
    cora.get("/coach/notes/search?q=walk")
    cora.get(f"/intake/couples/{world.couple_id}/summary")
    assert {"write", "sign", "addendum", "read", "export", "search", "summary_read"} <= set(actions(app))


def test_the_record_page_needs_the_same_number_of_queries_however_long_the_history(app, world, cora, frozen_clock):
    def queries() -> int:
        seen = []
        engine = db.get_engine()
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert cora.get(f"/coach/couples/{world.couple_id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    few = queries()
    with app.app_context():
        from tests.notes_data import booking, write
        from coaching.intake.models import Couple
        from coaching.scheduling.models import SessionType
        couple = db.session.get(Couple, world.couple_id)
        joint = db.session.scalar(select(SessionType).where(SessionType.slug == "couples-session"))
        for i in range(12):
            frozen_clock.set(frozen_clock.at + timedelta(hours=2))
            b = booking(world.cora_id, couple, joint, 0, BookingStatus.COMPLETED, world.sam)
            frozen_clock.set(frozen_clock.at + timedelta(hours=1))
            write(world.cora, couple, b, f"session {i}", sign=i % 2 == 0)
    # A day and a half passed: the coach's idle sign-in has ended, so she signs in again.
    assert login(cora, world.cora.email).status_code == 302
    assert queries() == few


def test_each_partner_answers_the_handover_question_privately_and_it_defaults_to_no(app, world, frozen_clock):
    with app.app_context():
        from coaching.intake.models import Couple
        db.session.get(Couple, world.couple_id).coach_id = world.cora_id
        db.session.commit()
    sam, alex = app.test_client(), app.test_client()
    login(sam, world.sam.email), login(alex, world.alex.email)
    page = sam.get("/match/rematch").get_data(as_text=True)
    assert "next coach may read the notes" in page and "checked" not in page.split("share_notes")[1][:80]
    assert post(sam, "/match/rematch", "/match/rematch", reason="", share_notes="y").status_code == 302
    assert "share_notes" not in alex.get("/match/rematch").get_data(as_text=True).split("<form")[0]
    assert post(alex, "/match/rematch", "/match/rematch", reason="").status_code == 302
    with app.app_context():
        answers = {a.user_id: a.agreed for a in db.session.scalars(
            select(HandoverConsent).where(HandoverConsent.rematch_request_id != world.rematch_id))}
    assert answers == {world.sam.id: True, world.alex.id: False}


def test_the_admin_access_log_filters_and_exports_csv(app, world, create_user, cora):
    cora.get(f"/notes/{world.notes['joint']}")
    root = app.test_client()
    login(root, world.root.email)
    html = root.get(f"/admin/access-log?couple={world.couple_id}&action=read&actor={world.cora.id}").get_data(as_text=True)
    assert "Cora Current (coach)" in html and "note #%d" % world.notes["joint"] in html and "sign" not in html.split("<tbody>")[1]
    assert "No entries" in root.get("/admin/access-log?since=2030-01-01").get_data(as_text=True)
    bad = root.get("/admin/access-log?couple=abc&since=yesterday&action=drop")
    assert bad.status_code == 200 and "ignored" in bad.get_data(as_text=True)
    csv_response = root.get(f"/admin/access-log.csv?couple={world.couple_id}")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    lines = csv_response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,created_at,actor_id") and len(lines) > 5
    assert all(f",{world.couple_id}," in line for line in lines[1:])


def test_search_finds_words_with_accents_and_in_addenda(app, world, cora):
    page = f"/coach/couples/{world.couple_id}/notes/new"
    post(cora, page, page, template_key="couple", template_version="1", **{"section-note": "Moving to Zürich in May"})
    assert "Moving to Zürich" in cora.get("/coach/notes/search?q=z%C3%BCrich").get_data(as_text=True)
    found = cora.get("/coach/notes/search?q=saturdays").get_data(as_text=True)
    assert "Addendum" in found and "the walk is on Saturdays" in found
