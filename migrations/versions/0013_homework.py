"""homework: summaries and homework shared after a session, ticks, partners' reflections

Revision ID: 0013_homework
Revises: 0007_merge_features
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db

revision = "0013_homework"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None

ENC = coaching.crypto.EncryptedText()
WHEN = coaching.db.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"),
                                   ondelete=ondelete)


def upgrade() -> None:
    op.create_table(
        "homework_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("summary", ENC, nullable=False),
        sa.Column("published_at", WHEN, nullable=False),
        _fk("homework_summaries", "booking_id", "bookings", "CASCADE"),
        _fk("homework_summaries", "couple_id", "couples", "CASCADE"),
        _fk("homework_summaries", "coach_id", "coach_profiles", "SET NULL"),
        _fk("homework_summaries", "partner_id", "partners", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homework_summaries")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_homework_summaries_booking_id")),
    )
    with op.batch_alter_table("homework_summaries") as batch_op:
        batch_op.create_index(batch_op.f("ix_homework_summaries_couple_id"), ["couple_id"], unique=False)

    op.create_table(
        "homework_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("text", ENC, nullable=False),
        _fk("homework_items", "summary_id", "homework_summaries", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homework_items")),
        sa.UniqueConstraint("summary_id", "position", name=op.f("uq_homework_items_summary_id_position")),
    )

    op.create_table(
        "homework_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("done_at", WHEN, nullable=False),
        _fk("homework_ticks", "item_id", "homework_items", "CASCADE"),
        _fk("homework_ticks", "partner_id", "partners", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homework_ticks")),
        sa.UniqueConstraint("item_id", "partner_id", name=op.f("uq_homework_ticks_item_id_partner_id")),
    )
    with op.batch_alter_table("homework_ticks") as batch_op:
        batch_op.create_index(batch_op.f("ix_homework_ticks_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "homework_reflections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.Enum("coach", "shared", name="reflectionaudience", native_enum=False, length=16),
                  nullable=False),
        sa.Column("text", ENC, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        _fk("homework_reflections", "summary_id", "homework_summaries", "CASCADE"),
        _fk("homework_reflections", "partner_id", "partners", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_homework_reflections")),
    )
    with op.batch_alter_table("homework_reflections") as batch_op:
        batch_op.create_index("ix_homework_reflections_summary_partner", ["summary_id", "partner_id"], unique=False)


def downgrade() -> None:
    op.drop_table("homework_reflections")
    op.drop_table("homework_ticks")
    op.drop_table("homework_items")
    op.drop_table("homework_summaries")
