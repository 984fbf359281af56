"""a seat ends with its couple: ``partners.ended_at``, and one current seat per person

After a separation a person may start again with a new partner, so a user can hold more than
one seat: the unique ``partners.user_id`` becomes a partial unique index over the seats that
have not ended. Seats of couples that already ended get the separation's time.

On SQLite a UNIQUE constraint can only go by rebuilding the table, and with foreign keys on,
dropping ``partners`` would cascade into every table that points at it (answers, screens,
consents...). The rebuild therefore runs outside the migration's transaction with foreign keys
off (SQLite's documented 12-step procedure), in a transaction of its own, and checks every
foreign key before it commits.

Revision ID: 0025_partner_seats_end
Revises: 0024_merge_calendars_and_rights
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import coaching.db

revision = "0025_partner_seats_end"
down_revision = "0024_merge_calendars_and_rights"
branch_labels = None
depends_on = None

UTC = coaching.db.UTCDateTime(timezone=True)
CURRENT = "ended_at IS NULL"
BACKFILL = ("UPDATE partners SET ended_at = (SELECT s.separated_at FROM couple_separations s "
            "WHERE s.couple_id = partners.couple_id) "
            "WHERE EXISTS (SELECT 1 FROM couple_separations s WHERE s.couple_id = partners.couple_id)")

_SQLITE_TABLE = """CREATE TABLE partners_new (
    id INTEGER NOT NULL,
    couple_id INTEGER NOT NULL,
    slot VARCHAR(1) NOT NULL,
    user_id INTEGER,
    invited_email VARCHAR(254),
    joined_at DATETIME,
    timezone VARCHAR(64),
    free_times JSON NOT NULL,
    {extra}CONSTRAINT pk_partners PRIMARY KEY (id),
    CONSTRAINT ck_partners_slot_a_or_b CHECK (slot IN ('a', 'b')),
    CONSTRAINT ck_partners_user_or_invite CHECK (user_id IS NOT NULL OR invited_email IS NOT NULL),
    CONSTRAINT fk_partners_couple_id_couples FOREIGN KEY(couple_id) REFERENCES couples (id) ON DELETE CASCADE,
    CONSTRAINT fk_partners_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT uq_partners_couple_id_slot UNIQUE (couple_id, slot){unique_user}
)"""
_COLUMNS = "id, couple_id, slot, user_id, invited_email, joined_at, timezone, free_times"
# Going back to one seat per person: each person keeps only their latest seat; their earlier
# (ended) seats keep the row, with its answers and history, but lose the link to them.
_EARLIER = ("user_id IS NOT NULL AND id <> (SELECT max(p2.id) FROM partners p2 "
            "WHERE p2.user_id = partners.user_id)")
_DOWN_USER = f"CASE WHEN {_EARLIER} THEN NULL ELSE user_id END"
_DOWN_EMAIL = f"CASE WHEN {_EARLIER} THEN coalesce(invited_email, 'former-partner@invalid') ELSE invited_email END"


def _sqlite_rebuild(*, upgrade: bool) -> None:
    """Rebuild ``partners`` with or without the plain UNIQUE (user_id), foreign keys off."""
    context = op.get_context()
    with context.autocommit_block():
        raw = op.get_bind().connection.dbapi_connection
        cursor = raw.cursor()
        cursor.execute("PRAGMA foreign_keys=OFF")  # outside any transaction, where it takes effect
        try:
            cursor.execute("BEGIN IMMEDIATE")
            if upgrade:
                cursor.execute(_SQLITE_TABLE.format(extra="ended_at DATETIME,\n    ", unique_user=""))
                cursor.execute(f"INSERT INTO partners_new ({_COLUMNS}) SELECT {_COLUMNS} FROM partners")
            else:
                cursor.execute(_SQLITE_TABLE.format(extra="", unique_user=",\n    CONSTRAINT uq_partners_user_id "
                                                                          "UNIQUE (user_id)"))
                cursor.execute(f"INSERT INTO partners_new ({_COLUMNS}) SELECT id, couple_id, slot, {_DOWN_USER}, "
                               f"{_DOWN_EMAIL}, joined_at, timezone, free_times FROM partners")
            cursor.execute("DROP TABLE partners")
            cursor.execute("ALTER TABLE partners_new RENAME TO partners")
            if upgrade:
                cursor.execute("CREATE INDEX ix_partners_user_id ON partners (user_id)")
                cursor.execute(f"CREATE UNIQUE INDEX uq_partners_current_user ON partners (user_id) WHERE {CURRENT}")
                cursor.execute(BACKFILL)
            broken = cursor.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"partners rebuild broke foreign keys: {broken[:5]}")
            cursor.execute("COMMIT")
        except BaseException:
            cursor.execute("ROLLBACK")
            raise
        finally:
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(upgrade=True)
        return
    op.add_column("partners", sa.Column("ended_at", UTC, nullable=True))
    op.execute(BACKFILL)
    op.drop_constraint("uq_partners_user_id", "partners", type_="unique")
    op.create_index("ix_partners_user_id", "partners", ["user_id"])
    op.create_index("uq_partners_current_user", "partners", ["user_id"], unique=True,
                    postgresql_where=sa.text(CURRENT))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(upgrade=False)
        return
    op.execute(f"UPDATE partners SET user_id = {_DOWN_USER}, invited_email = {_DOWN_EMAIL}")
    op.drop_index("uq_partners_current_user", table_name="partners")
    op.drop_index("ix_partners_user_id", table_name="partners")
    op.create_unique_constraint("uq_partners_user_id", "partners", ["user_id"])
    op.drop_column("partners", "ended_at")
