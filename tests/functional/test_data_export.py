"""Data exports: A's ZIP holds all of A's data and nothing private of B's; the link works once,
for 24 hours, for its owner only; coach notes come only as the practice setting says, and a
release is reviewed by an admin and audited."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from coaching import db
from coaching.audit.models import AuditEvent
from coaching.exports import services
from coaching.exports.models import DataExport, ExportStatus
from tests.conftest import PASSWORD, csrf_token, login
from tests.export_data import (
    ADMIN,
    ALEX,
    COACH,
    NOTE_MARKERS,
    SAM,
    SHARED_MARKERS,
    build_world,
    markers,
    note_marker,
)
from tests.mail import sent_emails

LINK = re.compile(r"(/account/data/download/[A-Za-z0-9_-]+)")


@pytest.fixture
def world(app: Any, frozen_clock: Any) -> Any:
    with app.app_context():
        return build_world()


def client_for(app: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def ask(client: Any, include_notes: bool = False) -> Any:
    data = {"csrf_token": csrf_token(client, "/account/data")}
    if include_notes:
        data["include_notes"] = "y"
    return client.post("/account/data", data=data)


def last_link(app: Any, email: str) -> str:
    with app.app_context():
        mails = sent_emails(to=email)
    ready = [m for m in mails if m.kind == "export_ready"]
    assert ready, [m.kind for m in mails]
    return LINK.search(ready[-1].text_body).group(1)


def fetch(client: Any, link: str) -> Any:
    assert client.get(link).status_code == 200
    return client.post(link, data={"csrf_token": csrf_token(client, link)})


def unzip(payload: bytes) -> dict[str, str]:
    """Every file of the ZIP, decompressed and decoded."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def everything(files: dict[str, str]) -> str:
    return "\n".join(files.values())


def export_of(app: Any, client: Any, email: str, include_notes: bool = False) -> dict[str, str]:
    assert ask(client, include_notes).status_code == 303
    got = fetch(client, last_link(app, email))
    assert got.status_code == 200 and got.mimetype == "application/zip"
    return unzip(got.data)


def test_an_export_holds_all_of_a_partners_data_and_nothing_private_of_the_other(app, world):
    for me, other, email in (("A", "B", SAM), ("B", "A", ALEX)):
        files = export_of(app, client_for(app, email), email)
        assert sorted(files) == ["tandem-export/README.txt", "tandem-export/data.json", "tandem-export/index.html"]
        whole = everything(files)
        missing = [m for m in markers(me) + list(SHARED_MARKERS) if m.lower() not in whole.lower()]
        assert missing == [], missing
        for name, content in files.items():  # not one file holds anything of the other partner's
            assert f"{other}MARK".lower() not in content.lower(), (name, re.findall(rf"{other}MARK-[a-z-]+", content, re.I))
        # Without a release, no notes at all (on_request is the default).
        assert note_marker(me) not in whole and "COUPLE-NOTE-MARK" not in whole
        data = json.loads(files["tandem-export/data.json"])
        assert data["coach_notes"] == {"included": False, "setting": "on_request"}
        assert data["account"]["email"] == email and len(data["your_individual_sessions"]) == 2
        # Every marker is on the readable page too, not only in the JSON.
        page_missing = [m for m in markers(me) if m.lower() not in files["tandem-export/index.html"].lower()]
        assert page_missing == []


def test_the_link_works_once_only_for_its_owner_and_the_archive_is_stored_encrypted(app, world):
    sam = client_for(app, SAM)
    assert ask(sam).status_code == 303
    link = last_link(app, SAM)
    token = link.rsplit("/", 1)[1]
    with app.app_context():
        raw = db.session.execute(text("SELECT token_hash, archive FROM data_exports")).one()
    assert raw.token_hash != token and token not in raw.token_hash
    assert raw.archive.startswith("gAAAAA") and "AMARK" not in raw.archive  # a Fernet token
    # Alex, logged in, cannot use Sam's link; nobody logged out can either.
    alex = client_for(app, ALEX)
    assert alex.get(link).status_code == 404
    assert alex.post(link, data={"csrf_token": csrf_token(alex, "/account/data")}).status_code == 404
    visitor = app.test_client()
    to_login = visitor.get(link)
    assert to_login.status_code == 302 and "/account/login" in to_login.headers["Location"]
    assert token not in to_login.headers["Location"]  # a query string would reach the access log
    assert fetch(sam, link).status_code == 200
    assert sam.get(link).status_code == 404
    assert sam.post(link, data={"csrf_token": csrf_token(sam, "/account/data")}).status_code == 404
    with app.app_context():
        row = db.session.scalar(select(DataExport))
        assert row.status == ExportStatus.DOWNLOADED and row.downloaded_at is not None
        assert db.session.scalar(text("SELECT archive FROM data_exports")) is None
    assert "downloaded" in sam.get("/account/data").get_data(as_text=True)


@pytest.mark.parametrize("token", ["x", "A" * 43, "../../etc/passwd", "a" * 5000, "%00", "%E2%98%83",
                                   "tdm_" + "z" * 40, "'; DROP TABLE data_exports; --"])
def test_a_wrong_or_hostile_token_is_a_404(app, world, token):
    sam = client_for(app, SAM)
    assert ask(sam).status_code == 303
    for method in ("get", "post"):
        response = getattr(sam, method)(f"/account/data/download/{token}",
                                        data={"csrf_token": csrf_token(sam, "/account/data")})
        assert response.status_code == 404, (method, token, response.status_code)


def test_the_link_expires_after_24_hours_and_the_sweep_erases_the_archive(app, world, frozen_clock):
    sam = client_for(app, SAM)
    assert ask(sam).status_code == 303
    link = last_link(app, SAM)
    frozen_clock.advance(hours=23, minutes=59)
    assert login(sam, SAM).status_code == 302  # the sign-in timed out meanwhile
    assert sam.get(link).status_code == 200
    frozen_clock.advance(minutes=1)
    assert sam.get(link).status_code == 404
    assert sam.post(link, data={"csrf_token": csrf_token(sam, "/account/data")}).status_code == 404
    with app.app_context():
        assert db.session.scalar(text("SELECT archive FROM data_exports")) is not None
        assert services.sweep(db.session, frozen_clock.at) == (0, 1)
        row = db.session.scalar(select(DataExport))
        assert row.status == ExportStatus.EXPIRED
        assert db.session.scalar(text("SELECT archive FROM data_exports")) is None
    assert "expired unused" in sam.get("/account/data").get_data(as_text=True)


def test_the_periodic_sweep_builds_an_export_the_queue_missed(app, world, frozen_clock, monkeypatch):
    monkeypatch.setattr(services, "schedule_build", lambda export_id: None)  # as if the queue were down
    sam = client_for(app, SAM)
    assert ask(sam).status_code == 303
    assert "being prepared" in sam.get("/account/data").get_data(as_text=True)
    again = ask(sam)  # one at a time
    assert again.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1
        assert not [m for m in sent_emails(to=SAM) if m.kind == "export_ready"]
        assert services.sweep(db.session, frozen_clock.at) == (1, 0)
    assert "AMARK-private-answer" in everything(unzip(fetch(sam, last_link(app, SAM)).data))


def test_coach_notes_on_request_are_released_by_an_admin_into_a_new_export_and_audited(app, world):
    sam = client_for(app, SAM)
    first = export_of(app, sam, SAM, include_notes=True)
    assert "COUPLE-NOTE-MARK" not in everything(first)
    assert "waiting for the practice" in sam.get("/account/data").get_data(as_text=True)
    with app.app_context():
        request_id = db.session.scalar(select(DataExport.id).where(DataExport.notes_requested.is_(True)))
        asked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_request"))
        assert asked.object_id == request_id and asked.actor_role == "client"
    # Only admins review; a coach or a partner gets a 403.
    for email in (COACH, SAM):
        assert client_for(app, email).get("/admin/exports").status_code == 403
    admin = client_for(app, ADMIN)
    page = admin.get("/admin/exports").get_data(as_text=True)
    assert f"/admin/exports/{request_id}" in page
    review = admin.get(f"/admin/exports/{request_id}").get_data(as_text=True)
    assert "/admin/couples/" in review and "COUPLE-NOTE-MARK" not in review  # metadata; content by break-glass
    assert admin.post(f"/admin/exports/{request_id}", data={
        "decision": "bogus", "csrf_token": csrf_token(admin, f"/admin/exports/{request_id}")}).status_code == 400
    released = admin.post(f"/admin/exports/{request_id}", data={
        "decision": "release", "csrf_token": csrf_token(admin, f"/admin/exports/{request_id}")})
    assert released.status_code == 303
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_release"))
        assert event.actor_role == "admin" and event.object_id == request_id and event.couple_id == world.couple_id
    files = unzip(fetch(sam, last_link(app, SAM)).data)
    whole = everything(files)
    assert note_marker("A") in whole and "COUPLE-NOTE-MARK" in whole
    assert "BMARK" not in whole  # never a note of Alex's individual sessions
    again = admin.post(f"/admin/exports/{request_id}", data={
        "decision": "decline", "csrf_token": csrf_token(admin, f"/admin/exports/{request_id}")})
    assert again.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "export_decline")) == 0


def test_a_declined_notes_request_is_audited_and_the_partner_told(app, world):
    alex = client_for(app, ALEX)
    export_of(app, alex, ALEX, include_notes=True)
    with app.app_context():
        request_id = db.session.scalar(select(DataExport.id).where(DataExport.notes_requested.is_(True)))
    admin = client_for(app, ADMIN)
    assert admin.post(f"/admin/exports/{request_id}", data={
        "decision": "decline", "csrf_token": csrf_token(admin, f"/admin/exports/{request_id}")}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export_decline")).actor_role == "admin"
        assert [m.kind for m in sent_emails(to=ALEX)][-1] == "export_notes_declined"
        assert db.session.scalar(select(func.count()).select_from(DataExport)) == 1
    assert "declined" in alex.get("/account/data").get_data(as_text=True)


def test_with_notes_never_no_request_is_possible_and_always_includes_them(app, world):
    app.config["EXPORT_COACH_NOTES"] = "never"
    sam = client_for(app, SAM)
    assert 'name="include_notes"' not in sam.get("/account/data").get_data(as_text=True)
    whole = everything(export_of(app, sam, SAM, include_notes=True))
    assert "COUPLE-NOTE-MARK" not in whole
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DataExport)
                                 .where(DataExport.notes_requested.is_(True))) == 0
    app.config["EXPORT_COACH_NOTES"] = "always"
    whole = everything(export_of(app, sam, SAM))
    assert all(m in whole for m in NOTE_MARKERS) and note_marker("A") in whole and "BMARK" not in whole


def test_a_coach_exports_their_own_account_data_only(app, world):
    coach = client_for(app, COACH)
    page = coach.get("/account/data").get_data(as_text=True)
    assert 'name="include_notes"' not in page
    whole = everything(export_of(app, coach, COACH, include_notes=True))
    assert "CORA-BIO-MARK" in whole and COACH in whole
    assert "AMARK" not in whole and "BMARK" not in whole and "COUPLE-NOTE-MARK" not in whole


def test_after_logging_in_from_the_emailed_link_the_download_page_opens(app, world):
    sam = client_for(app, SAM)
    assert ask(sam).status_code == 303
    link = last_link(app, SAM)
    fresh = app.test_client()
    to_login = fresh.get(link)
    logged_in = fresh.post(to_login.headers["Location"], data={
        "email": SAM, "password": PASSWORD, "csrf_token": csrf_token(fresh, to_login.headers["Location"])})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == "/account/data/download"
    back = fresh.get("/account/data/download")
    assert back.status_code == 302 and back.headers["Location"] == link
    assert "Download the ZIP file" in fresh.get(link).get_data(as_text=True)
    assert fresh.get("/account/data/download").headers["Location"] == "/account/data"  # used up
