"""Data exports: ask, build (the worker), download once, sweep, and the coach-notes release.

``EXPORT_COACH_NOTES`` says whether coach notes go into a partner's export: ``never``,
``always`` or ``on_request`` (the default: the partner may ask; the export is built without
them and an admin reviews the request, then releases the notes into a new export or
declines; both audited with ``coaching.audit.record``).
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from coaching.audit.services import record as audit_record
from coaching.db import immediate
from coaching.accounts.models import Role, User
from coaching.exports import archive, collect
from coaching.exports.models import DataExport, ExportStatus, NotesDecision
from coaching.intake import seats
from coaching.notify.outbox import queue_email
from coaching.payments.services import external

NOTES_SETTINGS = ("never", "on_request", "always")
log = logging.getLogger("tandem.exports")


class ExportError(Exception):
    """A request was refused; the message is safe to show."""


def notes_setting() -> str:
    value = current_app.config.get("EXPORT_COACH_NOTES", "on_request")
    return value if value in NOTES_SETTINGS else "on_request"


def may_ask_for_notes(user: User) -> bool:
    return user.role == Role.CLIENT and notes_setting() == "on_request"


def exports_of(db: Session, user: User, limit: int = 20) -> list[DataExport]:
    return list(db.scalars(select(DataExport).where(DataExport.user_id == user.id)
                           .order_by(DataExport.id.desc()).limit(limit)))


def _couple_id(db: Session, user: User) -> int | None:
    seat = seats.home_seat(db, user.id)
    return seat.couple_id if seat is not None else None


def request_export(db: Session, user: User, now: datetime, *, want_notes: bool = False) -> DataExport:
    """Ask for an export of ``user``'s data; the worker builds it (``build_pending`` after commit)."""
    with immediate(db):  # one pending export per person, even for two requests at once
        row = _add_request(db, user, now, want_notes)
    schedule_build(row.id)
    return row


def _add_request(db: Session, user: User, now: datetime, want_notes: bool) -> DataExport:
    # PostgreSQL: the person's row locked, so two requests at once are serialised (SQLite: the
    # write lock taken by ``immediate``).
    db.execute(select(User.id).where(User.id == user.id).with_for_update())
    if db.scalar(select(DataExport.id).where(DataExport.user_id == user.id,
                                             DataExport.status == ExportStatus.PENDING)) is not None:
        raise ExportError("Your export is already being prepared: we will email you when it is ready.")
    is_client = user.role == Role.CLIENT
    setting = notes_setting()
    row = DataExport(user_id=user.id, created_at=now,
                     with_notes=is_client and setting == "always",
                     notes_requested=is_client and setting == "on_request" and want_notes)
    db.add(row)
    db.flush()
    if row.notes_requested:
        audit_record(db, actor=user, action="export_request", couple_id=_couple_id(db, user),
                     object_type="data_export", object_id=row.id, detail="coach notes asked for")
    db.commit()
    return row


def schedule_build(export_id: int) -> None:
    """Ask the worker to build an export (never raises; ``sweep`` builds whatever was missed)."""
    from coaching.exports.tasks import build_export

    build_export(export_id)


def _render(user: User, data: dict) -> str:
    return render_template("exports/archive.html", user=user, data=data)


def build(db: Session, export_id: int, now: datetime) -> bool:
    """Build one pending export: collect, render, zip, encrypt, and email its one-time link.

    Safe to run twice at once (task and sweep): the conditional UPDATE lets one build win.
    """
    row = db.get(DataExport, export_id)
    if row is None or row.status != ExportStatus.PENDING:
        return False
    user = db.get(User, row.user_id)
    if user is None:
        return False
    data = collect.collect(db, user, now, with_notes=row.with_notes, notes_setting=notes_setting())
    payload = archive.build_zip(data=data, html=_render(user, data), made_at=now)
    token = archive.new_token()
    with immediate(db):
        return _store_built(db, row, user, export_id, token, payload, now)


def _store_built(db: Session, row: DataExport, user: User, export_id: int, token: str, payload: bytes,
                 now: datetime) -> bool:
    won = db.execute(update(DataExport).where(DataExport.id == export_id,
                                              DataExport.status == ExportStatus.PENDING)
                     .values(status=ExportStatus.READY, ready_at=now,
                             expires_at=archive.expiry(now, current_app.config["EXPORT_LINK_HOURS"]),
                             token_hash=archive.token_digest(token),
                             archive=base64.b64encode(payload).decode("ascii"),
                             archive_bytes=len(payload))
                     .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        db.rollback()
        return False
    queue_email(db, user.email, "export_ready", user=user, hours=current_app.config["EXPORT_LINK_HOURS"],
                with_notes=row.with_notes,
                link=external("exports.download", token=token))
    db.commit()
    return True


def build_pending(db: Session, now: datetime) -> int:
    ids = db.scalars(select(DataExport.id).where(DataExport.status == ExportStatus.PENDING)
                     .order_by(DataExport.id)).all()
    db.rollback()
    built = 0
    for export_id in ids:
        try:
            built += build(db, export_id, now)
        except Exception:  # noqa: BLE001 - one export that cannot be built must not stop the others
            db.rollback()
            log.exception("data export %s could not be built; the next sweep tries again", export_id)
    return built


def expire(db: Session, now: datetime) -> int:
    """Erase every archive whose link ran out (and any archive left on a used row)."""
    expired = db.execute(update(DataExport).where(DataExport.status == ExportStatus.READY,
                                                  DataExport.expires_at <= now)
                         .values(status=ExportStatus.EXPIRED, archive=None)
                         .execution_options(synchronize_session=False)).rowcount
    db.execute(update(DataExport).where(DataExport.status.in_((ExportStatus.DOWNLOADED, ExportStatus.EXPIRED)),
                                        DataExport.archive.is_not(None))
               .values(archive=None).execution_options(synchronize_session=False))
    db.commit()
    return expired


def sweep(db: Session, now: datetime) -> tuple[int, int]:
    """The periodic task: build what is pending, erase what expired. Returns (built, expired)."""
    return build_pending(db, now), expire(db, now)


def _ready_row(db: Session, user: User, token: str, now: datetime) -> DataExport:
    if not archive.plausible_token(token):
        raise NotFound()
    row = db.scalar(select(DataExport).where(DataExport.token_hash == archive.token_digest(token)))
    if (row is None or row.user_id != user.id or row.status != ExportStatus.READY
            or row.expires_at is None or row.expires_at <= now):
        raise NotFound()
    return row


def check_link(db: Session, user: User, token: str, now: datetime) -> DataExport:
    """The ready export behind a link (the owner's, unused, unexpired); NotFound otherwise."""
    return _ready_row(db, user, token, now)


@dataclass(frozen=True)
class Download:
    filename: str
    payload: bytes


def download(db: Session, user: User, token: str, now: datetime) -> Download:
    """Hand over the ZIP once: the row is marked downloaded and its archive erased in the same
    conditional UPDATE, so two requests with one link cannot both get it."""
    with immediate(db):  # SQLite: the write lock first, so racing downloads queue instead of failing
        row = _ready_row(db, user, token, now)
        stored = db.scalar(select(DataExport.archive).where(DataExport.id == row.id))
        won = db.execute(update(DataExport).where(DataExport.id == row.id, DataExport.status == ExportStatus.READY,
                                                  DataExport.expires_at > now)
                         .values(status=ExportStatus.DOWNLOADED, downloaded_at=now, archive=None)
                         .execution_options(synchronize_session=False)).rowcount
        if won != 1 or stored is None:
            raise NotFound()
        db.commit()
    return Download(f"tandem-export-{now:%Y-%m-%d}.zip", base64.b64decode(stored))


# --- coach notes on request (admins) -------------------------------------------------------------


def notes_requests(db: Session) -> list[tuple[DataExport, User]]:
    """Open requests for coach notes, oldest first."""
    return list(db.execute(select(DataExport, User).join(User, User.id == DataExport.user_id).where(
        DataExport.notes_requested.is_(True), DataExport.notes_decision.is_(None))
        .order_by(DataExport.created_at, DataExport.id)).tuples())


@dataclass(frozen=True)
class NotesReview:
    export: DataExport
    person: User
    couple_id: int | None
    notes: list  # the signed notes a release would carry (metadata only here)


def review(db: Session, export_id: int) -> NotesReview:
    row = db.get(DataExport, export_id)
    if row is None or not row.notes_requested:
        raise NotFound()
    person = db.get(User, row.user_id)
    if person is None:
        raise NotFound()
    held = seats.seats_of(db, person.id)  # an earlier couple's notes are released too
    notes = [note for seat in held for note in collect.notes_for(db, seat)]
    return NotesReview(row, person, held[0].couple_id if held else None, notes)


def decide(db: Session, admin: User, export_id: int, now: datetime, *, release: bool) -> DataExport | None:
    """Release the notes into a new export (built by the worker), or decline; audited either way.

    Returns the new export when released. A request already decided raises ``ExportError``.
    """
    with immediate(db):
        new = _decide(db, admin, export_id, now, release=release)
    if new is not None:
        schedule_build(new.id)
    return new


def _decide(db: Session, admin: User, export_id: int, now: datetime, *, release: bool) -> DataExport | None:
    info = review(db, export_id)
    decided = db.execute(update(DataExport).where(DataExport.id == export_id, DataExport.notes_decision.is_(None))
                         .values(notes_decision=NotesDecision.RELEASED if release else NotesDecision.DECLINED,
                                 notes_decided_at=now, notes_decided_by_id=admin.id)
                         .execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        db.rollback()
        raise ExportError("This request has already been decided.")
    new = None
    if release:
        new = DataExport(user_id=info.person.id, created_at=now, with_notes=True, released_from_id=export_id)
        db.add(new)
        db.flush()
    audit_record(db, actor=admin, action="export_release" if release else "export_decline",
                 couple_id=info.couple_id, object_type="data_export", object_id=export_id,
                 detail=f"{len(info.notes)} signed notes" + (f"; new export {new.id}" if new else ""))
    if not release:
        queue_email(db, info.person.email, "export_notes_declined", user=info.person)
    db.commit()
    return new
