"""check-ins: a couple's check-ins and each partner's encrypted answers to them

Revision ID: 0014_checkins
Revises: 0007_merge_features
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db

revision = "0014_checkins"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)
ENC = coaching.crypto.EncryptedJSON()


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("after_sessions", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_checkins_couple_id_couples"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"], name=op.f("fk_checkins_sent_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint("couple_id", "after_sessions", name=op.f("uq_checkins_couple_id_after_sessions")),
    )
    op.create_index(op.f("ix_checkins_couple_id"), "checkins", ["couple_id"])
    op.create_table(
        "checkin_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("csi_items", ENC, nullable=False),
        sa.Column("safety_answers", ENC, nullable=False),
        sa.Column("safety_result", ENC, nullable=False),
        sa.Column("answered_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"], name=op.f("fk_checkin_responses_checkin_id_checkins"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_checkin_responses_partner_id_partners"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_responses")),
        sa.UniqueConstraint("checkin_id", "partner_id", name=op.f("uq_checkin_responses_checkin_id_partner_id")),
    )
    op.create_index(op.f("ix_checkin_responses_partner_id"), "checkin_responses", ["partner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_checkin_responses_partner_id"), table_name="checkin_responses")
    op.drop_table("checkin_responses")
    op.drop_index(op.f("ix_checkins_couple_id"), table_name="checkins")
    op.drop_table("checkins")
