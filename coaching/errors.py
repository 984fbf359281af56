"""Friendly error pages (and JSON errors under /api/), never a stack trace."""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import Flask, abort, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from coaching import db

log = logging.getLogger("tandem.errors")

MESSAGES = {
    400: ("Something in that request was not right", "Please go back, check the form and try again."),
    403: ("You can't open this page", "Your account does not have access to it."),
    404: ("Page not found", "The page you asked for is not here. It may have moved, or the link may be incomplete."),
    405: ("Not allowed", "This page can't be used that way."),
    409: ("That changed in the meantime", "Someone else got there first. Please reload and choose again."),
    413: ("That is too large", "Please send less text or a smaller file."),
    422: ("We could not use that", "Please check what you entered and try again."),
    429: ("Too many attempts", "Please wait a minute before trying again."),
    503: ("Tandem is busy right now", "Nothing was changed. Please try again in a minute."),
    500: ("Something went wrong on our side", "We have been told about it. Please try again in a moment."),
}


def render_error(code: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    """The error page (or ``{"error": {"code", "message"}}`` under ``/api/``) for ``code``."""
    return _render(code, detail)


def refuse(code: int, message: str) -> NoReturn:
    """Abort with ``code`` and a message written for the user, shown on the error page (other
    HTTP errors show the friendly text for their code, never a library's own description)."""
    try:
        abort(code)
    except HTTPException as exc:
        exc.user_message = message  # type: ignore[attr-defined]
        raise


def _render(code: int, detail: str | None = None):  # type: ignore[no-untyped-def]
    title, text = MESSAGES.get(code, MESSAGES[500] if code >= 500 else MESSAGES[400])
    if request.path.startswith("/api/"):
        return jsonify(error={"code": _slug(title), "message": detail or text}), code
    return render_template("error.html", code=code, title=title, text=detail or text), code


def _slug(title: str) -> str:
    return "_".join(title.lower().split()[:4]).replace("'", "")


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # type: ignore[no-untyped-def]
        return _render(400, "This form has expired or was not sent from Tandem. Please reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # type: ignore[no-untyped-def]
        if exc.code is None:
            return exc
        if exc.code >= 500:
            db.session.rollback()
        body, status = _render(exc.code, getattr(exc, "user_message", None))
        response = current_app.make_response((body, status))
        # Keep the headers the exception carries: Allow on a 405 (RFC 9110), Retry-After, ...
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(PoolTimeout)
    def _database_unavailable(exc: Exception):  # type: ignore[no-untyped-def]
        # The database is down, refused the connection, or every pooled connection is busy
        # (DB_POOL_TIMEOUT): the transaction did not happen, so say so and when to retry.
        log.error("database unavailable on %s %s: %s", request.method, request.path, type(exc).__name__)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 - the connection may be gone; the session is discarded anyway
            db.session.remove()
        response = current_app.make_response(_render(503))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        if isinstance(exc, HTTPException):
            return _http(exc)
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return _render(InternalServerError.code)
