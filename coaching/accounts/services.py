"""Account use cases. Each takes the session, does one thing, and commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords, tokens
from coaching.accounts.models import ApiToken, Role, User, new_session_token
from coaching.notify.outbox import queue_email


class AccountError(Exception):
    """A use case was refused; the message is safe to show the user."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def _external(endpoint: str, **values: object) -> str:
    return current_app.config["TANDEM_BASE_URL"] + url_for(endpoint, **values)


def send_verification(db: Session, user: User) -> None:
    """Queue a fresh verification link for ``user`` (caller commits)."""
    token = tokens.make_verify_token(_secret(), user)
    queue_email(db, user.email, "verify_email", user=user,
                link=_external("accounts.verify_email", token=token))


def register_client(db: Session, *, email: str, name: str, password: str, timezone: str) -> None:
    """Register a client, or (for a known email) tell its owner; answers the same either way."""
    email = normalise_email(email)
    existing = find_user(db, email)
    if existing is not None:
        queue_email(db, existing.email, "already_registered", user=existing,
                    reset_link=_external("accounts.forgot_password"))
        db.commit()
        return
    user = User(email=email, name=name.strip(), password_hash=passwords.hash_password(password),
                role=Role.CLIENT, timezone=timezone)
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        # A concurrent registration of the same email won: answer as for a known email.
        db.rollback()
        return
    send_verification(db, user)
    db.commit()


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    unverified: bool = False


def authenticate(db: Session, email: str, password: str) -> LoginResult:
    """Check credentials; rehash on success when the hashing parameters changed.

    Unknown emails cost as much time as wrong passwords. A correct password on an
    unverified account does not log in; a new verification link is sent instead.
    """
    user = find_user(db, email)
    if user is None or not user.is_active:
        passwords.burn_verification(password)
        return LoginResult(None)
    if not passwords.verify_password(user.password_hash, password):
        return LoginResult(None)
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    if not user.is_verified:
        send_verification(db, user)
        db.commit()
        return LoginResult(None, unverified=True)
    db.commit()
    return LoginResult(user)


def verify_email(db: Session, token: str) -> User:
    """Mark the token's account verified; raise ``AccountError`` for a bad or old link."""
    try:
        data = tokens.read_token(_secret(), tokens.VERIFY, token,
                                 current_app.config["EMAIL_TOKEN_MAX_AGE"])
    except tokens.TokenInvalid as exc:
        raise AccountError("This confirmation link is invalid or has expired.") from exc
    user = db.get(User, data["uid"])
    if user is None or user.email != data.get("email"):
        raise AccountError("This confirmation link is invalid or has expired.")
    if user.email_verified_at is None:
        user.email_verified_at = clock.now()
        db.commit()
    return user


def request_password_reset(db: Session, email: str) -> None:
    """Email a reset link if the account exists; say nothing either way."""
    user = find_user(db, email)
    if user is None or not user.is_active:
        return
    token = tokens.make_reset_token(_secret(), user)
    queue_email(db, user.email, "reset_password", user=user,
                link=_external("accounts.reset_password", token=token))
    db.commit()


def _user_for_reset(db: Session, token: str) -> User:
    try:
        data = tokens.read_token(_secret(), tokens.RESET, token,
                                 current_app.config["RESET_TOKEN_MAX_AGE"])
    except tokens.TokenInvalid as exc:
        raise AccountError("This reset link is invalid, used or expired.") from exc
    user = db.get(User, data["uid"])
    if user is None or not tokens.reset_token_matches(user, data):
        raise AccountError("This reset link is invalid, used or expired.")
    return user


def check_reset_token(db: Session, token: str) -> None:
    _user_for_reset(db, token)


def reset_password(db: Session, token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link (and every session) stops working."""
    user = _user_for_reset(db, token)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    # Following the emailed link proves the address.
    user.email_verified_at = user.email_verified_at or clock.now()
    db.commit()
    return user


def change_password(db: Session, user: User, current: str, new_password: str) -> None:
    """Change the password and end every other session of this user."""
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    db.commit()


def create_staff(db: Session, *, email: str, name: str, role: Role, password: str | None = None,
                 timezone: str = "UTC") -> tuple[User, str | None]:
    """Create (or return) a coach or admin; a generated password is returned once."""
    if role not in (Role.COACH, Role.ADMIN):
        raise AccountError("Only coach and admin accounts are created by staff.")
    existing = find_user(db, email)
    if existing is not None:
        if existing.role != role:
            raise AccountError(f"{existing.email} already exists as a {existing.role.value}.")
        return existing, None
    generated = None
    if password is None:
        generated = password = secrets.token_urlsafe(12)
    user = User(email=normalise_email(email), name=name, role=role, timezone=timezone,
                password_hash=passwords.hash_password(password), email_verified_at=clock.now())
    db.add(user)
    db.commit()
    return user, generated


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(db: Session, user: User, name: str) -> str:
    """Create a personal API token and return it; only its digest is kept."""
    token = "tdm_" + secrets.token_urlsafe(32)
    db.add(ApiToken(user_id=user.id, name=name[:80] or "token", token_hash=_token_digest(token)))
    db.commit()
    return token


def revoke_api_token(db: Session, user: User, token_id: int) -> None:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise AccountError("No such token.")
    row.revoked_at = row.revoked_at or clock.now()
    db.commit()


def user_for_api_token(db: Session, token: str) -> User | None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == _token_digest(token),
                                           ApiToken.revoked_at.is_(None)))
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    return user
