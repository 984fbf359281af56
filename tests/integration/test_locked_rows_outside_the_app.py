"""Signed notes, addenda and the access log stay as they are for a connection that is not the
app's at all: a plain ``sqlite3`` shell (which lacks the app's ``tandem_key_rotation()``
function) or a plain ``psycopg`` session (which never set ``tandem.key_rotation``).

``test_notes_integrity.py`` and ``test_audit_log.py`` send raw SQL through the app's own
engine; these go around it, the way someone with a database shell would.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from coaching import db
from coaching.audit.models import AuditEvent
from coaching.notes.models import Addendum
from tests.notes_data import build_world


@pytest.fixture
def world(dbs: Any, frozen_clock: Any) -> Any:
    built = build_world(frozen_clock)
    dbs.commit()
    return built


@pytest.fixture
def shell(database_url: str, dbs: Any) -> Iterator[Any]:
    """A DB-API connection to the test database that knows nothing of the app."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        conn: Any = sqlite3.connect(url.database or "")
    else:
        conn = psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                               dbname=url.database)
    dbs.rollback()  # no lock of the app's session stands in the shell's way
    yield conn
    conn.close()


def row(table: str, row_id: int) -> tuple[Any, ...]:
    db.session.rollback()
    return tuple(db.session.execute(text(f"SELECT * FROM {table} WHERE id = :id"), {"id": row_id}).one())


def refusal(shell: Any, sql: str, row_id: int) -> str:
    """Run ``sql`` in the shell and commit; the database's refusal ("" if it let it through)."""
    placeholder = "?" if isinstance(shell, sqlite3.Connection) else "%s"
    try:
        shell.execute(sql.replace(":id", placeholder), (row_id,))
        shell.commit()
    except (sqlite3.Error, psycopg.Error) as exc:
        shell.rollback()
        return str(exc).splitlines()[0]
    return ""


def guarded(refused_with: str, message: str) -> bool:
    """The guard's own words, or (a plain sqlite3 shell) the guard failing to prepare because
    the function that marks key rotation or the retention purge is the app's alone."""
    return refused_with == message or re.fullmatch(r"no such function: tandem_\w+", refused_with) is not None


NOTE = "signed notes cannot be changed"
ADDENDUM = "addenda cannot be changed"
LOG = "audit_events is append-only"


def locked_row_id(world: Any, table: str) -> int:
    """The signed joint note, its addendum, or the first access-log entry."""
    if table == "notes":
        return world.notes["joint"]
    model = Addendum if table == "note_addenda" else AuditEvent
    return db.session.query(model.id).order_by(model.id).limit(1).scalar()


@pytest.mark.parametrize("table, sql, message", [
    ("notes", "UPDATE notes SET content_sha256 = 'x' WHERE id = :id", NOTE),
    ("notes", "UPDATE notes SET sections = (SELECT sections FROM notes WHERE status = 'draft' LIMIT 1) "
              "WHERE id = :id", NOTE),
    ("notes", "UPDATE notes SET status = 'draft' WHERE id = :id", NOTE),
    ("notes", "DELETE FROM notes WHERE id = :id", NOTE),
    ("note_addenda", "UPDATE note_addenda SET content_sha256 = 'x' WHERE id = :id", ADDENDUM),
    ("note_addenda", "DELETE FROM note_addenda WHERE id = :id", ADDENDUM),
    ("audit_events", "UPDATE audit_events SET action = 'write' WHERE id = :id", LOG),
    ("audit_events", "UPDATE audit_events SET actor_id = NULL WHERE id = :id", LOG),
    ("audit_events", "DELETE FROM audit_events WHERE id = :id", LOG),
])
def test_a_database_shell_cannot_change_or_delete_a_locked_row(world: Any, shell: Any, table: str, sql: str,
                                                               message: str) -> None:
    row_id = locked_row_id(world, table)
    before = row(table, row_id)
    refused_with = refusal(shell, sql, row_id)
    if table == "audit_events":  # its guards call no app function: the guard's own words everywhere
        assert refused_with == message
    else:
        assert guarded(refused_with, message)
    assert row(table, row_id) == before
