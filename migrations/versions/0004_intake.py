"""intake: consents, shared/private answers, CSI-4, safety screens and flags, invites

Revision ID: 0004_intake
Revises: 0002_bookings
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db

revision = "0004_intake"
down_revision = "0002_bookings"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)
ENC = coaching.crypto.EncryptedJSON()


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], ondelete=ondelete,
                                   name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intake_completed_at", UTC, nullable=True))

    op.create_table(
        "intake_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("terms", sa.Boolean(), nullable=False),
        sa.Column("sharing", sa.Boolean(), nullable=False),
        sa.Column("sensitive_data", sa.Boolean(), nullable=False),
        sa.Column("given_at", UTC, nullable=False),
        _fk("intake_consents", "partner_id", "partners", "CASCADE"),
        _fk("intake_consents", "user_id", "users", "SET NULL"),
        _pk("intake_consents"),
    )
    op.create_index(op.f("ix_intake_consents_partner_id"), "intake_consents", ["partner_id"])

    op.create_table(
        "intake_shared_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", ENC, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        _fk("intake_shared_answers", "couple_id", "couples", "CASCADE"),
        sa.ForeignKeyConstraint(["updated_by_id"], ["partners.id"], ondelete="SET NULL",
                                name=op.f("fk_intake_shared_answers_updated_by_id_partners")),
        _pk("intake_shared_answers"),
        sa.UniqueConstraint("couple_id", "step", name=op.f("uq_intake_shared_answers_couple_id_step")),
    )

    op.create_table(
        "intake_shared_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("changed_keys", sa.JSON(), nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        _fk("intake_shared_changes", "couple_id", "couples", "CASCADE"),
        _fk("intake_shared_changes", "partner_id", "partners", "SET NULL"),
        _pk("intake_shared_changes"),
    )
    op.create_index(op.f("ix_intake_shared_changes_couple_id"), "intake_shared_changes", ["couple_id"])

    op.create_table(
        "intake_private_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", ENC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        _fk("intake_private_answers", "partner_id", "partners", "CASCADE"),
        _pk("intake_private_answers"),
        sa.UniqueConstraint("partner_id", "step", name=op.f("uq_intake_private_answers_partner_id_step")),
    )

    op.create_table(
        "satisfaction_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("items", ENC, nullable=False),
        sa.Column("taken_at", UTC, nullable=False),
        _fk("satisfaction_responses", "partner_id", "partners", "CASCADE"),
        _pk("satisfaction_responses"),
    )
    op.create_index(op.f("ix_satisfaction_responses_partner_id"), "satisfaction_responses", ["partner_id"])

    op.create_table(
        "safety_screens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", ENC, nullable=False),
        sa.Column("result", ENC, nullable=False),
        sa.Column("completed_at", UTC, nullable=False),
        _fk("safety_screens", "partner_id", "partners", "CASCADE"),
        _pk("safety_screens"),
        sa.UniqueConstraint("partner_id", name=op.f("uq_safety_screens_partner_id")),
    )

    op.create_table(
        "safety_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Enum("open", "acknowledged", "resolved", name="flagstatus",
                                    native_enum=False, length=24), nullable=False),
        sa.Column("raised_at", UTC, nullable=False),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", UTC, nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("joint_booking_restored", sa.Boolean(), nullable=False),
        _fk("safety_flags", "couple_id", "couples", "CASCADE"),
        _fk("safety_flags", "partner_id", "partners", "CASCADE"),
        sa.ForeignKeyConstraint(["acknowledged_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_safety_flags_acknowledged_by_id_users")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_safety_flags_resolved_by_id_users")),
        _pk("safety_flags"),
    )
    op.create_index(op.f("ix_safety_flags_couple_id"), "safety_flags", ["couple_id"])
    op.create_index(op.f("ix_safety_flags_partner_id"), "safety_flags", ["partner_id"])
    op.create_index(op.f("ix_safety_flags_status"), "safety_flags", ["status"])

    op.create_table(
        "safety_flag_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("body", coaching.crypto.EncryptedText(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _fk("safety_flag_notes", "flag_id", "safety_flags", "CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_safety_flag_notes_author_id_users")),
        _pk("safety_flag_notes"),
    )
    op.create_index(op.f("ix_safety_flag_notes_flag_id"), "safety_flag_notes", ["flag_id"])

    op.create_table(
        "intake_invites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.Column("used_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        _fk("intake_invites", "couple_id", "couples", "CASCADE"),
        sa.ForeignKeyConstraint(["invited_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_intake_invites_invited_by_id_users")),
        sa.ForeignKeyConstraint(["used_by_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_intake_invites_used_by_id_users")),
        _pk("intake_invites"),
        sa.UniqueConstraint("token_hash", name=op.f("uq_intake_invites_token_hash")),
    )
    op.create_index(op.f("ix_intake_invites_couple_id"), "intake_invites", ["couple_id"])


def downgrade() -> None:
    for table in ("intake_invites", "safety_flag_notes", "safety_flags", "safety_screens",
                  "satisfaction_responses", "intake_private_answers", "intake_shared_changes",
                  "intake_shared_answers", "intake_consents"):
        op.drop_table(table)
    with op.batch_alter_table("couples", schema=None) as batch_op:
        batch_op.drop_column("intake_completed_at")
