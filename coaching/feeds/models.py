"""A person's private calendar feed: one secret URL per person, only its SHA-256 digest stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, utcnow


class CalendarFeed(Base):
    """The live feed of one person. Renewing replaces the digest (the old URL stops working at
    once); revoking deletes the row. ``content_etag`` and ``content_changed_at`` remember the
    last content served, so Last-Modified says when the feed really changed."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_fetched_at: Mapped[datetime | None]
    content_etag: Mapped[str | None] = mapped_column(String(64))
    content_changed_at: Mapped[datetime | None]
