"""leaving Tandem: deletion requests, couple separations, and the retention purge's exception
to the note guards (a transaction it marks may DELETE signed notes and addenda)

Revision ID: 0022_erasure
Revises: 0015_merge_audit_and_notes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db
from coaching.notes import guards

revision = "0022_erasure"
down_revision = "0015_merge_audit_and_notes"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)
PURGE_SETTING = "tandem.retention_purge"
SQLITE_PURGE_FUNCTION = "tandem_retention_purge"


def _postgres_functions(with_purge: bool) -> list[str]:
    out = []
    for table in guards.GUARDED:
        sql = guards._postgres(table)[0].replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        if with_purge:
            sql = sql.replace(
                "    IF TG_OP = 'UPDATE'",
                f"    IF TG_OP = 'DELETE' AND coalesce(current_setting('{PURGE_SETTING}', true), '') = 'on' THEN\n"
                "        RETURN OLD;\n    END IF;\n    IF TG_OP = 'UPDATE'", 1)
        out.append(sql)
    return out


def _sqlite_delete_triggers(with_purge: bool) -> list[str]:
    out = []
    for table in guards.GUARDED:
        _columns, _encrypted, locked, message = guards.GUARDED[table]
        name = f"tr_{table}_locked_delete"
        condition = f"({locked}) AND NOT ({SQLITE_PURGE_FUNCTION}() = 1)" if with_purge else f"({locked})"
        out += [f"DROP TRIGGER IF EXISTS {name}",
                f"CREATE TRIGGER {name} BEFORE DELETE ON {table} WHEN {condition} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"]
    return out


def _guards(with_purge: bool) -> None:
    dialect = op.get_bind().dialect.name
    for statement in (_postgres_functions(with_purge) if dialect == "postgresql"
                      else _sqlite_delete_triggers(with_purge)):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        "account_deletions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("erased_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_deletions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_deletions")),
    )
    op.create_index(op.f("ix_account_deletions_user_id"), "account_deletions", ["user_id"])
    op.create_index(op.f("ix_account_deletions_due_at"), "account_deletions", ["due_at"])
    op.create_table(
        "couple_separations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("couple_id", sa.Integer(), nullable=False),
        sa.Column("separated_at", UTC, nullable=False),
        sa.Column("separated_by_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["couple_id"], ["couples.id"], name=op.f("fk_couple_separations_couple_id_couples"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["separated_by_id"], ["users.id"],
                                name=op.f("fk_couple_separations_separated_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_couple_separations")),
        sa.UniqueConstraint("couple_id", name=op.f("uq_couple_separations_couple_id")),
    )
    _guards(with_purge=True)


def downgrade() -> None:
    _guards(with_purge=False)
    op.drop_table("couple_separations")
    op.drop_index(op.f("ix_account_deletions_due_at"), table_name="account_deletions")
    op.drop_index(op.f("ix_account_deletions_user_id"), table_name="account_deletions")
    op.drop_table("account_deletions")
