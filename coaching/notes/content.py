"""The canonical form of a note's content and its SHA-256, recorded at signing. Pure.

The digest is over the plaintext (not the ciphertext, which changes with every key
rotation), in a canonical form: UTF-8 JSON with sorted keys and no spaces, sections in the
template's order, text NFC-normalised. Anyone holding the plaintext can recompute it to
show that a signed note is what was signed.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping, Sequence

__pure__ = True


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def canonical_note(*, note_id: int, couple_id: int, booking_id: int | None, template_key: str,
                   template_version: int, section_keys: Sequence[str],
                   sections: Mapping[str, str]) -> bytes:
    body = {"note": note_id, "couple": couple_id, "booking": booking_id,
            "template": template_key, "version": template_version,
            "sections": [[key, _nfc(sections.get(key, ""))] for key in section_keys]}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def canonical_addendum(*, note_id: int, signed_at: str, body: str) -> bytes:
    return json.dumps({"note": note_id, "signed_at": signed_at, "body": _nfc(body)},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
