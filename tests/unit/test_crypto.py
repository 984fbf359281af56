"""Encryption at rest: Fernet keys newest first, rotation, and columns that never hold plaintext."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, insert, select, text
from sqlalchemy.orm import Session

from coaching import crypto

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def app_with(keys: str | None) -> Flask:
    app = Flask(__name__)
    app.config["DATA_KEYS"] = keys
    return app


def test_a_value_round_trips_and_the_token_does_not_contain_it() -> None:
    token = crypto.encrypt("we argue about money", OLD)
    assert "money" not in token
    assert crypto.decrypt(token, OLD) == "we argue about money"


def test_values_encrypted_with_an_older_key_still_decrypt_after_a_new_key_is_added() -> None:
    token = crypto.encrypt("secret", OLD)
    assert crypto.decrypt(token, f"{NEW},{OLD}") == "secret"


def test_a_value_under_an_unknown_key_does_not_decrypt() -> None:
    with pytest.raises(InvalidToken):
        crypto.decrypt(crypto.encrypt("secret", OLD), NEW)


def test_without_keys_encryption_refuses_to_run() -> None:
    with app_with(None).app_context(), pytest.raises(crypto.KeysMissing):
        crypto.encrypt("secret")
    with pytest.raises(crypto.KeysMissing):
        crypto.keyring(" , ")


def make_table() -> tuple[MetaData, Table]:
    metadata = MetaData()
    table = Table("secrets", metadata, Column("id", Integer, primary_key=True),
                  Column("note", crypto.EncryptedText()), Column("answers", crypto.EncryptedJSON()))
    return metadata, table


def test_encrypted_columns_store_tokens_and_read_back_values() -> None:
    metadata, table = make_table()
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with app_with(OLD).app_context(), Session(engine) as db:
        db.execute(insert(table).values(note="afraid at home", answers={"fear": "often", "n": 3}))
        raw = db.execute(text("SELECT note, answers FROM secrets")).one()
        assert "afraid" not in raw.note and "often" not in raw.answers and "fear" not in raw.answers
        row = db.execute(select(table.c.note, table.c.answers)).one()
        assert row.note == "afraid at home" and row.answers == {"fear": "often", "n": 3}
        assert crypto.encrypted_columns(metadata) == [(table, table.c.note), (table, table.c.answers)]


def test_rotation_re_encrypts_every_value_with_the_newest_key() -> None:
    metadata, table = make_table()
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with app_with(OLD).app_context(), Session(engine) as db:
        for i in range(5):
            db.execute(insert(table).values(note=f"note {i}", answers=[i]))
        db.execute(insert(table).values(note=None, answers=None))
        db.commit()
    with app_with(f"{NEW},{OLD}").app_context(), Session(engine) as db:
        assert crypto.rotate_all(db, metadata, batch=2) == 10
    with app_with(NEW).app_context(), Session(engine) as db:  # the old key can now be dropped
        rows = db.execute(select(table.c.note, table.c.answers).order_by(table.c.id)).all()
        assert [tuple(r) for r in rows] == [(f"note {i}", [i]) for i in range(5)] + [(None, None)]
