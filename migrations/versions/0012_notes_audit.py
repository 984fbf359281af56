"""notes and the access log: append-only audit events (notes tables follow in this file)

Revision ID: 0012_notes_audit
Revises: 0007_merge_features
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db
from coaching.audit.triggers import append_only_create, append_only_drop

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


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _run(append_only_drop("audit_events", dialect))
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_created_at"))
        batch_op.drop_index("ix_audit_events_actor_time")
        batch_op.drop_index("ix_audit_events_couple_time")
    op.drop_table("audit_events")
