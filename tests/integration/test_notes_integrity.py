"""Signed notes and addenda never change, on SQLite and PostgreSQL: through the services,
through raw SQL, under concurrent signing; key rotation still re-encrypts them; nothing
is stored in plain text."""

from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from coaching import crypto, db
from coaching.audit.models import AuditEvent
from coaching.notes import services
from coaching.notes.models import Addendum, Note, NoteStatus
from tests.notes_data import ADDENDUM_TEXT, INDIVIDUAL_TEXT, JOINT_TEXT, PREVIOUS_TEXT, build_world


@pytest.fixture
def world(dbs, frozen_clock):
    return build_world(frozen_clock)


def raw(sql: str, **params):
    result = db.session.execute(text(sql), params)
    db.session.commit()
    return result


def test_the_services_refuse_to_edit_a_signed_note(world, dbs):
    note = dbs.get(Note, world.notes["joint"])
    with pytest.raises(services.Locked):
        services.save_draft(dbs, world.cora, note.id, template_key="joint", template_version=1,
                            revision=note.revision, values={"focus": "rewritten"})
    dbs.expire_all()
    assert dbs.get(Note, note.id).sections["focus"] == JOINT_TEXT


@pytest.mark.parametrize("sql", [
    "UPDATE notes SET content_sha256 = 'x' WHERE id = :id",
    "UPDATE notes SET sections = (SELECT sections FROM notes WHERE status = 'draft') WHERE id = :id",
    "UPDATE notes SET status = 'draft' WHERE id = :id",
    "DELETE FROM notes WHERE id = :id",
])
def test_the_database_refuses_any_raw_change_or_delete_of_a_signed_note(world, dbs, sql):
    before = dbs.execute(text("SELECT sections, content_sha256, status FROM notes WHERE id = :id"),
                         {"id": world.notes["joint"]}).one()
    dbs.rollback()
    with pytest.raises(IntegrityError, match="signed notes cannot be changed"):
        raw(sql, id=world.notes["joint"])
    dbs.rollback()
    after = dbs.execute(text("SELECT sections, content_sha256, status FROM notes WHERE id = :id"),
                        {"id": world.notes["joint"]}).one()
    assert tuple(after) == tuple(before)


def test_the_database_lets_a_draft_change_and_go(world, dbs):
    raw("UPDATE notes SET revision = revision + 1 WHERE id = :id", id=world.notes["individual"])
    raw("DELETE FROM notes WHERE id = :id", id=world.notes["individual"])
    assert dbs.get(Note, world.notes["individual"]) is None


@pytest.mark.parametrize("sql", ["UPDATE note_addenda SET content_sha256 = 'x'", "DELETE FROM note_addenda"])
def test_the_database_refuses_any_raw_change_or_delete_of_an_addendum(world, dbs, sql):
    with pytest.raises(IntegrityError, match="addenda cannot be changed"):
        raw(sql)
    dbs.rollback()
    assert dbs.scalar(select(Addendum.body)) == ADDENDUM_TEXT


def test_a_rotation_marked_transaction_may_not_change_anything_but_the_ciphertext(world, dbs):
    with pytest.raises(IntegrityError):
        with crypto.rotation_transaction(dbs):
            dbs.execute(text("UPDATE notes SET content_sha256 = 'x' WHERE id = :id"), {"id": world.notes["joint"]})


def test_key_rotation_re_encrypts_signed_notes_and_addenda(app, world, dbs):
    before = dict(dbs.execute(text("SELECT id, sections FROM notes")).all())
    new_key = Fernet.generate_key().decode()
    app.config["DATA_KEYS"] = f"{new_key},{app.config['DATA_KEYS']}"
    assert crypto.rotate_all(dbs) >= 4
    after = dict(dbs.execute(text("SELECT id, sections FROM notes")).all())
    assert all(after[i] != before[i] for i in before)  # every token rewritten
    app.config["DATA_KEYS"] = new_key  # the old key can go
    dbs.expire_all()
    assert dbs.get(Note, world.notes["joint"]).sections["focus"] == JOINT_TEXT
    assert dbs.scalar(select(Addendum.body)) == ADDENDUM_TEXT
    assert dbs.get(Note, world.notes["joint"]).status == NoteStatus.SIGNED


def test_the_keys_rotate_command_covers_notes_and_shows_progress(app, world, runner):
    app.config["DATA_KEYS"] = f"{Fernet.generate_key().decode()},{app.config['DATA_KEYS']}"
    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypting" in result.output and "Re-encrypted 4 values" in result.output  # 3 notes, 1 addendum
    alias = runner.invoke(args=["intake", "rotate-keys"])
    assert alias.exit_code == 0 and "Re-encrypted 4 values" in alias.output


def test_notes_and_addenda_hold_no_plaintext_in_the_database(world, dbs):
    rows = [r for r in dbs.execute(text("SELECT * FROM notes")).all()]
    rows += [r for r in dbs.execute(text("SELECT * FROM note_addenda")).all()]
    dump = " ".join(str(value) for row in rows for value in row)
    for secret in (JOINT_TEXT, INDIVIDUAL_TEXT, PREVIOUS_TEXT, ADDENDUM_TEXT, "walk", "Denver", "Sunday"):
        assert secret not in dump
    assert dump.count("gAAAAA") == len(rows)  # one Fernet token per row


def test_two_requests_signing_one_draft_at_once_give_one_signature(app, world, dbs):
    note_id = world.notes["individual"]
    barrier = threading.Barrier(4)
    outcomes: list[object] = []

    def sign() -> None:
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(services.sign(db.session, world.cora, note_id)[1])
            except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                outcomes.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(repr, outcomes)) == ["False", "False", "False", "True"]
    dbs.rollback()  # end this session's own snapshot before reading what the threads did
    note = dbs.get(Note, note_id)
    assert note.is_signed and note.content_sha256 == services.note_digest(note)
    assert dbs.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "sign", AuditEvent.object_id == note_id)) == 1


def test_signing_records_signer_time_template_version_and_the_digest_of_the_plaintext(world, dbs, frozen_clock):
    note, signed_now = services.sign(dbs, world.cora, world.notes["individual"])
    assert signed_now and note.signed_by_id == world.cora.id and note.signed_at == frozen_clock.at
    assert (note.template_key, note.template_version) == ("individual", 1)
    assert note.content_sha256 == services.note_digest(note) and len(note.content_sha256) == 64
