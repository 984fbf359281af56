"""encrypt bookings.cancel_reason; refunds owed by the manual provider and how they were sent

Revision ID: 0011_holds_refunds
Revises: 0007_merge_features

``bookings.cancel_reason`` becomes a Fernet token (``coaching.crypto.EncryptedText``):
existing rows are encrypted with the configured ``TANDEM_DATA_KEYS`` (the app's
``DATA_KEYS`` when run by ``flask db upgrade``), and decrypted again on downgrade.

SQLite cannot change a column's type in place, and rebuilding ``bookings`` (Alembic's batch
mode) would drop the table under ``PRAGMA foreign_keys=ON``: its ``ON DELETE SET NULL``
children (payments, credits, reschedule chains) would lose their links, and its triggers
would go. So on SQLite the column is swapped instead (add, copy, drop, rename), which
touches neither.
"""
from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0011_holds_refunds"
down_revision = "0007_merge_features"
branch_labels = None
depends_on = None

BATCH = 500


def _keys() -> str:
    """The configured data keys: the running app's, or read from the environment like the app does."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("DATA_KEYS"):
        return str(current_app.config["DATA_KEYS"])
    from coaching.config import Config

    keys = Config().DATA_KEYS
    if not keys:
        raise RuntimeError("Set TANDEM_DATA_KEYS: existing cancel reasons must be encrypted with it.")
    return keys


def _rewrite(source: str, target: str, convert: Callable[[str, str], str]) -> None:
    """Write ``convert(keys, bookings.source)`` into ``bookings.target`` for every non-null row."""
    bind = op.get_bind()
    keys: str | None = None
    last = 0
    while True:
        rows = bind.execute(sa.text(
            f"SELECT id, {source} FROM bookings WHERE {source} IS NOT NULL AND id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            return
        keys = keys or _keys()
        for row_id, value in rows:
            bind.execute(sa.text(f"UPDATE bookings SET {target} = :value WHERE id = :id"),
                         {"value": convert(keys, value), "id": row_id})
        last = rows[-1][0]


def _encrypt(keys: str, value: str) -> str:
    from coaching.crypto import encrypt

    return encrypt(value, keys)


def _decrypt(keys: str, value: str) -> str:
    from coaching.crypto import decrypt

    return decrypt(value, keys)


def _swap_sqlite_column(new_type: str, convert: Callable[[str, str], str]) -> None:
    op.execute(f"ALTER TABLE bookings ADD COLUMN cancel_reason_swap {new_type}")
    _rewrite("cancel_reason", "cancel_reason_swap", convert)
    op.execute("ALTER TABLE bookings DROP COLUMN cancel_reason")
    op.execute("ALTER TABLE bookings RENAME COLUMN cancel_reason_swap TO cancel_reason")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _swap_sqlite_column("TEXT", _encrypt)
    else:
        op.alter_column("bookings", "cancel_reason", type_=sa.Text(), existing_type=sa.String(length=500),
                        existing_nullable=True)
        _rewrite("cancel_reason", "cancel_reason", _encrypt)

    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("manual_method", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("manual_reference", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("manual_sent_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_refunds_recorded_by_id_users"), "users", ["recorded_by_id"],
                                    ["id"], ondelete="SET NULL")
        batch_op.create_index("ix_refunds_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status_created")
        batch_op.drop_constraint(batch_op.f("fk_refunds_recorded_by_id_users"), type_="foreignkey")
        batch_op.drop_column("recorded_by_id")
        batch_op.drop_column("manual_sent_on")
        batch_op.drop_column("manual_reference")
        batch_op.drop_column("manual_method")
    # A refund owed before the downgrade is still owed after it: it stays pending (the old
    # code then marks a manual refund done, as it used to).
    op.execute("UPDATE refunds SET status = 'pending' WHERE status = 'owed'")

    if op.get_bind().dialect.name == "sqlite":
        _swap_sqlite_column("VARCHAR(500)", _decrypt)
    else:
        _rewrite("cancel_reason", "cancel_reason", _decrypt)
        op.alter_column("bookings", "cancel_reason", type_=sa.String(length=500), existing_type=sa.Text(),
                        existing_nullable=True)
