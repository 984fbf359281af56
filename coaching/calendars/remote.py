"""The CalDAV side, through the ``caldav`` library (the only module that imports it).

Each call opens its own client with a timeout; errors become ``RemoteError`` with a message
safe to show the coach (never the password or the server's answer body).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

import caldav
from caldav.lib import error as dav_error
from requests.auth import HTTPBasicAuth


class RemoteError(Exception):
    """The calendar server could not be used; the message is safe to show the coach."""


@dataclass(frozen=True)
class Account:
    url: str
    username: str
    password: str
    calendar_url: str | None = None
    timeout: float = 15.0


def _explain(exc: Exception) -> RemoteError:
    if isinstance(exc, dav_error.AuthorizationError):
        return RemoteError("The calendar server refused the user name or app password.")
    if isinstance(exc, dav_error.NotFoundError):
        return RemoteError("The calendar server has no calendar at that address.")
    if isinstance(exc, dav_error.DAVError):
        return RemoteError(f"The calendar server refused the request ({type(exc).__name__}).")
    return RemoteError(f"The calendar server could not be reached ({type(exc).__name__}).")


def _client(account: Account) -> Any:
    # HTTP Basic sent up front (what app passwords use): no probing round trip per request.
    return caldav.DAVClient(url=account.url, auth=HTTPBasicAuth(account.username, account.password),
                            timeout=int(max(1, account.timeout)))


def _same(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def open_calendar(account: Account) -> tuple[Any, str]:
    """The calendar to use and its URL: the one at ``calendar_url`` once known; else the
    address the coach gave if it is one of their calendars, or else their first calendar."""
    try:
        client = _client(account)
        if account.calendar_url:
            return client.calendar(url=account.calendar_url), account.calendar_url
        calendars = client.principal().calendars()
    except Exception as exc:  # noqa: BLE001 - any library or network failure
        raise _explain(exc) from exc
    if not calendars:
        raise RemoteError("The calendar server lists no calendar for this user.")
    chosen = next((c for c in calendars if _same(str(c.url), account.url)), calendars[0])
    return chosen, str(chosen.url)


def read_events(calendar: Any, start: datetime, end: datetime) -> list[str]:
    """The iCalendar text of every event overlapping ``[start, end)`` (recurrences unexpanded)."""
    try:
        return [str(obj.data) for obj in calendar.search(start=start, end=end, event=True)]
    except Exception as exc:  # noqa: BLE001
        raise _explain(exc) from exc


def _put(calendar: Any, url: str, ics: str) -> None:
    """PUT the event text as it is (the library's save would bump SEQUENCE again)."""
    response = calendar.client.put(url, ics, {"Content-Type": 'text/calendar; charset="utf-8"'})
    if response.status not in (200, 201, 204):
        raise dav_error.PutError(str(response.status))


def put_event(calendar: Any, uid: str, ics: str) -> None:
    """Create or replace the event with ``uid`` (found by its UID wherever it is stored; a new
    one is stored at ``<calendar>/<uid>.ics``), with the SEQUENCE Tandem gave it."""
    try:
        try:
            existing = calendar.event_by_uid(uid)
        except dav_error.NotFoundError:
            existing = None
        if existing is not None:
            _put(calendar, str(existing.url), ics)
        else:
            _put(calendar, str(calendar.url).rstrip("/") + "/" + quote(uid, safe="") + ".ics", ics)
    except Exception as exc:  # noqa: BLE001
        raise _explain(exc) from exc


def delete_event(calendar: Any, uid: str) -> None:
    """Delete the event with ``uid``; nothing if it is not there."""
    try:
        try:
            existing = calendar.event_by_uid(uid)
        except dav_error.NotFoundError:
            return
        existing.delete()
    except dav_error.NotFoundError:
        return
    except Exception as exc:  # noqa: BLE001
        raise _explain(exc) from exc
