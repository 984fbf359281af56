"""The export's ZIP and its link token: pure functions on plain values."""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
import zipfile
from datetime import datetime, timedelta
from typing import Any

__pure__ = True

FOLDER = "tandem-export"
TOKEN_BYTES = 32
MAX_TOKEN_LENGTH = 100
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,%d}" % MAX_TOKEN_LENGTH)  # URL-safe base64, ASCII only

README = """Your data from Tandem
=====================

data.json   everything below, machine-readable (UTF-8 JSON; instants are ISO 8601 in UTC,
            money in cents). This is the copy for GDPR Art. 20 (data portability).
index.html  the same, as a page to read in any browser.

It holds what Tandem keeps about you: your account and sign-ins, your consents, your own
private answers and safety screen, the shared part of the intake as it stands (with the
changes you made), your joint sessions and your own individual sessions, the payments you
made and their receipts, the summaries and homework shared with you, your own reflections
and check-ins. It does not hold your partner's private answers, screen, individual sessions,
reflections, check-ins or payments: those are theirs (GDPR Art. 15(4)).
"""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible_token(token: str) -> bool:
    """Shape check before any lookup: hostile input is refused without touching the database."""
    return _TOKEN_SHAPE.fullmatch(token) is not None


def expiry(ready_at: datetime, hours: float) -> datetime:
    return ready_at + timedelta(hours=hours)


def as_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def build_zip(*, data: dict[str, Any], html: str, made_at: datetime) -> bytes:
    """The ZIP: ``data.json``, ``index.html`` and ``README.txt`` in one folder, deflated."""
    stamp = made_at.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in (("README.txt", README), ("data.json", as_json(data)), ("index.html", html)):
            info = zipfile.ZipInfo(f"{FOLDER}/{name}", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text.encode("utf-8"))
    return out.getvalue()
