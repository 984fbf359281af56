"""bookings: an index on (coach, end) for the slot engine's window query

The window query asks for bookings ending after the window opens; on (coach, start) it had to
read every past booking of the coach, so its cost grew with the history.

Revision ID: 0020_perf_indexes
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

from alembic import op

revision = "0020_perf_indexes"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_bookings_coach_end", "bookings", ["coach_id", "ends_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_bookings_coach_end", table_name="bookings")
