"""Database triggers that lock signed notes and addenda, on PostgreSQL and SQLite.

- ``notes``: a row whose status is ``signed`` can be neither updated nor deleted.
- ``note_addenda``: no row can be updated or deleted (an addendum is signed when written).

One exception, so that key rotation keeps working: inside a transaction that
``coaching.crypto.rotation_transaction`` marked, an UPDATE that changes only the
encrypted column (``sections`` / ``body``) goes through. On PostgreSQL the trigger compares
the whole old and new rows minus that column (``to_jsonb(NEW) - 'sections'``) and reads
the transaction-local setting ``tandem.key_rotation``; on SQLite it compares every other
column with ``IS`` and calls the app-registered function ``tandem_key_rotation()`` (a raw
``sqlite3`` shell lacks it, so there any UPDATE of these tables fails to prepare).

A refusal raises an integrity error on both engines (``IntegrityError`` in SQLAlchemy).
Later migrations that rebuild these tables on SQLite (batch "move and copy") must
recreate the triggers: the rebuilt table would otherwise come back unguarded.
"""

from __future__ import annotations

from collections.abc import Sequence

from coaching.crypto import ROTATION_SETTING, SQLITE_ROTATION_FUNCTION

__all__ = ["GUARDED", "create_statements", "drop_statements", "trigger_names"]

NOTE_COLUMNS = ("id", "couple_id", "booking_id", "coach_id", "partner_id", "kind", "template_key",
                "template_version", "sections", "status", "revision", "created_at", "updated_at",
                "signed_at", "signed_by_id", "content_sha256")
ADDENDUM_COLUMNS = ("id", "note_id", "coach_id", "body", "signed_at", "signed_by_id", "content_sha256")

# table -> (its columns when the guard was made, the encrypted column, the SQL condition
# under which a row is locked, the message)
GUARDED: dict[str, tuple[Sequence[str], str, str, str]] = {
    "notes": (NOTE_COLUMNS, "sections", "OLD.status = 'signed'", "signed notes cannot be changed"),
    "note_addenda": (ADDENDUM_COLUMNS, "body", "1 = 1", "addenda cannot be changed"),
}


def trigger_names(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"tr_{table}_locked"]
    return [f"tr_{table}_locked_update", f"tr_{table}_locked_delete"]


def _postgres(table: str) -> list[str]:
    _columns, encrypted, locked, message = GUARDED[table]
    raise_ = f"RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';"
    return [
        f"""CREATE FUNCTION {table}_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT ({locked}) THEN
        RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP = 'UPDATE'
       AND coalesce(current_setting('{ROTATION_SETTING}', true), '') = 'on'
       AND (to_jsonb(NEW) - '{encrypted}') = (to_jsonb(OLD) - '{encrypted}') THEN
        RETURN NEW;
    END IF;
    {raise_}
END $$""",
        f"CREATE TRIGGER tr_{table}_locked BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {table}_locked()",
    ]


def _sqlite(table: str) -> list[str]:
    columns, encrypted, locked, message = GUARDED[table]
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in columns if c != encrypted)
    return [
        f"CREATE TRIGGER tr_{table}_locked_update BEFORE UPDATE ON {table} "
        f"WHEN ({locked}) AND NOT ({SQLITE_ROTATION_FUNCTION}() = 1 AND {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER tr_{table}_locked_delete BEFORE DELETE ON {table} "
        f"WHEN ({locked}) BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


def create_statements(dialect: str) -> list[str]:
    """SQL that installs every guard of this module."""
    make = _postgres if dialect == "postgresql" else _sqlite
    return [statement for table in GUARDED for statement in make(table)]


def drop_statements(dialect: str) -> list[str]:
    """SQL that removes them again (downgrade)."""
    out: list[str] = []
    for table in GUARDED:
        out += [f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else "")
                for name in trigger_names(table, dialect)]
        if dialect == "postgresql":
            out.append(f"DROP FUNCTION IF EXISTS {table}_locked()")
    return out
