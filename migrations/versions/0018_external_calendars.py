"""external calendars: a coach's CalDAV calendar or iCal subscription, its busy times, Tandem's events there

Revision ID: 0018_external_calendars
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db

revision = "0018_external_calendars"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)
ENC = coaching.crypto.EncryptedText()


def upgrade() -> None:
    op.create_table(
        "external_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("caldav", "ics", name="calendarkind", native_enum=False, length=16),
                  nullable=False),
        sa.Column("url", ENC, nullable=False),
        sa.Column("username", sa.String(length=200), nullable=True),
        sa.Column("password", ENC, nullable=True),
        sa.Column("calendar_url", ENC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_attempt_at", UTC, nullable=True),
        sa.Column("last_success_at", UTC, nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("failing_since", UTC, nullable=True),
        sa.Column("failure_emailed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["coach_id"], ["coach_profiles.id"],
                                name=op.f("fk_external_calendars_coach_id_coach_profiles"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_calendars")),
        sa.UniqueConstraint("coach_id", name=op.f("uq_external_calendars_coach_id")),
    )
    op.create_table(
        "external_busy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("synced_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["calendar_id"], ["external_calendars.id"],
                                name=op.f("fk_external_busy_calendar_id_external_calendars"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["coach_id"], ["coach_profiles.id"],
                                name=op.f("fk_external_busy_coach_id_coach_profiles"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_busy")),
    )
    op.create_index(op.f("ix_external_busy_calendar_id"), "external_busy", ["calendar_id"])
    op.create_index("ix_external_busy_coach_window", "external_busy", ["coach_id", "starts_at", "ends_at"])
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("calendar_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=100), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("present", sa.Boolean(), nullable=False),
        sa.Column("dirty", sa.Boolean(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("pushed_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["calendar_id"], ["external_calendars.id"],
                                name=op.f("fk_calendar_events_calendar_id_external_calendars"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"],
                                name=op.f("fk_calendar_events_booking_id_bookings"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
        sa.UniqueConstraint("calendar_id", "uid", name=op.f("uq_calendar_events_calendar_id_uid")),
    )
    op.create_index("ix_calendar_events_dirty", "calendar_events", ["dirty"])


def downgrade() -> None:
    op.drop_index("ix_calendar_events_dirty", table_name="calendar_events")
    op.drop_table("calendar_events")
    op.drop_index("ix_external_busy_coach_window", table_name="external_busy")
    op.drop_index(op.f("ix_external_busy_calendar_id"), table_name="external_busy")
    op.drop_table("external_busy")
    op.drop_table("external_calendars")
