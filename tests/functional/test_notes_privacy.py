"""The privacy matrix of every notes page: partner A, partner B, the assigned coach, the
previous coach, the new coach with and without both partners' handover consent, an
unassigned coach, an admin without and with break-glass, and a visitor.

Where the existence of a record or note is private, the answer is the same 404 as for an
id that does not exist. A refused request that revealed nothing leaves no audit entry.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coaching import db
from coaching.audit.models import AuditEvent
from tests.conftest import csrf_token, login
from tests.notes_data import ADDENDUM_TEXT, INDIVIDUAL_TEXT, JOINT_TEXT, PREVIOUS_TEXT, build_world

ACTORS = ("sam", "alex", "cora", "pat", "una", "root", "visitor")


@pytest.fixture
def world(app, frozen_clock, request):
    consent = getattr(request, "param", (False, False))
    with app.app_context():
        return build_world(frozen_clock, consent=consent)


def client_for(app, world, actor):
    client = app.test_client()
    if actor != "visitor":
        assert login(client, getattr(world, actor).email).status_code == 302
    return client


def body(response) -> str:
    return re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))


def audit_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(AuditEvent.id)).all())


def expect(response, code: int) -> str:
    if code == 302:
        assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    else:
        assert response.status_code == code, (response.status_code, response.request.path)
    return response.get_data(as_text=True)


RECORD_PAGES = ["/coach/couples/{c}", "/coach/couples/{c}/print", "/coach/couples/{c}/access-log",
                "/coach/couples/{c}/notes/new", "/coach/bookings/{open}/note"]


@pytest.mark.parametrize("actor, code", [("sam", 404), ("alex", 404), ("cora", 200), ("pat", 404), ("una", 404),
                                         ("root", 404), ("visitor", 302)])
def test_only_the_assigned_coach_opens_the_couples_record_print_log_and_note_forms(app, world, actor, code):
    client = client_for(app, world, actor)
    logged = audit_count(app)
    for template in RECORD_PAGES:
        path = template.format(c=world.couple_id, open=world.bookings["open"])
        html = expect(client.get(path), code)
        if code == 404:
            missing = template.format(c=world.couple_id + 999, open=world.bookings["open"] + 999)
            assert body(client.get(path)) == body(client.get(missing)), path
            assert JOINT_TEXT not in html
    if code != 200:
        assert audit_count(app) == logged  # refused, nothing revealed, nothing logged


@pytest.mark.parametrize("actor, code, sees", [
    ("sam", 404, False), ("alex", 404, False), ("cora", 200, True), ("pat", 404, False), ("una", 404, False),
    ("root", 200, False), ("visitor", 302, False)])
def test_the_current_coachs_note_is_read_by_the_coach_and_known_to_admins_only(app, world, actor, code, sees):
    client = client_for(app, world, actor)
    for name, secret in (("joint", JOINT_TEXT), ("individual", INDIVIDUAL_TEXT)):
        path = f"/notes/{world.notes[name]}"
        html = expect(client.get(path), code)
        assert (secret in html) is sees
        if code == 404:
            assert body(client.get(path)) == body(client.get(f"/notes/{world.notes[name] + 999}"))
    assert (ADDENDUM_TEXT in client.get(f"/notes/{world.notes['joint']}").get_data(as_text=True)) is sees


@pytest.mark.parametrize("world, cora_reads", [((False, False), False), ((True, False), False), ((True, True), True)],
                         indirect=["world"], ids=["no-consent", "one-partner-agreed", "both-agreed"])
def test_the_new_coach_reads_the_previous_coachs_notes_only_with_both_partners_consent(app, world, cora_reads):
    cora = client_for(app, world, "cora")
    html = expect(cora.get(f"/notes/{world.notes['previous']}"), 200)
    assert (PREVIOUS_TEXT in html) is cora_reads
    record = cora.get(f"/coach/couples/{world.couple_id}").get_data(as_text=True)
    assert ("by an earlier coach exists" in record) is not cora_reads  # existence is shown either way
    printed = cora.get(f"/coach/couples/{world.couple_id}/print").get_data(as_text=True)
    assert (PREVIOUS_TEXT in printed) is cora_reads
    found = cora.get("/coach/notes/search?q=Sunday+arguments").get_data(as_text=True)
    assert ("stop the Sunday arguments" in found) is cora_reads


@pytest.mark.parametrize("world", [(False, False), (True, True)], indirect=True, ids=["no-consent", "both-agreed"])
def test_the_previous_coach_keeps_their_own_notes_and_nothing_newer_whatever_the_consent(app, world):
    pat = client_for(app, world, "pat")
    assert PREVIOUS_TEXT in expect(pat.get(f"/notes/{world.notes['previous']}"), 200)
    expect(pat.get(f"/notes/{world.notes['joint']}"), 404)
    found = pat.get("/coach/notes/search?q=walk").get_data(as_text=True)
    assert JOINT_TEXT not in found and "No note contains" in found
    assert "Sunday arguments" in pat.get("/coach/notes/search?q=sunday").get_data(as_text=True)


def test_an_unassigned_coachs_search_finds_nothing_of_the_couple(app, world):
    una = client_for(app, world, "una")
    html = expect(una.get("/coach/notes/search?q=walk"), 200)
    assert JOINT_TEXT not in html and "Sam" not in html and "No note contains" in html


@pytest.mark.parametrize("actor", ["sam", "alex", "root"])
def test_only_coaches_search_notes(app, world, actor):
    expect(client_for(app, world, actor).get("/coach/notes/search?q=walk"), 404)


def test_an_admin_sees_metadata_until_breaking_the_glass_with_a_reason_the_coach_then_sees(app, world):
    root = client_for(app, world, "root")
    page = expect(root.get(f"/admin/couples/{world.couple_id}/notes"), 200)
    assert "signed" in page and "draft" in page and JOINT_TEXT not in page
    assert f"/notes/{world.notes['joint']}\"" not in page
    assert JOINT_TEXT not in root.get(f"/notes/{world.notes['joint']}").get_data(as_text=True)
    path = f"/admin/couples/{world.couple_id}/break-glass"
    refused = root.post(path, data={"csrf_token": csrf_token(root, f"/admin/couples/{world.couple_id}/notes"),
                                    "reason": "why"})
    assert refused.status_code == 422 and "at least 10 characters" in refused.get_data(as_text=True)
    opened = root.post(path, data={"csrf_token": csrf_token(root, f"/admin/couples/{world.couple_id}/notes"),
                                   "reason": "Client complaint 4411 about session of 23 Oct"})
    assert opened.status_code == 302
    assert JOINT_TEXT in expect(root.get(f"/notes/{world.notes['joint']}"), 200)
    assert PREVIOUS_TEXT in expect(root.get(f"/notes/{world.notes['previous']}"), 200)
    log = client_for(app, world, "cora").get(f"/coach/couples/{world.couple_id}/access-log").get_data(as_text=True)
    assert "Client complaint 4411" in log and "break-glass" in log and "Root Admin (admin)" in log


def test_the_break_glass_window_closes(app, world, frozen_clock):
    root = client_for(app, world, "root")
    root.post(f"/admin/couples/{world.couple_id}/break-glass",
              data={"csrf_token": csrf_token(root, f"/admin/couples/{world.couple_id}/notes"),
                    "reason": "Audit of record keeping, ticket 12"})
    assert JOINT_TEXT in root.get(f"/notes/{world.notes['joint']}").get_data(as_text=True)
    frozen_clock.advance(minutes=61)
    assert JOINT_TEXT not in root.get(f"/notes/{world.notes['joint']}").get_data(as_text=True)


@pytest.mark.parametrize("actor", ["sam", "alex", "cora", "pat", "una"])
def test_nobody_but_admins_opens_the_admin_notes_page_or_breaks_the_glass(app, world, actor):
    client = client_for(app, world, actor)
    expect(client.get(f"/admin/couples/{world.couple_id}/notes"), 404)
    token = csrf_token(client, "/account/settings")
    expect(client.post(f"/admin/couples/{world.couple_id}/break-glass", data={"csrf_token": token,
                                                                          "reason": "I would like to read it"}), 404)
    assert client.get("/admin/access-log").status_code == 403
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "break_glass")).all() == []


@pytest.mark.parametrize("actor", ["sam", "alex", "pat", "una", "root"])
def test_nobody_but_the_assigned_coach_writes_signs_or_annotates_a_note(app, world, actor):
    client = client_for(app, world, actor)
    token = csrf_token(client, "/account/settings")
    logged = audit_count(app)
    draft, signed = world.notes["individual"], world.notes["joint"]
    posts = [
        (f"/notes/{draft}", {"template_key": "individual", "template_version": "1", "revision": "1",
                             "section-focus": "hijacked"}),
        (f"/notes/{draft}/sign", {}),
        (f"/notes/{signed}/addenda", {"body": "hijacked"}),
        (f"/coach/bookings/{world.bookings['open']}/note", {"template_key": "joint", "template_version": "1",
                                                            "section-focus": "hijacked"}),
        (f"/coach/couples/{world.couple_id}/notes/new", {"template_key": "couple", "template_version": "1",
                                                         "section-note": "hijacked"}),
    ]
    for path, data in posts:
        response = client.post(path, data={"csrf_token": token, **data})
        assert response.status_code in (403, 404), (path, response.status_code)
        if actor != "root":
            assert response.status_code == 404, path
    with app.app_context():
        from coaching.notes.models import Addendum, Note
        assert db.session.get(Note, draft).status == "draft"
        assert "hijacked" not in str(db.session.get(Note, draft).sections)
        assert db.session.scalars(select(Addendum)).all().__len__() == 1
        assert len(db.session.scalars(select(Note)).all()) == 3
    assert audit_count(app) == logged


def test_the_partners_pages_never_mention_coach_notes(app, world):
    for actor in ("sam", "alex"):
        client = client_for(app, world, actor)
        for path in ("/home", "/intake", "/match/rematch"):
            html = client.get(path).get_data(as_text=True)
            for secret in (JOINT_TEXT, INDIVIDUAL_TEXT, PREVIOUS_TEXT, ADDENDUM_TEXT, "needs a note"):
                assert secret not in html, (actor, path)
