"""A person's request to delete their account, and a couple's separation.

Neither table holds free text: only ids and instants, so erasing a person never has to
touch them (a request keeps the pseudonymised user's id, as the ledger does).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coaching.db import Base, TransactionMark, utcnow


class DeletionRequest(Base):
    """"Delete my account": carried out at ``due_at`` unless cancelled first.

    Live while both ``cancelled_at`` and ``erased_at`` are null (at most one per user, which
    the service keeps: a new request while one is live returns the live one).
    """

    __tablename__ = "account_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column(index=True)
    cancelled_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    @property
    def is_live(self) -> bool:
        return self.cancelled_at is None and self.erased_at is None


class CoupleSeparation(Base):
    """The couple has ended (one row per couple): joint sessions are closed for good, each
    partner keeps their own data and the joint history up to ``separated_at`` and may go on
    alone with individual sessions. ``reason`` is ``separation`` or ``erasure``."""

    __tablename__ = "couple_separations"

    id: Mapped[int] = mapped_column(primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), unique=True)
    separated_at: Mapped[datetime] = mapped_column(default=utcnow)
    separated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(String(16), default="separation")


# The retention purge's exception to the note guards (migration 0022): a transaction marked
# by ``coaching.erasure.retention.retention_transaction`` may DELETE signed notes and addenda.
RETENTION_PURGE = TransactionMark("retention_purge")
PURGE_SETTING = RETENTION_PURGE.setting
SQLITE_PURGE_FUNCTION = RETENTION_PURGE.sqlite_function
