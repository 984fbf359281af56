"""Private calendar feeds: issue, renew, revoke, and what each person's feed holds.

A feed is a secret URL (``/calendar/feed/<token>.ics``) any calendar program can subscribe
to. Only the token's SHA-256 digest is stored; the token is shown once. What a feed holds:

- a coach: their sessions (confirmed, completed, missed) and their blocked time;
- a partner: the couple's joint sessions and their own individual sessions, never the other
  partner's (``visible_booking``'s rule), under a neutral title;
- anyone else: nothing.

Sessions that ended more than ``CALENDAR_FEED_PAST_DAYS`` ago drop out; a cancelled session
stays, as STATUS:CANCELLED, for 30 days after it was cancelled (so subscribed calendars
remove it), and a booking that was moved (rescheduled) is replaced by its successor, which
keeps its UID.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.accounts.models import User
from coaching.feeds.models import CalendarFeed
from coaching.intake import seats
from coaching.scheduling import entries, invitations
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType
from coaching.scheduling.services import coach_of_user

CANCELLED_KEPT = timedelta(days=30)
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")
SHOWN_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.COMPLETED, BookingStatus.NO_SHOW)
FEED_FORMAT = "1"  # bump when the document's shape changes, so every ETag changes with it


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(db: Session, user: User) -> CalendarFeed | None:
    return db.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def issue_feed(db: Session, user: User, now: datetime) -> str:
    """A new secret for ``user``'s feed (replacing any previous one, which stops working); commit.
    Returns the token, which is not stored and cannot be shown again."""
    token = secrets.token_urlsafe(32)
    for _attempt in range(2):
        row = feed_of(db, user)
        if row is None:
            row = CalendarFeed(user_id=user.id)
            db.add(row)
        row.token_hash, row.created_at = digest(token), now
        row.last_fetched_at = row.content_etag = row.content_changed_at = None
        try:
            db.commit()
            return token
        except IntegrityError:  # a second request made the row at the same moment: renew that one
            db.rollback()
    raise RuntimeError("could not store the calendar feed")  # pragma: no cover - needs three racing requests


def revoke_feed(db: Session, user: User) -> bool:
    """Delete ``user``'s feed (its URL answers 404 from now on); commit. False if there was none."""
    row = feed_of(db, user)
    if row is None:
        return False
    db.delete(row)
    db.commit()
    return True


def feed_for_token(db: Session, token: str) -> CalendarFeed | None:
    """The live feed with this secret, or None (also for anything not shaped like a token)."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    return db.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == digest(token)))


def _window(now: datetime) -> tuple[datetime, datetime]:
    past = timedelta(days=int(current_app.config.get("CALENDAR_FEED_PAST_DAYS", 90)))
    return now - past, now - CANCELLED_KEPT


def _shown(now: datetime):  # type: ignore[no-untyped-def]
    """Bookings a feed shows: held sessions that ended recently or are to come, and recent cancellations."""
    since, cancelled_since = _window(now)
    return or_(and_(Booking.status.in_(SHOWN_STATUSES), Booking.ends_at >= since),
               and_(Booking.status == BookingStatus.CANCELLED, Booking.cancelled_at >= cancelled_since,
                    Booking.confirmed_at.is_not(None)))  # a released hold was never in a calendar


def feed_bookings(db: Session, user: User, now: datetime) -> tuple[list[Any], entries.Viewer]:
    """The bookings ``user``'s feed holds (``entries.COLUMNS`` rows), soonest first, and how they are shown."""
    coach = coach_of_user(db, user.id)
    if coach is not None:
        query = select(*entries.COLUMNS).where(Booking.coach_id == coach.id, _shown(now))
        viewer = entries.Viewer(is_coach=True, zone=coach.timezone)
        moved = select(Booking.replaces_id).where(Booking.coach_id == coach.id, Booking.replaces_id.is_not(None))
    else:
        held = seats.seats_of(db, user.id)  # an earlier couple's sessions are still theirs
        if not held:
            return [], entries.Viewer(is_coach=False, zone=user.timezone or "UTC")
        couple_ids = [seat.couple_id for seat in held]
        viewer = entries.Viewer(is_coach=False, zone=held[0].timezone or user.timezone or "UTC")
        query = (select(*entries.COLUMNS).outerjoin(SessionType, SessionType.id == Booking.session_type_id)
                 .where(Booking.couple_id.in_(couple_ids), _shown(now),
                        # visible_booking's rule: the other partner's individual sessions are theirs alone
                        or_(SessionType.kind.is_(None), SessionType.kind != SessionKind.INDIVIDUAL,
                            Booking.booked_by_id == user.id)))
        moved = select(Booking.replaces_id).where(Booking.couple_id.in_(couple_ids), Booking.replaces_id.is_not(None))
    replaced = set(db.scalars(moved))
    bookings = [b for b in db.execute(query.order_by(Booking.starts_at, Booking.id)) if b.id not in replaced]
    return bookings, viewer


@dataclass(frozen=True)
class FeedContent:
    rows: tuple[Any, ...]
    context: entries.Context
    viewer: entries.Viewer
    name: str
    etag: str

    def events(self) -> list[invitations.CalendarEvent]:
        return entries.build_events(self.rows, self.context, self.viewer)


def feed_content(db: Session, user: User, now: datetime) -> FeedContent:
    """What ``user``'s feed holds now, with an ETag that changes exactly when the document would.

    The ETag is a digest of everything the document is made of: which bookings, each one's
    ``version`` (bumped by every change of the row), the names and addresses shown, the settings
    in links, the format. A revalidation (304) is decided without building any event."""
    rows, viewer = feed_bookings(db, user, now)
    context = entries.load_context(db, rows)
    name = f"Tandem: {user.name}" if viewer.is_coach else "Tandem"
    state = repr((FEED_FORMAT, name, viewer, context.fingerprint(), [(row.id, row.version) for row in rows]))
    return FeedContent(tuple(rows), context, viewer, name, hashlib.sha256(state.encode()).hexdigest())


def render_feed(content: FeedContent, now: datetime) -> str:
    return invitations.calendar(content.events(), stamp=now, name=content.name, refresh="PT1H")


def note_fetch(db: Session, feed: CalendarFeed, etag: str, now: datetime) -> datetime:
    """Remember that the feed was fetched and when its content last changed; commit only when
    something changed (at most once per minute for the fetch time alone). Returns Last-Modified."""
    changed = False
    if feed.content_etag != etag or feed.content_changed_at is None:
        feed.content_etag, feed.content_changed_at = etag, now
        changed = True
    if changed or feed.last_fetched_at is None or now - feed.last_fetched_at >= timedelta(minutes=1):
        feed.last_fetched_at = now
        db.commit()
    return feed.content_changed_at  # type: ignore[return-value]


def download_event(db: Session, booking: Booking, user: User) -> invitations.CalendarEvent:
    """``booking`` as ``user`` sees it (call after ``visible_booking`` said they may)."""
    coach = coach_of_user(db, user.id)
    is_coach = coach is not None and coach.id == booking.coach_id
    zone = coach.timezone if is_coach and coach else (user.timezone or "UTC")
    [event] = entries.events_for(db, [booking], entries.Viewer(is_coach=is_coach, zone=zone))
    return event
