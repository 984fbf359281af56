"""Encryption at rest for sensitive columns: Fernet keys that rotate, newest first.

Keys come from the app's ``DATA_KEYS`` setting (``TANDEM_DATA_KEYS``: comma-separated
Fernet keys, newest first). Values are encrypted with the newest key and decrypt with any
listed key, so a new key can be added in front and old rows rotated at leisure with
``rotate_all`` (``flask keys rotate``). Columns typed ``EncryptedText`` or
``EncryptedJSON`` encrypt on write and decrypt on read; the database only ever holds tokens.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text, func, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from coaching.db import TransactionMark

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
# through only inside a transaction marked as key rotation (``coaching.db.TransactionMark``).
KEY_ROTATION = TransactionMark("key_rotation")
ROTATION_SETTING = KEY_ROTATION.setting
SQLITE_ROTATION_FUNCTION = KEY_ROTATION.sqlite_function
rotation_transaction = KEY_ROTATION.transaction


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
