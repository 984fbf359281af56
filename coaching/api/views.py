"""The JSON API, ``/api/v1``: browser session (with ``X-CSRFToken``) or ``Authorization: Bearer``."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from coaching.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _csrf_unless_bearer():
    """Cookie-authenticated writes need the CSRF header; bearer tokens carry no ambient authority."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    _ = current_user.is_authenticated  # runs the bearer-token loader if a token was sent
    if g.get("api_token_auth"):
        return None
    csrf.protect()
    return None


def api_error(status: int, code: str, message: str, field: str | None = None):  # type: ignore[no-untyped-def]
    """The API's one error shape: ``{"error": {"code", "message", "field"?}}``."""
    body: dict[str, object] = {"code": code, "message": message}
    if field is not None:
        body["field"] = field
    return jsonify(error=body), status
