"""Which couple a client is in: every lookup of a person's seat goes through here.

A client holds at most one *current* seat (``Partner.ended_at`` is None; the partial unique
index ``uq_partners_current_user`` enforces it). When a couple ends, its seats end with it but
stay their holders': each keeps their own data and the joint history. After that a person may
start again with a new partner, and then holds an ended seat and a current one.

- ``home_seat``: where a client's pages act (intake, booking, matching, homework): the current
  seat, or, after a separation with no new couple yet, the latest ended one.
- ``seats_of``: every seat, newest first: what the person may still read (their history,
  bookings, feed, export) and what erasure removes.
- ``current_seat``: the seat that has not ended, if any.

Ownership of a couple itself is ``Couple.partner_for`` (any seat, ended or not), used by
``coaching.security.can_see_couple``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.intake.models import Partner


#: The order of a person's seats: the current one first, then the ended ones, newest first.
HOME_FIRST = (Partner.ended_at.is_not(None), Partner.id.desc())


def home_seat(db: Session, user_id: int) -> Partner | None:
    return db.scalar(select(Partner).where(Partner.user_id == user_id).order_by(*HOME_FIRST).limit(1))


def current_seat(db: Session, user_id: int) -> Partner | None:
    return db.scalar(select(Partner).where(Partner.user_id == user_id, Partner.ended_at.is_(None)))


def seats_of(db: Session, user_id: int) -> list[Partner]:
    return list(db.scalars(select(Partner).where(Partner.user_id == user_id).order_by(*HOME_FIRST)))


def couple_ids_of(db: Session, user_id: int) -> list[int]:
    """The couples ``user_id`` holds a seat in (current or ended), home first."""
    return [seat.couple_id for seat in seats_of(db, user_id)]
