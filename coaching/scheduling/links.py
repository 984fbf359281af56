"""Signed single-use links to reschedule or cancel a booking.

A link carries the booking's ``version``; every state change bumps the version, so a link
stops working once it (or anything else) has changed the booking.
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

PURPOSE = "tandem.booking-link"
ACTIONS = ("manage",)


class LinkInvalid(Exception):
    """The link is forged, for another booking state, or already used."""


@dataclass(frozen=True)
class BookingLink:
    booking_id: int
    version: int


def make_link_token(secret: str, booking_id: int, version: int) -> str:
    return URLSafeSerializer(secret, salt=PURPOSE).dumps({"b": booking_id, "v": version})


def read_link_token(secret: str, token: str) -> BookingLink:
    """The booking and version the token was made for; raise ``LinkInvalid`` if it is not genuine."""
    try:
        data = URLSafeSerializer(secret, salt=PURPOSE).loads(token)
    except BadSignature as exc:
        raise LinkInvalid("bad signature") from exc
    if not isinstance(data, dict) or not isinstance(data.get("b"), int) or not isinstance(data.get("v"), int):
        raise LinkInvalid("malformed")
    return BookingLink(data["b"], data["v"])
