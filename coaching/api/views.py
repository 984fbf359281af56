"""The JSON API, ``/api/v1``: browser session (with ``X-CSRFToken``) or ``Authorization: Bearer``."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_login import current_user
from werkzeug.routing import BuildError

from coaching import clock, db
from coaching.coaches.catalog import SLUG_RE
from coaching.extensions import csrf
from coaching.scheduling import services, slot_cache
from coaching.scheduling.models import Booking, BookingStatus, SessionType
from coaching.scheduling.rate_limits import limit_hold_creation
from coaching.timezones import is_valid_zone
from coaching.validation import EARLIEST_DATE, LATEST_DATE, MAX_DATABASE_ID, DateOutOfRange, parse_date, parse_instant

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_RANGE_DAYS = 92
OPENAPI = Path(__file__).with_name("openapi.json")


@bp.before_request
def _csrf_unless_bearer():
    """Cookie-authenticated writes need the CSRF header; bearer tokens carry no ambient authority."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if not current_user.is_authenticated:  # runs the bearer-token loader; anonymous gets a 401 below
        return None
    if g.get("api_token_auth"):
        return None
    csrf.protect()
    return None


def api_error(status: int, code: str, message: str, field: str | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    """The API's one error shape: ``{"error": {"code", "message", "field"?, ...}}``."""
    body: dict[str, object] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return jsonify(error=body), status


def _iso(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat()


def _slot_json(slot: tuple[datetime, datetime], zone: str) -> dict[str, str]:
    return {"start": _iso(slot[0], zone), "end": _iso(slot[1], zone)}


def booking_json(booking: Booking, zone: str) -> dict[str, object]:
    session_type = db.session.get(SessionType, booking.session_type_id) if booking.session_type_id else None
    return {"id": booking.id, "status": str(booking.status), "start": _iso(booking.starts_at, zone),
            "end": _iso(booking.ends_at, zone), "coach_id": booking.coach_id,
            "session_type": session_type.slug if session_type else None}


def _refused(exc: services.SchedulingError, zone: str):  # type: ignore[no-untyped-def]
    extra: dict[str, object] = {}
    if isinstance(exc, services.SlotTaken):
        extra["next_slots"] = [_slot_json(s, zone) for s in exc.next_slots]
    return api_error(exc.status, exc.code, str(exc), **extra)


# --- slots -----------------------------------------------------------------------------------


DATE_RANGE = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def _date_param(name: str) -> date | tuple[Any, int]:
    raw = request.args.get(name)
    if not raw:
        return api_error(400, "missing_parameter", f"{name} is required (YYYY-MM-DD).", name)
    try:
        return parse_date(raw)
    except DateOutOfRange:
        return api_error(422, "date_out_of_range", f"{name} must be a date {DATE_RANGE}.", name)
    except ValueError:
        return api_error(400, "invalid_date", f"{name} must be a date like 2026-06-01.", name)


def _is_slug(value: object) -> bool:
    return isinstance(value, str) and SLUG_RE.match(value) is not None


def _is_database_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DATABASE_ID


@bp.get("/coaches/<int:coach_id>/slots")
def slots(coach_id: int):
    slug = request.args.get("session_type", "")
    if not slug.strip():
        return api_error(400, "missing_parameter", "session_type is required.", "session_type")
    if not _is_slug(slug):
        return api_error(400, "invalid_parameter", "session_type must be a session type's slug "
                         "(lowercase letters, digits and dashes).", "session_type")
    zone = request.args.get("tz", "UTC")
    if not is_valid_zone(zone):
        return api_error(422, "invalid_timezone", "tz must be an IANA time zone such as Europe/London.", "tz")
    first, last = _date_param("start"), _date_param("end")
    if not isinstance(first, date):
        return first
    if not isinstance(last, date):
        return last
    if last < first:
        return api_error(422, "invalid_range", "end must not be before start.", "end")
    if (last - first).days > MAX_RANGE_DAYS:
        return api_error(422, "range_too_long", f"start and end may be at most {MAX_RANGE_DAYS} days apart.", "end")
    ttl = float(current_app.config["SLOTS_CACHE_SECONDS"])
    gens = slot_cache.generations(coach_id)  # before any row is read (see slot_cache)
    key = (coach_id, slug, first.isoformat(), last.isoformat(), zone, gens)
    if gens is not None:
        cached = slot_cache.get(key, ttl)
        if cached is not None:
            return current_app.response_class(cached, mimetype="application/json")
    found = services.public_slots(db.session, coach_id, slug, first, last, zone, clock.now(), gens)
    if found is None:
        return api_error(404, "not_found", "No such coach or session type.")
    tz = ZoneInfo(zone)
    response = jsonify(coach_id=coach_id, session_type=slug, timezone=zone,
                       slots=[{"start": s.astimezone(tz).isoformat(), "end": e.astimezone(tz).isoformat()}
                              for s, e in found])
    if gens is not None:
        slot_cache.put(key, response.get_data(), ttl)
    return response


# --- bookings --------------------------------------------------------------------------------


def _unauthenticated():  # type: ignore[no-untyped-def]
    return api_error(401, "unauthenticated", "Log in or send Authorization: Bearer <token>.")


def _checkout_url(booking: Booking) -> str | None:
    try:
        return current_app.config["TANDEM_BASE_URL"] + url_for("payments.checkout", booking_id=booking.id)
    except BuildError:
        return None


NEW_BOOKING_FIELDS = frozenset({"coach_id", "session_type", "start"})


@bp.post("/bookings")
@limit_hold_creation
def create_booking():
    if not current_user.is_authenticated:
        return _unauthenticated()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "Send a JSON object with coach_id, session_type and start.")
    unknown = sorted(set(data) - NEW_BOOKING_FIELDS)
    if unknown:
        return api_error(422, "invalid_field", f"Unknown field {unknown[0]!r}: send only coach_id, session_type "
                         "and start.", unknown[0])
    coach_id, slug, raw_start = data.get("coach_id"), data.get("session_type"), data.get("start")
    if not _is_database_id(coach_id):
        return api_error(422, "invalid_field", "coach_id must be a coach's id (a positive integer).", "coach_id")
    if not _is_slug(slug):
        return api_error(422, "invalid_field", "session_type must be a session type's slug.", "session_type")
    try:
        start = parse_instant(raw_start) if isinstance(raw_start, str) else None
    except DateOutOfRange:
        return api_error(422, "invalid_datetime", f"start must be a date-time {DATE_RANGE}.", "start")
    except ValueError:
        start = None
    if start is None:
        return api_error(422, "invalid_datetime", "start must be an ISO 8601 date-time with an offset.", "start")
    zone = current_user.timezone or "UTC"
    try:
        booking = services.place_hold(db.session, user=current_user, coach_id=coach_id,
                                      session_type_slug=slug, start=start, now=clock.now())
    except services.SchedulingError as exc:
        return _refused(exc, zone)
    body: dict[str, object] = {"booking": booking_json(booking, zone)}
    if booking.status == BookingStatus.HELD:
        checkout = _checkout_url(booking)
        if checkout:
            body["checkout_url"] = checkout
    return jsonify(body), 201


@bp.post("/bookings/<int:booking_id>/cancel")
def cancel_booking(booking_id: int):
    if not current_user.is_authenticated:
        return _unauthenticated()
    data = request.get_json(silent=True) if request.data else {}
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "Send a JSON object (optionally with a reason).")
    unknown = sorted(set(data) - {"reason"})
    if unknown:
        return api_error(422, "invalid_field", f"Unknown field {unknown[0]!r}: send only reason.", unknown[0])
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        return api_error(422, "invalid_field", "reason must be text of at most 500 characters.", "reason")
    zone = current_user.timezone or "UTC"
    try:
        booking = services.visible_booking(db.session, current_user, booking_id)
        by_coach = booking.coach_id == getattr(services.coach_of_user(db.session, current_user.id), "id", None)
        booking = services.cancel_booking(db.session, booking, now=clock.now(), by_user=current_user,
                                          by_coach=by_coach, reason=reason)
    except services.SchedulingError as exc:
        return _refused(exc, zone)
    return jsonify(booking=booking_json(booking, zone))


@bp.get("/openapi.json")
def openapi():
    return current_app.response_class(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


def openapi_document() -> dict[str, Any]:
    return json.loads(OPENAPI.read_text(encoding="utf-8"))
