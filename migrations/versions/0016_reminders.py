"""reminders: a row per booking, recipient and offset; each person's optional emails

Revision ID: 0016_reminders
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0016_reminders"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("state", sa.Enum("pending", "sent", "started", "off", "superseded", "stale",
                                   name="reminderstate", native_enum=False, length=16), nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_reminders_booking_id_bookings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reminders_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("booking_id", "user_id", "offset_minutes",
                            name=op.f("uq_reminders_booking_id_user_id_offset_minutes")),
    )
    op.create_index(op.f("ix_reminders_due_at"), "reminders", ["due_at"])
    op.create_index(op.f("ix_reminders_user_id"), "reminders", ["user_id"])
    op.create_index("ix_reminders_pending_due", "reminders", ["sent_at", "due_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reminders", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("homework_emails", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_notification_preferences_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notification_preferences")
    op.drop_index("ix_reminders_pending_due", table_name="reminders")
    op.drop_index(op.f("ix_reminders_user_id"), table_name="reminders")
    op.drop_index(op.f("ix_reminders_due_at"), table_name="reminders")
    op.drop_table("reminders")
