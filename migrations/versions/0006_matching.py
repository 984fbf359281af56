"""matching: coach assignments with reasons, match feedback, rematch requests

Revision ID: 0006_matching
Revises: 0002_bookings
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0006_matching"
down_revision = "0002_bookings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coach_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("chosen_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score_parts", sa.JSON(), nullable=False),
        sa.Column("created_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", coaching.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["chosen_by_id"], ["users.id"], name=op.f("fk_coach_assignments_chosen_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["coach_id"], ["coach_profiles.id"], name=op.f("fk_coach_assignments_coach_id_coach_profiles"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_coach_assignments_couple_id_couples"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coach_assignments")),
    )
    with op.batch_alter_table("coach_assignments") as batch_op:
        batch_op.create_index("ix_coach_assignments_couple_current", ["couple_id", "ended_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_coach_assignments_coach_id"), ["coach_id"], unique=False)

    op.create_table(
        "match_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.Column("proposed_coach_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("handled_at", coaching.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_match_feedback_couple_id_couples"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_match_feedback_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_feedback")),
    )
    with op.batch_alter_table("match_feedback") as batch_op:
        batch_op.create_index(batch_op.f("ix_match_feedback_couple_id"), ["couple_id"], unique=False)

    op.create_table(
        "rematch_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("agreed_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("created_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", coaching.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["agreed_by_id"], ["users.id"], name=op.f("fk_rematch_requests_agreed_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_rematch_requests_couple_id_couples"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_rematch_requests_requested_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rematch_requests")),
    )
    with op.batch_alter_table("rematch_requests") as batch_op:
        batch_op.create_index(batch_op.f("ix_rematch_requests_couple_id"), ["couple_id"], unique=False)


def downgrade() -> None:
    op.drop_table("rematch_requests")
    op.drop_table("match_feedback")
    op.drop_table("coach_assignments")
