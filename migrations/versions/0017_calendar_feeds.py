"""calendar feeds: one private feed per person (only the secret's digest is stored)

Revision ID: 0017_calendar_feeds
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0017_calendar_feeds"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

WHEN = coaching.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("last_fetched_at", WHEN, nullable=True),
        sa.Column("content_etag", sa.String(length=64), nullable=True),
        sa.Column("content_changed_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_calendar_feeds_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
        sa.UniqueConstraint("user_id", name=op.f("uq_calendar_feeds_user_id")),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
