"""The admin's access-log page (filters: couple, actor, action, dates) and its CSV export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Blueprint, Response, render_template, request

from coaching import db
from coaching.accounts.models import Role
from coaching.audit.models import ACTIONS
from coaching.audit.services import AuditFilter, as_csv, events
from coaching.security import role_required

bp = Blueprint("audit", __name__)
PAGE_ROWS = 500


def _int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) < 10 else None


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _filter() -> tuple[AuditFilter, list[str]]:
    """The filter from the query string, and a message per value that was ignored."""
    problems = []
    for name in ("couple", "actor"):
        if request.args.get(name, "").strip() and _int(name) is None:
            problems.append(f"'{name}' must be a number; ignored.")
    for name in ("since", "until"):
        if request.args.get(name, "").strip() and _day(name) is None:
            problems.append(f"'{name}' must be a date like 2026-11-30; ignored.")
    action = request.args.get("action", "").strip()
    if action and action not in ACTIONS:
        problems.append("Unknown action; ignored.")
        action = ""
    since, until = _day("since"), _day("until")
    return AuditFilter(
        couple_id=_int("couple"), actor_id=_int("actor"), action=action or None,
        since=datetime.combine(since, time(), tzinfo=UTC) if since else None,
        until=datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC) if until else None,
    ), problems


@bp.get("/admin/access-log")
@role_required(Role.ADMIN)
def access_log():
    flt, problems = _filter()
    rows = events(db.session, flt, limit=PAGE_ROWS)
    return render_template("audit/admin_log.html", rows=rows, flt=flt, problems=problems, actions=ACTIONS,
                           args=request.args, page_rows=PAGE_ROWS)


@bp.get("/admin/access-log.csv")
@role_required(Role.ADMIN)
def access_log_csv():
    flt, _problems = _filter()
    body = as_csv(events(db.session, flt, limit=None))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="tandem-access-log.csv"'})
