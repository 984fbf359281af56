"""series: recurring sessions (a booking series and its occurrences)

Revision ID: 0019_booking_series
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0019_booking_series"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

WHEN = coaching.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "booking_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=True),
        sa.Column("session_type_id", sa.Integer(), nullable=False),
        sa.Column("booked_by_id", sa.Integer(), nullable=True),
        sa.Column("interval_weeks", sa.SmallInteger(), nullable=False),
        sa.Column("requested", sa.SmallInteger(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint("interval_weeks IN (1, 2)", name=op.f("ck_booking_series_interval_weekly_or_fortnightly")),
        sa.CheckConstraint("requested BETWEEN 1 AND 12", name=op.f("ck_booking_series_requested_range")),
        _fk("booking_series", "coach_id", "coach_profiles", "CASCADE"),
        _fk("booking_series", "couple_id", "couples", "SET NULL"),
        _fk("booking_series", "session_type_id", "session_types", None),
        _fk("booking_series", "booked_by_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_series")),
    )
    with op.batch_alter_table("booking_series") as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_series_coach_id"), ["coach_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_booking_series_couple_id"), ["couple_id"], unique=False)
    op.create_table(
        "booking_series_occurrences",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        _fk("booking_series_occurrences", "booking_id", "bookings", "CASCADE"),
        _fk("booking_series_occurrences", "series_id", "booking_series", "CASCADE"),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_booking_series_occurrences")),
        sa.UniqueConstraint("series_id", "position", name=op.f("uq_booking_series_occurrences_series_id_position")),
    )
    with op.batch_alter_table("booking_series_occurrences") as batch_op:
        batch_op.create_index(batch_op.f("ix_booking_series_occurrences_series_id"), ["series_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("booking_series_occurrences") as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_series_occurrences_series_id"))
    op.drop_table("booking_series_occurrences")
    with op.batch_alter_table("booking_series") as batch_op:
        batch_op.drop_index(batch_op.f("ix_booking_series_couple_id"))
        batch_op.drop_index(batch_op.f("ix_booking_series_coach_id"))
    op.drop_table("booking_series")
