"""The series part of the JSON API: ``/api/v1/series`` (described in ``coaching/api/openapi.json``).

Same authentication, CSRF rule, error shape and hold-attempt budget as ``POST /api/v1/bookings``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user

from coaching import clock, db
from coaching.api.views import (DATE_RANGE, _csrf_unless_bearer, _is_database_id, _is_slug, _refused,
                                _slot_json, _unauthenticated, api_error, booking_json)
from coaching.extensions import csrf
from coaching.scheduling import services as sched
from coaching.scheduling.rate_limits import limit_hold_creation
from coaching.series import plan, services
from coaching.series.models import BookingSeries
from coaching.validation import DateOutOfRange, parse_instant

bp = Blueprint("series_api", __name__, url_prefix="/api/v1/series")
csrf.exempt(bp)
bp.before_request(_csrf_unless_bearer)

FIELDS = frozenset({"coach_id", "session_type", "interval", "start", "count", "starts"})
INTERVALS = {"weekly": 1, "fortnightly": 2}
WEEKS_NAME = {1: "weekly", 2: "fortnightly"}


def series_json(series: BookingSeries, zone: str) -> dict[str, object]:
    return {"id": series.id, "interval": WEEKS_NAME[series.interval_weeks], "coach_id": series.coach_id,
            "occurrences": [booking_json(b, zone) for b in services.occurrences_of(db.session, series.id)]}


def _instant(raw: object, name: str):  # type: ignore[no-untyped-def]
    """(datetime, None) or (None, error response)."""
    try:
        value = parse_instant(raw) if isinstance(raw, str) else None
    except DateOutOfRange:
        return None, api_error(422, "invalid_datetime", f"{name} must be a date-time {DATE_RANGE}.", name)
    except ValueError:
        value = None
    if value is None:
        return None, api_error(422, "invalid_datetime", f"{name} must be an ISO 8601 date-time with an offset.", name)
    return value, None


def _clash_json(exc: services.SeriesClash, zone: str) -> list[dict[str, Any]]:
    return [{"position": c.position, "date": c.local_date, "reason": c.reason,
             "start": _slot_json((c.start, c.start), zone)["start"] if c.start else None,
             "alternatives": [_slot_json(s, zone) for s in c.alternatives]} for c in exc.clashes]


@bp.post("")
@limit_hold_creation
def create_series():
    if not current_user.is_authenticated:
        return _unauthenticated()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "Send a JSON object with coach_id, session_type, interval and "
                         "start with count (or starts).")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        return api_error(422, "invalid_field", f"Unknown field {unknown[0]!r}.", unknown[0])
    coach_id, slug, interval = data.get("coach_id"), data.get("session_type"), data.get("interval")
    if not _is_database_id(coach_id):
        return api_error(422, "invalid_field", "coach_id must be a coach's id (a positive integer).", "coach_id")
    if not _is_slug(slug):
        return api_error(422, "invalid_field", "session_type must be a session type's slug.", "session_type")
    if not isinstance(interval, str) or interval not in INTERVALS:
        return api_error(422, "invalid_field", "interval must be weekly or fortnightly.", "interval")
    zone = current_user.timezone or "UTC"
    weeks = INTERVALS[interval]
    has_start, has_starts = "start" in data or "count" in data, "starts" in data
    if has_start == has_starts:
        return api_error(422, "invalid_field", "Send start with count, or starts (a list), not both.", "starts")
    try:
        if has_starts:
            raw = data["starts"]
            if not isinstance(raw, list) or not 1 <= len(raw) <= plan.MAX_COUNT:
                return api_error(422, "invalid_field", f"starts must list 1 to {plan.MAX_COUNT} date-times.", "starts")
            starts = []
            for item in raw:
                value, error = _instant(item, "starts")
                if error is not None:
                    return error
                starts.append(value)
            occurrences = services.explicit_occurrences(starts, zone)
            requested = len(occurrences)
        else:
            count = data.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not plan.MIN_COUNT <= count <= plan.MAX_COUNT:
                return api_error(422, "invalid_field", f"count must be an integer from {plan.MIN_COUNT} to "
                                 f"{plan.MAX_COUNT}.", "count")
            first, error = _instant(data.get("start"), "start")
            if error is not None:
                return error
            weeks, occurrences = services.requested_occurrences(first, zone, weeks, count)
            requested = count
        series = services.hold_series(db.session, user=current_user, coach_id=coach_id, session_type_slug=slug,
                                      occurrences=occurrences, weeks=weeks, zone=zone, now=clock.now(),
                                      requested=requested)
    except services.SeriesClash as exc:
        return api_error(409, exc.code, str(exc), clashes=_clash_json(exc, zone))
    except sched.SchedulingError as exc:
        return _refused(exc, zone)
    body: dict[str, object] = {"series": series_json(series, zone)}
    if any(b["status"] == "held" for b in body["series"]["occurrences"]):  # type: ignore[index]
        body["series_url"] = current_app.config["TANDEM_BASE_URL"] + url_for("series.show", series_id=series.id)
    return jsonify(body), 201


@bp.get("/<int:series_id>")
def get_series(series_id: int):
    if not current_user.is_authenticated:
        return _unauthenticated()
    zone = current_user.timezone or "UTC"
    try:
        series = services.visible_series(db.session, current_user, series_id)
    except sched.SchedulingError as exc:
        return _refused(exc, zone)
    return jsonify(series=series_json(series, zone))


@bp.post("/<int:series_id>/cancel")
def cancel_series(series_id: int):
    if not current_user.is_authenticated:
        return _unauthenticated()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return api_error(400, "invalid_json", "Send a JSON object with booking_id and scope.")
    unknown = sorted(set(data) - {"booking_id", "scope", "reason"})
    if unknown:
        return api_error(422, "invalid_field", f"Unknown field {unknown[0]!r}.", unknown[0])
    booking_id, scope, reason = data.get("booking_id"), data.get("scope"), data.get("reason", "")
    if not _is_database_id(booking_id):
        return api_error(422, "invalid_field", "booking_id must be one of the series' bookings.", "booking_id")
    if scope not in services.SCOPES:
        return api_error(422, "invalid_field", "scope must be one or later.", "scope")
    if not isinstance(reason, str) or len(reason) > 500:
        return api_error(422, "invalid_field", "reason must be text of at most 500 characters.", "reason")
    zone = current_user.timezone or "UTC"
    try:
        series = services.visible_series(db.session, current_user, series_id)
        by_coach = series.coach_id == getattr(sched.coach_of_user(db.session, current_user.id), "id", None)
        services.cancel_occurrences(db.session, series, booking_id, scope, now=clock.now(), by_user=current_user,
                                    by_coach=by_coach, reason=reason)
    except sched.SchedulingError as exc:
        return _refused(exc, zone)
    return jsonify(series=series_json(series, zone))
