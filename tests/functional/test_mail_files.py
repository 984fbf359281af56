"""Without SMTP_URL, each email is written to the log and saved under MAIL_DIR with its attachments."""

from __future__ import annotations

import email
from email import policy

import pytest

from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_couple, create_session_type


@pytest.fixture
def config_overrides(tmp_path):
    return {"SMTP_URL": None, "MAIL_DIR": str(tmp_path / "mail")}


def test_without_smtp_each_email_is_saved_as_an_eml_file_with_its_ics_beside_it(app, client, frozen_clock, tmp_path,
                                                                                caplog):
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        create_couple("riley@example.com", "sky@example.com")
        coach_id = coach.id
    login(client, "riley@example.com")
    path = f"/book/{coach_id}/consultation"
    with caplog.at_level("WARNING", logger="tandem.mail"):
        response = client.post(path, data={"csrf_token": csrf_token(client, path),
                                           "start": "2026-11-05T14:00:00+00:00"})
    assert response.status_code == 302
    folder = tmp_path / "mail"
    saved = sorted(folder.glob("*riley_example.com*.eml"))
    assert len(saved) == 1, sorted(p.name for p in folder.iterdir())
    message = email.message_from_bytes(saved[0].read_bytes(), policy=policy.default)
    assert message["To"] == "riley@example.com"
    (invite,) = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert "BEGIN:VCALENDAR" in invite.get_content()
    beside = saved[0].with_name(f"{saved[0].stem}-{invite.get_filename()}")
    assert beside.suffix == ".ics" and "BEGIN:VEVENT" in beside.read_text()
    assert f"saved={saved[0]}" in caplog.text  # the log says where to find it
    assert len(list(folder.glob("*sky_example.com*.eml"))) == 1  # the partner's copy too
