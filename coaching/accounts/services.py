"""Account use cases. Each takes the session, does one thing, and commits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords, session_policy, tokens
from coaching.accounts.models import ApiToken, LoginSession, Role, User
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
    """Register a client, or (for a known email) tell its owner; answers the same either way.

    Both paths do the same work (one argon2 hash, one email into the outbox, one commit), so
    the time the answer takes does not tell whether the email has an account.
    """
    email = normalise_email(email)
    existing = find_user(db, email)
    password_hash = passwords.hash_password(password)
    if existing is not None:
        queue_email(db, existing.email, "already_registered", user=existing,
                    reset_link=_external("accounts.forgot_password"))
        db.commit()
        return
    user = User(email=email, name=name.strip(), password_hash=password_hash,
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
    """Email a reset link to an account's owner, or a neutral "no login here" note otherwise.

    The page answers the same either way, and both paths do the same work (one email into the
    outbox, one commit), so its timing does not tell whether the email has an account.
    """
    user = find_user(db, email)
    if user is None or not user.is_active:
        queue_email(db, normalise_email(email), "reset_unknown",
                    register_link=_external("accounts.register"))
    else:
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
    """Set a new password from a reset link; the link, every sign-in and every API token stop working."""
    user = _user_for_reset(db, token)
    user.password_hash = passwords.hash_password(new_password)
    revoke_access(db, user, keep_session_id=None)
    # Following the emailed link proves the address.
    user.email_verified_at = user.email_verified_at or clock.now()
    db.commit()
    return user


def change_password(db: Session, user: User, current: str, new_password: str) -> None:
    """Change the password; end every other sign-in of this user and revoke their API tokens."""
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError("Your current password is not correct.")
    user.password_hash = passwords.hash_password(new_password)
    revoke_access(db, user, keep_session_id=user.login_session_id)
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


def revoke_access(db: Session, user: User, *, keep_session_id: int | None = None) -> None:
    """Revoke the user's sign-ins (except ``keep_session_id``) and API tokens (caller commits):
    a password change or reset, a deletion request, a reset of the second factor."""
    now = clock.now()
    sessions = update(LoginSession).where(LoginSession.user_id == user.id,
                                          LoginSession.revoked_at.is_(None))
    if keep_session_id is not None:
        sessions = sessions.where(LoginSession.id != keep_session_id)
    db.execute(sessions.values(revoked_at=now))
    db.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=now))


# --- sign-ins (server-side sessions) ---------------------------------------------------------


def session_limits(user: User) -> session_policy.SessionLimits:
    """The idle and absolute limits of ``user``'s sign-ins (staff: coaches and admins)."""
    config = current_app.config
    kind = "STAFF" if user.is_staff else "CLIENT"
    return session_policy.SessionLimits.from_settings(config[f"SESSION_IDLE_MINUTES_{kind}"],
                                                      config[f"SESSION_MAX_HOURS_{kind}"])


def start_login_session(db: Session, user: User, *, remember: bool, user_agent: str = "",
                        ip: str = "") -> str:
    """Record a new sign-in of ``user`` and return its secret (shown to no one but the cookie).

    The secret is also set as ``user.login_secret`` so that Flask-Login stores it.
    """
    # Sign-ins older than the absolute limit are over whatever else happened: forget them, so
    # the table holds at most one absolute limit's worth of sign-ins per user.
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id,
                                          LoginSession.created_at < clock.now() - session_limits(user).absolute))
    secret = secrets.token_urlsafe(32)
    row = LoginSession(user_id=user.id, secret_hash=_token_digest(secret), remember=remember,
                       user_agent=user_agent[:255], ip=ip[:45])
    db.add(row)
    db.commit()
    user.login_secret, user.login_session_id = secret, row.id
    return secret


def user_for_login_session(db: Session, secret: str) -> User | None:
    """The user of a live, unrevoked sign-in with this secret, or None (revoked, timed out).

    Records the request as the sign-in's last activity, at most once a minute.
    """
    if not secret:
        return None
    row = db.scalar(select(LoginSession).where(LoginSession.secret_hash == _token_digest(secret),
                                               LoginSession.revoked_at.is_(None)))
    if row is None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    now = clock.now()
    if not session_policy.is_live(now=now, created_at=row.created_at, last_seen_at=row.last_seen_at,
                                  limits=session_limits(user), staff=user.is_staff,
                                  remembered=row.remember):
        # Timed out: record it, so the sign-in stays ended whatever the clock does later.
        _write_now(db, row, revoked_at=now)
        return None
    if row.second_factor_at is None:
        from coaching.twofactor.services import required

        if required(db, user):  # half-way through signing in (coaching.twofactor): not signed in yet
            return None
    if session_policy.needs_touch(now=now, last_seen_at=row.last_seen_at):
        _write_now(db, row, last_seen_at=now)
    user.login_secret, user.login_session_id = secret, row.id
    return user


def _write_now(db: Session, row: LoginSession, **values: object) -> None:
    """Update ``row`` and commit, unless other changes are pending (then leave it for later).

    The user loader can run in the middle of a view: never commit somebody else's work.
    """
    if db.new or db.dirty or db.deleted:
        return
    for name, value in values.items():
        setattr(row, name, value)
    db.commit()


def end_login_session(db: Session, user: User) -> None:
    """Revoke the sign-in the current request runs under (logout)."""
    if user.login_session_id is not None:
        db.execute(update(LoginSession).where(LoginSession.id == user.login_session_id,
                                              LoginSession.revoked_at.is_(None))
                   .values(revoked_at=clock.now()))
        db.commit()


def live_login_sessions(db: Session, user: User) -> list[LoginSession]:
    """The user's sign-ins that still work, most recently used first."""
    now, limits = clock.now(), session_limits(user)
    rows = db.scalars(select(LoginSession).where(LoginSession.user_id == user.id,
                                                 LoginSession.revoked_at.is_(None))
                      .order_by(LoginSession.last_seen_at.desc(), LoginSession.id.desc())).all()
    return [row for row in rows
            if session_policy.is_live(now=now, created_at=row.created_at, last_seen_at=row.last_seen_at,
                                      limits=limits, staff=user.is_staff, remembered=row.remember)]


def end_other_login_sessions(db: Session, user: User) -> None:
    """"Sign out everywhere else": revoke every sign-in of ``user`` but the current one."""
    db.execute(update(LoginSession).where(LoginSession.user_id == user.id,
                                          LoginSession.revoked_at.is_(None),
                                          LoginSession.id != user.login_session_id)
               .values(revoked_at=clock.now()))
    db.commit()


# --- API tokens ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewApiToken:
    token: str  # shown once
    expires_at: datetime


def issue_api_token(db: Session, user: User, name: str) -> NewApiToken:
    """Create a personal API token valid for ``API_TOKEN_DAYS``; only its digest is kept."""
    token = "tdm_" + secrets.token_urlsafe(32)
    expires_at = clock.now() + timedelta(days=current_app.config["API_TOKEN_DAYS"])
    db.add(ApiToken(user_id=user.id, name=name[:80] or "token", token_hash=_token_digest(token),
                    expires_at=expires_at))
    db.commit()
    return NewApiToken(token, expires_at)


def create_api_token(db: Session, user: User, name: str) -> str:
    """Create a personal API token and return it (the CLI and tests; no password asked)."""
    return issue_api_token(db, user, name).token


def create_api_token_with_password(db: Session, user: User, name: str, password: str) -> NewApiToken:
    """Create a token for the signed-in user after they confirm their password again."""
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError("Your password is not correct.")
    return issue_api_token(db, user, name)


def active_api_tokens(db: Session, user: User) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > clock.now(),
    ).order_by(ApiToken.id)))


def revoke_api_token(db: Session, user: User, token_id: int) -> None:
    row = db.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise AccountError("No such token.")
    row.revoked_at = row.revoked_at or clock.now()
    db.commit()


def user_for_api_token(db: Session, token: str) -> User | None:
    """The owner of an unrevoked, unexpired token, or None."""
    return db.scalar(select(User).join(ApiToken, ApiToken.user_id == User.id)  # one round trip per API call
                     .where(ApiToken.token_hash == _token_digest(token), ApiToken.revoked_at.is_(None),
                            ApiToken.expires_at > clock.now(), User.is_active.is_(True)))
