"""The human words for the codes a coach's profile stores (languages, topics, approaches, formats). Pure."""

from __future__ import annotations

from collections.abc import Iterable

from coaching.intake.questionnaire import APPROACHES, CONCERNS, LANGUAGES

__pure__ = True

FORMATS = (("video", "By video"), ("in_person", "In person"), ("phone", "By phone"))
SPECIALTIES = tuple((code, "Affair recovery" if code == "infidelity" else label) for code, label in CONCERNS)
WORDS = {"language": dict(LANGUAGES), "specialty": dict(SPECIALTIES), "approach": dict(APPROACHES),
         "format": dict(FORMATS)}


def word(code: str, kind: str) -> str:
    """The label for ``code`` of ``kind``; an unknown code is shown tidied ("life_transitions" -> "Life transitions")."""
    known = WORDS.get(kind, {}).get(code)
    if known:
        return known
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def words(codes: Iterable[str] | None, kind: str) -> str:
    """"en, zh" -> "English, Chinese"."""
    return ", ".join(word(c, kind) for c in (codes or ()))
