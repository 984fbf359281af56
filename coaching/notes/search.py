"""Searching a coach's notes by words.

Notes are encrypted at rest, so the database cannot search them: the service loads the
notes the coach may read (``coaching.notes.policy``), newest first and at most
``NOTES_SEARCH_MAX_NOTES`` of them, decrypts them in memory, and keeps the sections (and
addenda) that contain every word. Ciphertext of a note the policy refuses is never
decrypted. Results are capped at ``MAX_RESULTS``. Each couple that appears in the results
gets a "search" entry in the access log (without the words, which may be sensitive), and
a search that found nothing one entry without a couple.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import Text, or_, select, type_coerce
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.audit.services import record
from coaching.crypto import keyring
from coaching.intake.models import Couple, Partner
from coaching.notes import note_templates as nt
from coaching.notes import policy
from coaching.notes.models import Addendum, Note
from coaching.notes.policy import Access, CoupleFacts
from coaching.notes.record import couple_names
from coaching.notes.services import NotesError, handovers, viewer_for

MAX_RESULTS = 100
MAX_WORDS = 8
SNIPPET = 80


class SearchInvalid(NotesError):
    status = 400


@dataclass(frozen=True)
class Hit:
    couple_id: int
    couple: str
    note_id: int
    note_title: str
    note_date: datetime
    section: str
    snippet: str


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    scanned: int
    limit: int
    truncated: bool  # more notes in scope than were searched, or more hits than shown


def words_of(query: str | None) -> list[str]:
    words = [w.casefold() for w in re.findall(r"\w[\w'-]*", nt.clean_text(query or ""))]
    if not words:
        raise SearchInvalid("Type one or more words to search for.")
    if len(words) > MAX_WORDS or any(len(w) > 100 for w in words):
        raise SearchInvalid(f"Search for at most {MAX_WORDS} words of up to 100 letters.")
    return words


def _snippet(text: str, word: str) -> str:
    at = text.casefold().find(word)
    start = max(0, at - SNIPPET // 2)
    piece = text[start:start + SNIPPET].replace("\n", " ")
    return ("…" if start else "") + piece + ("…" if start + SNIPPET < len(text) else "")


def search(db: Session, user: User, query: str | None) -> SearchResult:
    """The sections of the coach's readable notes that contain every word of ``query``."""
    words = words_of(query)
    viewer = viewer_for(db, user)
    if viewer.role != "coach" or viewer.coach_id is None:
        raise SearchInvalid("Only coaches search notes.")
    limit = int(current_app.config.get("NOTES_SEARCH_MAX_NOTES", 10_000))
    now = clock.now()
    current = list(db.scalars(select(Couple.id).where(Couple.coach_id == viewer.coach_id)))
    handed = handovers(db, current)
    facts = {cid: CoupleFacts(couple_id=cid, current_coach_id=viewer.coach_id, handovers=tuple(handed.get(cid, ())))
             for cid in current}
    # The coach's scope in SQL (their couples' notes, and their own notes anywhere); the
    # policy below then decides note by note, before anything is decrypted.
    in_scope = or_(Note.couple_id.in_(select(Couple.id).where(Couple.coach_id == viewer.coach_id)),
                   Note.coach_id == viewer.coach_id)
    raw = type_coerce(Note.sections, Text())
    rows = db.execute(
        select(Note.id, Note.couple_id, Note.coach_id, Note.created_at, Note.template_key, Note.template_version, raw)
        .where(in_scope).order_by(Note.created_at.desc(), Note.id.desc()).limit(limit + 1)).all()
    truncated = len(rows) > limit
    rows = rows[:limit]
    fernet = keyring()
    readable = []
    for row in rows:
        couple_facts = facts.get(row.couple_id) or CoupleFacts(couple_id=row.couple_id, current_coach_id=None)
        if policy.note_access(viewer, couple_facts, author_coach_id=row.coach_id, created_at=row.created_at,
                              now=now) == Access.CONTENT:
            readable.append(row)
    readable_ids = {r.id for r in readable}
    addenda: dict[int, list[str]] = {}
    for note_id, token in db.execute(select(Addendum.note_id, type_coerce(Addendum.body, Text()))
                                     .join(Note, Note.id == Addendum.note_id).where(in_scope)):
        if note_id in readable_ids:
            addenda.setdefault(note_id, []).append(token)

    # Sections are stored as ASCII JSON (non-ASCII escaped), so for plain ASCII words a note
    # whose whole JSON lacks a word can be skipped before parsing it (most notes, usually).
    ascii_words = all(w.isascii() for w in words)
    hits: list[Hit] = []
    for row in readable:
        plaintext = fernet.decrypt(row[6].encode("ascii"))
        extra = [fernet.decrypt(t.encode("ascii")).decode("utf-8") for t in addenda.get(row.id, ())]
        if ascii_words:
            folded_all = plaintext.decode("ascii", "replace").casefold() + " ".join(extra).casefold()
            if not all(w in folded_all for w in words):
                continue
        sections = json.loads(plaintext)
        template = nt.get(row.template_key, row.template_version)
        texts = [(s.label, sections.get(s.key, "")) for s in template.sections]
        texts += [("Addendum", text) for text in extra]
        for label, text in texts:
            folded = text.casefold()
            if text and all(w in folded for w in words):
                hits.append(Hit(couple_id=row.couple_id, couple="", note_id=row.id, note_title=template.title,
                                note_date=row.created_at, section=label, snippet=_snippet(text, words[0])))
        if len(hits) >= MAX_RESULTS:
            truncated = True
            hits = hits[:MAX_RESULTS]
            break
    hits = _name_couples(db, hits)
    for couple_id in sorted({h.couple_id for h in hits}) or [None]:
        record(db, actor=user, action="search", couple_id=couple_id, object_type="notes",
               detail=f"results={sum(h.couple_id == couple_id for h in hits)} scanned={len(rows)}")
    db.commit()
    return SearchResult(hits=hits, scanned=len(rows), limit=limit, truncated=truncated)


def _name_couples(db: Session, hits: list[Hit]) -> list[Hit]:
    from sqlalchemy.orm import selectinload

    ids = {h.couple_id for h in hits}
    if not ids:
        return hits
    couples = {c.id: couple_names(c) for c in db.scalars(
        select(Couple).where(Couple.id.in_(ids)).options(selectinload(Couple.partners).selectinload(Partner.user)))}
    return [Hit(**{**h.__dict__, "couple": couples.get(h.couple_id, f"Couple #{h.couple_id}")}) for h in hits]
