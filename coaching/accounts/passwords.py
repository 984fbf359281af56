"""Argon2id password hashing, with rehash when parameters change."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_STRONG = PasswordHasher()  # argon2id, library defaults (RFC 9106 low-memory profile)
_FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # tests only
_hasher = _STRONG
_dummy_hash: str | None = None


def use_fast_hashing(fast: bool) -> None:
    """Tests trade hashing cost for speed; production never calls this with True."""
    global _hasher, _dummy_hash
    _hasher = _FAST if fast else _STRONG
    _dummy_hash = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so unknown emails answer as slowly as known ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash("not a real password")
    verify_password(_dummy_hash, password)
