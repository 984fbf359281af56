"""Data exports on both databases: built once, downloaded once (racing requests), stored
encrypted and covered by key rotation, erased by the sweep."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import func, select, text
from werkzeug.exceptions import NotFound

from coaching import crypto, db
from coaching.exports import archive, services
from coaching.exports.models import DataExport, ExportStatus
from coaching.notify.models import OutboxMessage
from tests.export_data import ALEX, SAM, build_world, unzip
from tests.scheduling_data import user_by_email


def _ready_export(app: Any, now: Any, email: str = SAM) -> tuple[int, str]:
    """Ask for an export with the queue "down", build it by hand; (export id, link token)."""
    tokens: list[str] = []
    real = archive.new_token
    services_schedule = services.schedule_build
    services.schedule_build = lambda export_id: None
    archive.new_token = lambda: tokens.append(real()) or tokens[-1]
    try:
        with app.app_context():
            row = services.request_export(db.session, user_by_email(email), now)
            assert services.build(db.session, row.id, now) is True
            assert services.build(db.session, row.id, now) is False  # the second build changes nothing
            return row.id, tokens[0]
    finally:
        archive.new_token = real
        services.schedule_build = services_schedule


def test_one_link_two_racing_downloads_one_file(app, frozen_clock):
    with app.app_context():
        build_world()
    export_id, token = _ready_export(app, frozen_clock.at)
    results: list[Any] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        with app.app_context():
            barrier.wait()
            try:
                results.append(services.download(db.session, user_by_email(SAM), token, frozen_clock.at).payload)
            except NotFound:
                results.append(None)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    files = [r for r in results if r is not None]
    assert len(results) == 4 and len(files) == 1
    assert "AMARK-private-answer" in "".join(unzip(files[0]).values())
    with app.app_context():
        row = db.session.get(DataExport, export_id)
        assert row.status == ExportStatus.DOWNLOADED
        assert db.session.scalar(text("SELECT archive FROM data_exports")) is None
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.kind == "export_ready")) == 1


def test_the_archive_is_encrypted_at_rest_and_key_rotation_covers_it(app, frozen_clock):
    with app.app_context():
        build_world()
    _, token = _ready_export(app, frozen_clock.at, ALEX)
    with app.app_context():
        stored = db.session.scalar(text("SELECT archive FROM data_exports"))
        assert stored.startswith("gAAAAA") and "BMARK" not in stored and token not in stored
        new_key = Fernet.generate_key().decode()
        app.config["DATA_KEYS"] = new_key + "," + app.config["DATA_KEYS"]
        assert crypto.rotate_all(db.session) > 0
        rotated = db.session.scalar(text("SELECT archive FROM data_exports"))
        assert rotated != stored and crypto.decrypt(rotated, new_key)  # readable with the new key alone
        got = services.download(db.session, user_by_email(ALEX), token, frozen_clock.at)
        assert "BMARK-screen-answer" in "".join(unzip(got.payload).values())


def test_the_sweep_erases_expired_archives_and_leaves_young_ones(app, frozen_clock):
    with app.app_context():
        build_world()
    old_id, _ = _ready_export(app, frozen_clock.at, SAM)
    frozen_clock.advance(hours=2)
    young_id, _ = _ready_export(app, frozen_clock.at, ALEX)
    frozen_clock.advance(hours=22)
    with app.app_context():
        assert services.sweep(db.session, frozen_clock.at) == (0, 1)
        rows = {r.id: r for r in db.session.scalars(select(DataExport))}
        assert rows[old_id].status == ExportStatus.EXPIRED and rows[young_id].status == ExportStatus.READY
        archives = dict(db.session.execute(text("SELECT id, archive FROM data_exports")).all())
        assert archives[old_id] is None and archives[young_id] is not None
        assert services.sweep(db.session, frozen_clock.at + timedelta(hours=2)) == (0, 1)
