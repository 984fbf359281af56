"""Note templates as versioned data. Pure: no framework.

A note is stored with the key and version of the template it was written against, so a
new version (a new entry in ``TEMPLATES``) never changes what an old note means. New notes
use ``CURRENT[key]``; a draft keeps the version it was started with. ``clean_sections``
turns submitted text into the stored plain-text sections or raises ``NoteInvalid``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

__pure__ = True

SECTION_MAX = 20_000  # characters per section: a long session, never a pasted book


class NoteInvalid(ValueError):
    """Submitted note text breaks the rules; ``errors`` maps section key to message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


class UnknownTemplate(ValueError):
    """No template has this key and version (a tampered or retired form)."""


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    help: str = ""


@dataclass(frozen=True)
class Template:
    key: str
    version: int
    title: str
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


_FOCUS = Section("focus", "Focus of the session", "What the session was about.")
_PLAN = Section("plan", "Plan", "Next steps, homework given, what to pick up next time.")

TEMPLATES: dict[tuple[str, int], Template] = {
    ("consultation", 1): Template("consultation", 1, "Consultation", (
        Section("presenting", "What brings them", "Each partner's account, in their words."),
        Section("history", "Relationship history"),
        Section("goals", "Goals", "What each wants from coaching."),
        Section("fit", "Fit and safety", "Is coaching right for them now; anything to watch."),
        _PLAN,
    )),
    ("joint", 1): Template("joint", 1, "Joint session", (
        _FOCUS,
        Section("partner_a", "What the first partner brought"),
        Section("partner_b", "What the second partner brought"),
        Section("interventions", "Interventions"),
        Section("observations", "Observations"),
        Section("agreements", "Agreements"),
        _PLAN,
    )),
    ("individual", 1): Template("individual", 1, "Individual session", (
        _FOCUS,
        Section("brought", "What the partner brought"),
        Section("interventions", "Interventions"),
        Section("observations", "Observations"),
        _PLAN,
    )),
    ("couple", 1): Template("couple", 1, "Couple note", (
        Section("note", "Note"),
    )),
}

CURRENT: dict[str, int] = {"consultation": 1, "joint": 1, "individual": 1, "couple": 1}


def get(key: str, version: int) -> Template:
    """The template ``key`` at ``version``; ``UnknownTemplate`` if there is none."""
    try:
        return TEMPLATES[(key, version)]
    except KeyError:
        raise UnknownTemplate(f"No note template {key!r} version {version!r}.") from None


def current(key: str) -> Template:
    return get(key, CURRENT[key]) if key in CURRENT else get(key, -1)


def for_session(session_slug: str | None, session_kind: str | None) -> Template:
    """The current template for a session: consultation, individual or joint."""
    if session_slug == "consultation":
        return current("consultation")
    return current("individual" if session_kind == "individual" else "joint")


def clean_text(value: str | None) -> str:
    """Plain text as stored: NFC, Unix line ends, no NUL or other control characters but
    tab and newline, no trailing blanks."""
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return text.strip()


def clean_sections(template: Template, values: Mapping[str, str | None],
                   limit: int = SECTION_MAX) -> dict[str, str]:
    """The template's sections, in its order, cleaned; keys not in the template are ignored.

    Raises ``NoteInvalid`` naming each section over ``limit`` characters.
    """
    cleaned = {s.key: clean_text(values.get(s.key)) for s in template.sections}
    errors = {key: f"Keep this section under {limit:,} characters (it has {len(text):,})."
              for key, text in cleaned.items() if len(text) > limit}
    if errors:
        raise NoteInvalid(errors)
    return cleaned
