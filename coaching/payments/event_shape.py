"""The shape a Stripe event must have before Tandem applies it.

A correctly signed body is still only bytes someone chose: ``check_event`` says whether a
decoded event has the fields the handlers read, each of the type (and within the size)
they and the database can take. Fields Tandem does not read are not looked at.
"""

from __future__ import annotations

import re
from typing import Any

__pure__ = True

#: Largest value an ``int`` column holds on PostgreSQL (amounts are stored in such columns).
MAX_INT = 2**31 - 1
#: Our own row ids, as metadata carries them: plain ASCII digits that fit an ``int`` column.
_ROW_ID = re.compile(r"[0-9]{1,9}")

SESSION_EVENTS = frozenset({"checkout.session.completed", "checkout.session.async_payment_succeeded",
                            "checkout.session.async_payment_failed", "checkout.session.expired"})
CHARGE_EVENTS = frozenset({"charge.refunded"})


class MalformedEvent(ValueError):
    """The event lacks a field Tandem reads, or has one of the wrong type or size."""


def check_event(event: Any) -> None:
    """Return if ``event`` can be applied; raise ``MalformedEvent`` (naming the field) if not.

    Every event needs a string ``id`` and ``type`` and an object ``data.object``; events of
    the types Tandem handles need the fields their handler reads. Other types are accepted
    (and recorded as ignored).
    """
    if not isinstance(event, dict):
        raise MalformedEvent("the event is not a JSON object")
    _text(event, "id", required=True, limit=255, path="")
    _text(event, "type", required=True, limit=255, path="")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("data.object is not an object")
    obj = data["object"]
    if event["type"] in SESSION_EVENTS:
        _check_session(obj)
    elif event["type"] in CHARGE_EVENTS:
        _check_charge(obj)
    elif "id" in obj and obj["id"] is not None:
        _text(obj, "id", limit=255, path="data.object.")


def _check_session(session: dict[str, Any]) -> None:
    path = "data.object."
    _text(session, "id", required=True, limit=255, path=path)
    _text(session, "payment_status", limit=40, path=path)
    _text(session, "payment_intent", limit=255, path=path)
    _text(session, "currency", limit=3, path=path)
    _amount(session, "amount_total", path)
    metadata = _object(session, "metadata", path)
    for key in ("booking_id", "purchase_id"):
        value = metadata.get(key)
        if value is not None and not (isinstance(value, str) and _ROW_ID.fullmatch(value)):
            raise MalformedEvent(f"{path}metadata.{key} is not an id")
    _text(metadata, "kind", limit=40, path=f"{path}metadata.")


def _check_charge(charge: dict[str, Any]) -> None:
    path = "data.object."
    _text(charge, "id", limit=255, path=path)
    _text(charge, "payment_intent", limit=255, path=path)
    _amount(charge, "amount_refunded", path)
    refunds = _object(charge, "refunds", path)
    listed = refunds.get("data")
    if listed is None:
        return
    if not isinstance(listed, list):
        raise MalformedEvent(f"{path}refunds.data is not a list")
    for i, item in enumerate(listed):
        where = f"{path}refunds.data[{i}]."
        if not isinstance(item, dict):
            raise MalformedEvent(f"{where[:-1]} is not an object")
        _text(item, "id", required=True, limit=255, path=where)
        _amount(item, "amount", where)
        ours = _object(item, "metadata", where).get("tandem_refund_id")
        if ours is not None and not (isinstance(ours, str) and _ROW_ID.fullmatch(ours)):
            raise MalformedEvent(f"{where}metadata.tandem_refund_id is not an id")


def _text(obj: dict[str, Any], key: str, *, limit: int, path: str, required: bool = False) -> None:
    value = obj.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise MalformedEvent(f"{path}{key} is not a string of 1 to {limit} characters")


def _amount(obj: dict[str, Any], key: str, path: str) -> None:
    value = obj.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise MalformedEvent(f"{path}{key} is not an amount")


def _object(obj: dict[str, Any], key: str, path: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"{path}{key} is not an object")
    return value
