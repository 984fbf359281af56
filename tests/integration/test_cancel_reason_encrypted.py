"""A cancellation's reason is free text a person wrote: it is stored only as a Fernet token,
both when written now and for rows written before (migration 0011), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import text

from coaching import crypto, db
from coaching.config import TEST_DATA_KEY
from coaching.db import make_engine
from coaching.scheduling.models import Booking
from coaching.scheduling.services import cancel_booking
from tests.integration.test_migrations import config_for, empty_database_url  # noqa: F401 (fixture)
from tests.payment_data import SLOT, emails, fresh, place, world_fixture  # noqa: F401 (fixtures)

REASON = "We separated last week and will not come back"


def raw_reason(booking_id: int) -> str | None:
    db.session.commit()
    return db.session.execute(text("SELECT cancel_reason FROM bookings WHERE id = :id"),
                              {"id": booking_id}).scalar_one()


def test_a_cancel_reason_is_stored_encrypted_and_read_back_in_clear(world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    from coaching.payments import services

    services.start_checkout(db.session, booking, world.partner_a, frozen_clock())  # manual: confirmed now
    cancel_booking(db.session, fresh(booking), now=frozen_clock(), by_user=world.partner_a, reason=REASON)

    stored = raw_reason(booking.id)
    assert stored is not None and REASON not in stored and "separated" not in stored
    assert Fernet(TEST_DATA_KEY).decrypt(stored.encode()).decode() == REASON
    assert fresh(booking).cancel_reason == REASON
    [notice] = emails("booking_cancelled", "ben@example.com")
    assert REASON in notice.text_body


def test_a_hold_cancelled_without_a_reason_stores_null(world, frozen_clock):
    booking = place(world, world.partner_a, frozen_clock())
    cancel_booking(db.session, booking, now=frozen_clock(), by_user=world.partner_a, reason="  ")
    assert raw_reason(booking.id) is None


# --- the migration ---------------------------------------------------------------------------


def _insert_old_rows(url: str) -> None:
    """Rows as they were at 0007: a coach, a booking cancelled in plaintext, a payment and a
    rescheduled booking pointing at it (links that must survive the column change)."""
    engine = make_engine(url)
    pg = engine.dialect.name == "postgresql"
    at = datetime(2026, 11, 2, 15, 0, tzinfo=UTC) if pg else datetime(2026, 11, 2, 15, 0)
    later = datetime(2026, 11, 5, 15, 0, tzinfo=UTC) if pg else datetime(2026, 11, 5, 15, 0)
    end = datetime(2026, 11, 5, 16, 0, tzinfo=UTC) if pg else datetime(2026, 11, 5, 16, 0)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, email, name, password_hash, role, timezone, session_token, is_active, "
            "created_at) VALUES (1, 'c@example.com', 'C', 'x', 'coach', 'UTC', 'tok', true, :at)"), {"at": at})
        conn.execute(text(
            "INSERT INTO coach_profiles (id, user_id, timezone, bio, languages, specialties, approaches, formats, "
            "lgbtq_affirming, faith_based, safety_trained, accepting_new, max_active_couples, created_at, "
            "updated_at) VALUES (1, 1, 'UTC', '', '[]', '[]', '[]', '[]', false, false, false, true, 5, :at, :at)"),
            {"at": at})
        for booking_id, status, reason, replaces in ((1, "cancelled", REASON, None),
                                                     (2, "cancelled", "rescheduled", None),
                                                     (3, "confirmed", None, 2)):
            conn.execute(text(
                "INSERT INTO bookings (id, coach_id, starts_at, ends_at, status, cancel_reason, replaces_id, "
                "ical_uid, ical_sequence, version, created_at) "
                "VALUES (:id, 1, :s, :e, :status, :reason, :replaces, :uid, 0, 1, :at)"),
                {"id": booking_id, "s": later, "e": end, "status": status, "reason": reason, "replaces": replaces,
                 "uid": f"uid-{booking_id}", "at": at})
        conn.execute(text(
            "INSERT INTO payments (id, purpose, booking_id, provider, status, amount_cents, refunded_cents, "
            "currency, description, unplaced, created_at, updated_at) "
            "VALUES (1, 'booking', 1, 'manual', 'paid', 15000, 0, 'usd', 'S', false, :at, :at)"), {"at": at})
    engine.dispose()


def _read(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def test_the_migration_encrypts_existing_reasons_with_the_configured_keys_and_the_downgrade_decrypts_them(
        empty_database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    new_key = Fernet.generate_key().decode()
    monkeypatch.setenv("TANDEM_DATA_KEYS", f"{new_key},{TEST_DATA_KEY}")
    cfg = config_for(empty_database_url)
    command.upgrade(cfg, "0007_merge_features")
    _insert_old_rows(empty_database_url)

    command.upgrade(cfg, "0011_holds_refunds")

    rows = dict(_read(empty_database_url, "SELECT id, cancel_reason FROM bookings ORDER BY id"))
    assert rows[3] is None
    for booking_id, clear in ((1, REASON), (2, "rescheduled")):
        assert clear not in rows[booking_id]
        assert Fernet(new_key).decrypt(rows[booking_id].encode()).decode() == clear  # the newest key
    assert _read(empty_database_url, "SELECT booking_id FROM payments") == [(1,)]
    assert _read(empty_database_url, "SELECT replaces_id FROM bookings WHERE id = 3") == [(2,)]
    if empty_database_url.startswith("sqlite"):
        triggers = {r[0] for r in _read(empty_database_url,
                                        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
        assert {"tr_bookings_no_overlap_insert", "tr_bookings_no_overlap_update"} <= triggers

    command.downgrade(cfg, "0007_merge_features")

    assert _read(empty_database_url, "SELECT id, cancel_reason FROM bookings ORDER BY id") == [
        (1, REASON), (2, "rescheduled"), (3, None)]
    assert _read(empty_database_url, "SELECT booking_id FROM payments") == [(1,)]


def test_the_app_reads_reasons_the_migration_encrypted(empty_database_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TANDEM_DATA_KEYS", TEST_DATA_KEY)
    cfg = config_for(empty_database_url)
    command.upgrade(cfg, "0007_merge_features")
    _insert_old_rows(empty_database_url)
    command.upgrade(cfg, "heads")

    from coaching import create_app
    from coaching.config import TestConfig

    app = create_app(TestConfig(DATABASE_URL=empty_database_url, RATELIMIT_ENABLED=False))
    with app.app_context():
        assert db.session.get(Booking, 1).cancel_reason == REASON
        assert crypto.decrypt(_read(empty_database_url, "SELECT cancel_reason FROM bookings WHERE id = 1")[0][0]) \
            == REASON
    db.session.remove()
    db.get_engine().dispose()
