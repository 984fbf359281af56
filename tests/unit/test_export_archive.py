"""The export's ZIP and link tokens (pure), and the EXPORT_COACH_NOTES setting."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from coaching.config import Config, ConfigError
from coaching.exports import archive

MADE = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_the_zip_holds_the_json_the_page_and_a_readme_in_one_folder():
    payload = archive.build_zip(data={"name": "Zoë", "n": 1}, html="<p>Zoë</p>", made_at=MADE)
    with zipfile.ZipFile(io.BytesIO(payload)) as z:
        assert z.namelist() == ["tandem-export/README.txt", "tandem-export/data.json", "tandem-export/index.html"]
        assert json.loads(z.read("tandem-export/data.json")) == {"name": "Zoë", "n": 1}
        assert z.read("tandem-export/index.html").decode() == "<p>Zoë</p>"
        assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.date_time == (2026, 11, 2, 15, 0, 0)
                   for i in z.infolist())
        assert "Art. 15(4)" in z.read("tandem-export/README.txt").decode()


def test_tokens_are_long_random_and_only_their_digest_is_kept():
    a, b = archive.new_token(), archive.new_token()
    assert a != b and len(a) >= 43 and archive.plausible_token(a)
    assert archive.token_digest(a) != a and len(archive.token_digest(a)) == 64


@pytest.mark.parametrize("token", ["", "a" * 101, "../x", "a b", "a%00", "é" * 10, "a.b"])
def test_implausible_tokens_are_refused_before_any_lookup(token):
    assert not archive.plausible_token(token)


def test_the_link_expires_the_given_hours_after_the_export_is_ready():
    assert archive.expiry(MADE, 24) == MADE + timedelta(hours=24)


@pytest.mark.parametrize("value", ["never", "always", "on_request"])
def test_export_coach_notes_takes_three_values(value):
    assert Config({"EXPORT_COACH_NOTES": value}).EXPORT_COACH_NOTES == value


def test_export_coach_notes_refuses_anything_else():
    with pytest.raises(ConfigError):
        Config({"EXPORT_COACH_NOTES": "sometimes"})
    assert Config({}).EXPORT_COACH_NOTES == "on_request"
