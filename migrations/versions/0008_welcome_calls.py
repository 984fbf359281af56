"""welcome calls: the coach opens joint sessions (joint_session_openings) instead of the
safety screen blocking them (couples.joint_booking_blocked, safety_flags.joint_booking_restored)

Couples that already had a coach and were not blocked keep joint booking: they get an
opening with no coach recorded. Blocked couples stay closed until their coach opens them.

Revision ID: 0008_welcome_calls
Revises: 0007_merge_features
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0008_welcome_calls"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None


def _drop_column(table: str, column: str) -> None:
    # SQLite: a native DROP COLUMN. Alembic's batch mode would copy and drop the whole table,
    # and with foreign keys on, dropping "couples" would cascade to every partner row.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    else:
        op.drop_column(table, column)


def _add_flag_column(table: str, column: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} BOOLEAN NOT NULL DEFAULT 0")
    else:
        op.add_column(table, sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false()))
        op.alter_column(table, column, server_default=None)


def upgrade() -> None:
    op.create_table(
        "joint_session_openings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], ondelete="CASCADE",
                                name=op.f("fk_joint_session_openings_couple_id_couples")),
        sa.ForeignKeyConstraint(["opened_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_joint_session_openings_opened_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_joint_session_openings")),
        sa.UniqueConstraint("couple_id", name=op.f("uq_joint_session_openings_couple_id")),
    )
    op.execute("INSERT INTO joint_session_openings (couple_id, opened_at) "
               "SELECT id, created_at FROM couples WHERE coach_id IS NOT NULL AND NOT joint_booking_blocked")
    _drop_column("couples", "joint_booking_blocked")
    _drop_column("safety_flags", "joint_booking_restored")


def downgrade() -> None:
    _add_flag_column("safety_flags", "joint_booking_restored")
    _add_flag_column("couples", "joint_booking_blocked")
    op.execute("UPDATE couples SET joint_booking_blocked = "
               "(EXISTS (SELECT 1 FROM safety_flags f WHERE f.couple_id = couples.id AND f.status <> 'resolved'))")
    op.drop_table("joint_session_openings")
