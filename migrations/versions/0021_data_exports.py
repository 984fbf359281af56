"""data exports: a person's encrypted ZIP, offered once by a hashed, expiring link

Revision ID: 0021_data_exports
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db

revision = "0021_data_exports"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("pending", "ready", "downloaded", "expired", name="exportstatus",
                                    native_enum=False, length=16), nullable=False),
        sa.Column("with_notes", sa.Boolean(), nullable=False),
        sa.Column("notes_requested", sa.Boolean(), nullable=False),
        sa.Column("notes_decision", sa.Enum("released", "declined", name="notesdecision",
                                            native_enum=False, length=16), nullable=True),
        sa.Column("notes_decided_at", UTC, nullable=True),
        sa.Column("notes_decided_by_id", sa.Integer(), nullable=True),
        sa.Column("released_from_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("archive", coaching.crypto.EncryptedText(), nullable=True),
        sa.Column("archive_bytes", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("ready_at", UTC, nullable=True),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("downloaded_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_data_exports_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["notes_decided_by_id"], ["users.id"],
                                name=op.f("fk_data_exports_notes_decided_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["released_from_id"], ["data_exports.id"],
                                name=op.f("fk_data_exports_released_from_id_data_exports"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_data_exports_token_hash")),
    )
    op.create_index(op.f("ix_data_exports_user_id"), "data_exports", ["user_id"])
    op.create_index("ix_data_exports_status_expires", "data_exports", ["status", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_data_exports_status_expires", table_name="data_exports")
    op.drop_index(op.f("ix_data_exports_user_id"), table_name="data_exports")
    op.drop_table("data_exports")
