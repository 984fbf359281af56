"""TOTP (RFC 6238) codes and recovery codes on plain values: ``now`` is an argument.

Codes are six digits for 30-second steps; a code is accepted for the step before, the current
one and the one after (clock drift), and only for a step later than the last one accepted, so a
code works once. Recovery codes are 80 random bits, shown once; only their SHA-256 is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp

__pure__ = True

INTERVAL = 30
DIGITS = 6
WINDOW = 1  # steps accepted on either side of the current one
ISSUER = "Tandem"
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l


def new_secret() -> str:
    """A new base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=INTERVAL)


def step_at(now: datetime) -> int:
    """The 30-second time step ``now`` falls in."""
    return int(now.timestamp()) // INTERVAL


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator app shows at ``now`` (tests, and the demo's CLI)."""
    return _totp(secret).generate_otp(step_at(now))


def provisioning_uri(secret: str, account: str) -> str:
    """The ``otpauth://`` URI a QR code carries."""
    return _totp(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "")


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step ``code`` belongs to, if it is valid at ``now`` and newer than ``last_step``.

    Every candidate step is compared (in constant time) so that the answer's timing does not
    say which step matched or whether one was already used.
    """
    code = normalise_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    current = step_at(now)
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code) and (last_step is None or step > last_step):
            found = step if found is None else found
    return found


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    """``count`` codes like ``k7mq-2xfp-9wab-t4cd`` (16 characters of 32: 80 bits each)."""
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def recovery_digest(code: str) -> str:
    """SHA-256 of a recovery code as typed, ignoring case, spaces and hyphens."""
    return hashlib.sha256(normalise_code(code).lower().encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_code(code)) == 16
