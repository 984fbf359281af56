"""Database triggers that make a table append-only, on PostgreSQL and SQLite.

Used by migrations (``op.execute``) and by tests that check the guards exist. A refused
statement raises an integrity error on both engines (SQLSTATE 23001 ``restrict_violation``
on PostgreSQL, ``RAISE(ABORT)`` on SQLite), which SQLAlchemy reports as ``IntegrityError``.
Row triggers do not fire on ``TRUNCATE`` (PostgreSQL), which the test suite uses to reset
between tests; a real deployment never truncates.
"""

from __future__ import annotations

__all__ = ["append_only_create", "append_only_drop", "append_only_trigger_names"]


def append_only_trigger_names(table: str, dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [f"tr_{table}_append_only"]
    return [f"tr_{table}_no_update", f"tr_{table}_no_delete"]


def append_only_create(table: str, dialect: str) -> list[str]:
    """SQL statements that make ``table`` refuse UPDATE and DELETE of any row."""
    message = f"{table} is append-only"
    if dialect == "postgresql":
        return [
            f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'restrict_violation';
END $$""",
            f"CREATE TRIGGER tr_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()",
        ]
    return [
        f"CREATE TRIGGER tr_{table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
        f"CREATE TRIGGER tr_{table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END",
    ]


def append_only_drop(table: str, dialect: str) -> list[str]:
    """SQL statements that undo ``append_only_create``."""
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS tr_{table}_append_only ON {table}",
                f"DROP FUNCTION IF EXISTS {table}_append_only()"]
    return [f"DROP TRIGGER IF EXISTS {name}" for name in append_only_trigger_names(table, dialect)]
