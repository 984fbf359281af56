"""The access log: entries are appended in the caller's transaction and never change (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from coaching import db
from coaching.accounts.models import Role
from coaching.audit.models import AuditEvent
from coaching.audit.services import AuditFilter, as_csv, events, record
from tests.scheduling_data import create_user_row


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_record_stores_actor_role_couple_object_action_and_the_clocks_time(dbs, frozen_clock):
    admin = create_user_row("root@example.com", role=Role.ADMIN, name="Root")
    event = record(dbs, actor=admin, action="break_glass", couple_id=7, object_type="note", object_id=3,
                   detail="court order 12")
    dbs.commit()
    stored = dbs.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.actor_role, stored.actor_name) == (admin.id, "admin", "Root")
    assert (stored.couple_id, stored.object_type, stored.object_id) == (7, "note", 3)
    assert stored.action == "break_glass" and stored.detail == "court order 12"
    assert stored.created_at == frozen_clock.at and stored.ip is None


def test_record_joins_the_callers_transaction_and_a_rollback_takes_the_entry_away(dbs):
    record(dbs, actor=None, action="read", couple_id=1, object_type="note", object_id=1)
    dbs.rollback()
    assert count() == 0


def test_record_refuses_an_unknown_action(dbs):
    with pytest.raises(ValueError, match="unknown audit action"):
        record(dbs, actor=None, action="peek", couple_id=1, object_type="note")
    assert count() == 0


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'write'",
    "UPDATE audit_events SET detail = NULL, couple_id = 99",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_or_delete_an_access_log_entry(dbs, statement):
    record(dbs, actor=None, action="read", couple_id=1, object_type="note", object_id=1, detail="x")
    dbs.commit()
    with pytest.raises(IntegrityError, match="append-only"):
        dbs.execute(text(statement))
        dbs.commit()
    dbs.rollback()
    stored = dbs.scalars(select(AuditEvent)).one()
    assert (stored.action, stored.couple_id, stored.detail) == ("read", 1, "x")


def test_the_orm_cannot_change_an_entry_either(dbs):
    event = record(dbs, actor=None, action="read", couple_id=1, object_type="note")
    dbs.commit()
    event.action = "sign"
    with pytest.raises(IntegrityError):
        dbs.commit()
    dbs.rollback()
    assert dbs.scalar(select(AuditEvent.action)) == "read"


def test_events_filter_by_couple_actor_action_and_dates(dbs, frozen_clock):
    coach = create_user_row("c@example.com", role=Role.COACH)
    record(dbs, actor=coach, action="read", couple_id=1, object_type="note")
    frozen_clock.advance(days=2)
    record(dbs, actor=None, action="search", couple_id=2, object_type="notes")
    dbs.commit()
    assert [e.action for e in events(dbs, AuditFilter(couple_id=1))] == ["read"]
    assert [e.action for e in events(dbs, AuditFilter(actor_id=coach.id))] == ["read"]
    assert [e.action for e in events(dbs, AuditFilter(action="search"))] == ["search"]
    assert [e.action for e in events(dbs, AuditFilter(since=frozen_clock.at))] == ["search"]
    assert [e.action for e in events(dbs, AuditFilter(until=frozen_clock.at))] == ["read"]
    assert [e.action for e in events(dbs, AuditFilter(), couple_ids=[2])] == ["search"]


def test_the_csv_export_neutralises_cells_that_a_spreadsheet_would_run(dbs):
    record(dbs, actor=None, action="break_glass", couple_id=1, object_type="note", detail="=HYPERLINK(1)")
    dbs.commit()
    csv_text = as_csv(events(dbs, AuditFilter()))
    assert csv_text.splitlines()[0].startswith("id,created_at,actor_id")
    assert "'=HYPERLINK(1)" in csv_text
