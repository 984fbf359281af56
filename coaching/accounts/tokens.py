"""Signed, expiring tokens for email links (verify, reset) bound to the account's state.

A reset token carries a fingerprint of the current password hash, so it stops working
the moment the password changes: single use without a table of used tokens.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from coaching.accounts.models import User

VERIFY = "tandem.verify-email"
RESET = "tandem.reset-password"


class TokenInvalid(Exception):
    """The token is forged, expired, used, or for another purpose."""


def _fingerprint(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=purpose)


def make_verify_token(secret: str, user: User) -> str:
    return _serializer(secret, VERIFY).dumps({"uid": user.id, "email": user.email})


def make_reset_token(secret: str, user: User) -> str:
    return _serializer(secret, RESET).dumps({"uid": user.id, "fp": _fingerprint(user.password_hash)})


def read_token(secret: str, purpose: str, token: str, max_age: int) -> dict[str, object]:
    """Return the token's payload or raise ``TokenInvalid``."""
    try:
        data = _serializer(secret, purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise TokenInvalid("expired") from exc
    except BadSignature as exc:
        raise TokenInvalid("bad signature") from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int):
        raise TokenInvalid("malformed")
    return data


def reset_token_matches(user: User, payload: dict[str, object]) -> bool:
    return payload.get("fp") == _fingerprint(user.password_hash)
