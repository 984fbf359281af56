"""Encryption at rest for sensitive columns: Fernet keys that rotate, newest first.

Keys come from the app's ``DATA_KEYS`` setting (``TANDEM_DATA_KEYS``: comma-separated
Fernet keys, newest first). Values are encrypted with the newest key and decrypt with any
listed key, so a new key can be added in front and old rows rotated at leisure with
``rotate_all`` (``flask keys rotate``). Columns typed ``EncryptedText`` or
``EncryptedJSON`` encrypt on write and decrypt on read; the database only ever holds tokens.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, event, func, select, type_coerce, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

__all__ = ["EncryptedJSON", "EncryptedText", "KeysMissing", "decrypt", "encrypt", "keyring",
           "rotate_all"]


class KeysMissing(RuntimeError):
    """No data keys are configured (production must set TANDEM_DATA_KEYS)."""


@lru_cache(maxsize=8)
def _keyring_for(keys: str) -> MultiFernet:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise KeysMissing("TANDEM_DATA_KEYS lists no key")
    return MultiFernet([Fernet(k) for k in parts])


def keyring(keys: str | None = None) -> MultiFernet:
    """The MultiFernet for ``keys`` (default: the current app's ``DATA_KEYS``)."""
    if keys is None:
        keys = current_app.config.get("DATA_KEYS")
    if not keys:
        raise KeysMissing("Set TANDEM_DATA_KEYS to one or more Fernet keys (newest first).")
    return _keyring_for(keys)


def encrypt(plaintext: str, keys: str | None = None) -> str:
    """A Fernet token (ASCII) for ``plaintext``, made with the newest key."""
    return keyring(keys).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str, keys: str | None = None) -> str:
    """The plaintext of ``token``; raises ``cryptography.fernet.InvalidToken`` for a wrong key."""
    return keyring(keys).decrypt(token.encode("ascii")).decode("utf-8")


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored as a Fernet token (assign a new value to change it: not mutable)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, separators=(",", ":"), sort_keys=True))

    def process_result_value(self, value: str | None, dialect: Any) -> Any:
        return None if value is None else json.loads(decrypt(value))


def encrypted_columns(metadata: Any) -> list[tuple[Any, Any]]:
    """Every (table, column) of ``metadata`` whose type encrypts."""
    return [(table, column) for table in metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText | EncryptedJSON)]


# --- key rotation ------------------------------------------------------------------------------
# Some rows must never change (signed notes, addenda: see ``coaching.notes.guards``), yet key
# rotation has to rewrite their ciphertext. Their triggers let a change of ciphertext alone
# through only inside a transaction that rotation marked:
# - PostgreSQL: the transaction-local setting ``tandem.key_rotation = 'on'`` (SET LOCAL
#   semantics: it ends with the transaction, so it cannot leak to the next user of the
#   pooled connection);
# - SQLite: the SQL function ``tandem_key_rotation()``, registered by the app on each of its
#   connections, returns 1 only while rotation runs on that connection. A plain ``sqlite3``
#   shell does not have the function, so there the guarded statements simply fail.
# This keeps honest mistakes and raw SQL out; it is not a defence against someone who runs
# the application's own code with the database's credentials.
ROTATION_SETTING = "tandem.key_rotation"
SQLITE_ROTATION_FUNCTION = "tandem_key_rotation"
_ROTATION_FLAG = "tandem_key_rotation"


@event.listens_for(Engine, "connect")
def _register_rotation_function(dbapi_conn: Any, record: Any) -> None:
    if isinstance(dbapi_conn, sqlite3.Connection):
        info = record.info
        dbapi_conn.create_function(SQLITE_ROTATION_FUNCTION, 0,
                                   lambda: 1 if info.get(_ROTATION_FLAG) else 0)


@contextmanager
def rotation_transaction(db: Session) -> Iterator[None]:
    """A transaction marked as key rotation (see above); committed at the end, rolled back on error."""
    conn = db.connection()
    info = conn.connection.info
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT set_config('{ROTATION_SETTING}', 'on', true)")
    else:
        info[_ROTATION_FLAG] = True
    try:
        yield
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        info.pop(_ROTATION_FLAG, None)


def count_encrypted(db: Session, metadata: Any | None = None) -> int:
    """How many non-null encrypted values the database holds (the length of a rotation)."""
    if metadata is None:
        from coaching.db import Base

        metadata = Base.metadata
    total = 0
    for table, column in encrypted_columns(metadata):
        total += db.scalar(select(func.count()).select_from(table).where(column.is_not(None))) or 0
    db.rollback()
    return total


def rotate_all(db: Session, metadata: Any | None = None, batch: int = 500,
               progress: Callable[[int], None] | None = None) -> int:
    """Re-encrypt every encrypted value with the newest key; return how many were rewritten.

    Raises ``InvalidToken`` (changing nothing in that table) if a value matches no key.
    Each table is one transaction, marked as key rotation so that the immutability
    triggers of signed records let the new ciphertext through. ``progress(n)`` is called
    after each batch of ``n`` values.
    """
    if metadata is None:
        from coaching.db import Base

        metadata = Base.metadata
    from sqlalchemy.orm import scoped_session

    if isinstance(db, scoped_session):
        db = db()
    fernet = keyring()
    count = 0
    if db.in_transaction():
        db.commit()
    for table, column in encrypted_columns(metadata):
        (pk,) = table.primary_key.columns
        raw = type_coerce(column, Text())
        last = None
        with rotation_transaction(db):
            while True:
                query = select(pk, raw).where(raw.is_not(None)).order_by(pk).limit(batch)
                if last is not None:
                    query = query.where(pk > last)
                rows = db.execute(query).all()
                if not rows:
                    break
                for row_id, token in rows:
                    rotated = fernet.rotate(token.encode("ascii")).decode("ascii")
                    db.execute(update(table).where(pk == row_id)
                               .values({column.name: type_coerce(rotated, Text())}))
                    count += 1
                last = rows[-1][0]
                if progress is not None:
                    progress(len(rows))
    return count


__all__ += ["InvalidToken", "count_encrypted", "encrypted_columns", "rotation_transaction"]
