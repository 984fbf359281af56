"""Migration 0012 installs the guards of notes, addenda and the access log, and its downgrade
removes them with the tables (SQLite and PostgreSQL)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from coaching.audit.triggers import append_only_trigger_names
from coaching.db import make_engine
from coaching.notes import guards
from tests.integration.test_migrations import config_for, empty_database_url  # noqa: F401 (fixture)


def installed(url: str) -> tuple[set[str], set[str]]:
    """(trigger names, PostgreSQL trigger function names) in the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
                return set(names), set()
            triggers = conn.execute(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")).scalars()
            functions = conn.execute(text(
                "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = 'public' AND (p.proname LIKE '%_locked' OR p.proname LIKE '%_append_only')")).scalars()
            return set(triggers), set(functions)
    finally:
        engine.dispose()


def test_the_guards_exist_after_upgrading_and_are_gone_after_downgrading(empty_database_url):  # noqa: F811
    cfg = config_for(empty_database_url)
    command.upgrade(cfg, "heads")
    dialect = "postgresql" if empty_database_url.startswith("postgresql") else "sqlite"
    expected = set(append_only_trigger_names("audit_events", dialect))
    expected |= {name for table in guards.GUARDED for name in guards.trigger_names(table, dialect)}
    triggers, functions = installed(empty_database_url)
    assert expected <= triggers
    if dialect == "postgresql":
        assert functions == {"audit_events_append_only", "notes_locked", "note_addenda_locked"}
    command.downgrade(cfg, "0007_merge_features")
    triggers, functions = installed(empty_database_url)
    assert not (expected & triggers) and functions == set()
