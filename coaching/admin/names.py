"""How staff pages name a couple: the partners' names, with the number the access log filters by."""

from __future__ import annotations

from flask import g

from coaching import db
from coaching.notes.record import couple_names, load_couple


def couple_label(couple_id: int | None) -> str:
    """ "Riley & Sky (Couple #3)"; just "Couple #3" when no partner has a name on file.

    Cached per request, so a list naming one couple many times loads it once.
    """
    if couple_id is None:
        return ""
    cache: dict[int, str] = g.setdefault("_couple_labels", {})
    if couple_id not in cache:
        couple = load_couple(db.session, couple_id)
        names = couple_names(couple) if couple is not None else ""
        plain = f"Couple #{couple_id}"
        cache[couple_id] = plain if not names or names == plain else f"{names} ({plain})"
    return cache[couple_id]
