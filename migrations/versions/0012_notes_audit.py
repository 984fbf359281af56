"""notes and the access log: notes, addenda, handover consents, append-only audit events

Revision ID: 0012_notes_audit
Revises: 0007_merge_features
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.crypto
import coaching.db
from coaching.audit.triggers import append_only_create, append_only_drop
from coaching.notes import guards

revision = "0012_notes_audit"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=True),
        sa.Column("couple_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.create_index("ix_audit_events_couple_time", ["couple_id", "created_at"], unique=False)
        batch_op.create_index("ix_audit_events_actor_time", ["actor_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_created_at"), ["created_at"], unique=False)
    _run(append_only_create("audit_events", dialect))

    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=True),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.Enum("session", "couple", name="notekind", native_enum=False, length=16), nullable=False),
        sa.Column("template_key", sa.String(length=32), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column("sections", coaching.crypto.EncryptedJSON(), nullable=False),
        sa.Column("status", sa.Enum("draft", "signed", name="notestatus", native_enum=False, length=16), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", coaching.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by_id", sa.Integer(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.CheckConstraint("(kind = 'session' AND booking_id IS NOT NULL) OR (kind = 'couple' AND booking_id IS NULL)",
                           name=op.f("ck_notes_session_has_booking")),
        sa.CheckConstraint("status = 'draft' OR (signed_at IS NOT NULL AND signed_by_id IS NOT NULL "
                           "AND content_sha256 IS NOT NULL)", name=op.f("ck_notes_signed_has_signature")),
        sa.ForeignKeyConstraint(["booking_id"], ["bookings.id"], name=op.f("fk_notes_booking_id_bookings")),
        sa.ForeignKeyConstraint(["coach_id"], ["coach_profiles.id"], name=op.f("fk_notes_coach_id_coach_profiles")),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_notes_couple_id_couples")),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"], name=op.f("fk_notes_partner_id_partners")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["users.id"], name=op.f("fk_notes_signed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_notes_booking_id")),
    )
    with op.batch_alter_table("notes") as batch_op:
        batch_op.create_index("ix_notes_couple_created", ["couple_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notes_coach_id"), ["coach_id"], unique=False)

    op.create_table(
        "note_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=False),
        sa.Column("body", coaching.crypto.EncryptedText(), nullable=False),
        sa.Column("signed_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_by_id", sa.Integer(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["coach_profiles.id"], name=op.f("fk_note_addenda_coach_id_coach_profiles")),
        sa.ForeignKeyConstraint(["note_id"], ["notes.id"], name=op.f("fk_note_addenda_note_id_notes")),
        sa.ForeignKeyConstraint(["signed_by_id"], ["users.id"], name=op.f("fk_note_addenda_signed_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_addenda")),
    )
    with op.batch_alter_table("note_addenda") as batch_op:
        batch_op.create_index(batch_op.f("ix_note_addenda_note_id"), ["note_id"], unique=False)

    op.create_table(
        "note_handover_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("rematch_request_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=False),
        sa.Column("answered_at", coaching.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_note_handover_consents_couple_id_couples"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rematch_request_id"], ["rematch_requests.id"],
                                name=op.f("fk_note_handover_consents_rematch_request_id_rematch_requests"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_note_handover_consents_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_handover_consents")),
        sa.UniqueConstraint("rematch_request_id", "user_id", name=op.f("uq_note_handover_consents_rematch_request_id_user_id")),
    )
    with op.batch_alter_table("note_handover_consents") as batch_op:
        batch_op.create_index(batch_op.f("ix_note_handover_consents_couple_id"), ["couple_id"], unique=False)

    _run(guards.create_statements(dialect))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _run(guards.drop_statements(dialect))
    with op.batch_alter_table("note_handover_consents") as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_handover_consents_couple_id"))
    op.drop_table("note_handover_consents")
    with op.batch_alter_table("note_addenda") as batch_op:
        batch_op.drop_index(batch_op.f("ix_note_addenda_note_id"))
    op.drop_table("note_addenda")
    with op.batch_alter_table("notes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_notes_coach_id"))
        batch_op.drop_index("ix_notes_couple_created")
    op.drop_table("notes")

    _run(append_only_drop("audit_events", dialect))
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_created_at"))
        batch_op.drop_index("ix_audit_events_actor_time")
        batch_op.drop_index("ix_audit_events_couple_time")
    op.drop_table("audit_events")
