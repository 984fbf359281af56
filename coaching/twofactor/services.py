"""Second-factor use cases: enrol, check a code, use a recovery code, pass a sign-in, reset.

Each function that changes something commits (except where noted), like the other services.
Wrong, replayed, expired and malformed codes are refused alike (``None``/``False``): the
caller shows one message, so an answer never tells which it was.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from coaching import clock
from coaching.db import immediate
from coaching.accounts import passwords
from coaching.accounts.models import LoginSession, Role, User
from coaching.accounts.services import revoke_access
from coaching.audit.services import record
from coaching.notify.outbox import queue_email
from coaching.twofactor import totp
from coaching.twofactor.models import RecoveryCode, SecondFactor

# A sign-in that has passed the password but not the second factor waits this long at most.
PENDING_MINUTES = 10


class SecondFactorError(Exception):
    """Refused; the message is safe to show."""


WRONG_CODE = "That code did not work. Enter the current code from your authenticator app, or a recovery code."


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- state -----------------------------------------------------------------------------------


def factor_of(db: Session, user_id: int) -> SecondFactor | None:
    return db.get(SecondFactor, user_id)


def is_enrolled(db: Session, user_id: int) -> bool:
    return db.scalar(select(SecondFactor.confirmed_at).where(SecondFactor.user_id == user_id)) is not None


def required(db: Session, user: User) -> bool:
    """Coaches and admins always; a client once they turned it on."""
    return user.is_staff or is_enrolled(db, user.id)


def recovery_codes_left(db: Session, user_id: int) -> int:
    return db.scalar(select(func.count()).select_from(RecoveryCode)
                     .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


@dataclass(frozen=True)
class Pending:
    """A sign-in that passed the password and waits for the second factor."""

    login_session: LoginSession
    user: User


def pending_sign_in(db: Session, secret: str | None, now: datetime | None = None) -> Pending | None:
    """The sign-in with this secret, if it is unrevoked, recent and still needs the second factor."""
    if not secret:
        return None
    now = now or clock.now()
    row = db.scalar(select(LoginSession).where(LoginSession.secret_hash == _digest(secret),
                                               LoginSession.revoked_at.is_(None),
                                               LoginSession.second_factor_at.is_(None)))
    if row is None or row.created_at < now - timedelta(minutes=PENDING_MINUTES):
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.is_active or not required(db, user):
        return None
    return Pending(row, user)


def pass_sign_in(db: Session, login_session_id: int, now: datetime | None = None) -> str | None:
    """Record that the sign-in passed the second factor; return its NEW secret (None if it ended).

    The secret changes at this moment, so whoever might have seen the half-way sign-in's cookie
    gains nothing once the person passes. Caller commits (with the code's acceptance).
    """
    new_secret = secrets.token_urlsafe(32)
    result = db.execute(update(LoginSession)
                        .where(LoginSession.id == login_session_id, LoginSession.revoked_at.is_(None),
                               LoginSession.second_factor_at.is_(None))
                        .values(second_factor_at=now or clock.now(), secret_hash=_digest(new_secret),
                                last_seen_at=now or clock.now()))
    return new_secret if result.rowcount == 1 else None


# --- codes -----------------------------------------------------------------------------------


def accept_code(db: Session, user_id: int, code: str, now: datetime, *, confirmed: bool = True) -> bool:
    """Accept a TOTP code once: valid for the step before, now or after, and newer than the last.

    The new step is written with a conditional UPDATE, so two requests with the same code
    cannot both succeed. Caller commits.
    """
    factor = factor_of(db, user_id)
    if factor is None or (factor.confirmed_at is not None) != confirmed:
        return False
    step = totp.matching_step(factor.secret, code, now, factor.last_step)
    if step is None:
        return False
    result = db.execute(update(SecondFactor)
                        .where(SecondFactor.user_id == user_id,
                               (SecondFactor.last_step.is_(None)) | (SecondFactor.last_step < step))
                        .values(last_step=step)
                        .execution_options(synchronize_session=False))
    db.expire(factor)
    return result.rowcount == 1


def use_recovery_code(db: Session, user: User, code: str, now: datetime) -> bool:
    """Spend one recovery code (a conditional UPDATE: it works once); audited, and the owner is told.

    Caller commits.
    """
    if not totp.looks_like_recovery_code(code):
        return False
    result = db.execute(update(RecoveryCode)
                        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.recovery_digest(code),
                               RecoveryCode.used_at.is_(None))
                        .values(used_at=now).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    left = recovery_codes_left(db, user.id)
    record(db, actor=user, action="recovery_code_used", couple_id=None, object_type="user",
           object_id=user.id, detail=f"{left} recovery codes left")
    queue_email(db, user.email, "recovery_code_used", user=user, left=left, when=now,
                link=_external("two_factor.settings"))
    return True


def check(db: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """A TOTP code or a recovery code of ``user`` (enrolled); caller commits."""
    now = now or clock.now()
    if totp.looks_like_recovery_code(code):
        return use_recovery_code(db, user, code, now)
    return accept_code(db, user.id, code, now)


def verify_sign_in(db: Session, pending: Pending, code: str, now: datetime | None = None) -> str:
    """Pass a pending sign-in with a code; return the sign-in's new secret. Commits."""
    now = now or clock.now()
    with immediate(db):  # SQLite: hold the write lock from the first read (racing codes queue)
        if not is_enrolled(db, pending.user.id) or not check(db, pending.user, code, now):
            db.rollback()
            raise SecondFactorError(WRONG_CODE)
        new_secret = pass_sign_in(db, pending.login_session.id, now)
        if new_secret is None:
            db.rollback()
            raise SecondFactorError("This sign-in has ended. Please log in again.")
        db.commit()
    return new_secret


# --- enrolment -------------------------------------------------------------------------------


def start_enrolment(db: Session, user: User) -> str:
    """The secret to show while ``user`` enrols (kept across reloads until confirmed). Commits."""
    factor = factor_of(db, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise SecondFactorError("Two-step sign-in is already on.")
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret=totp.new_secret())
        db.add(factor)
        db.commit()
    return factor.secret


def _new_recovery_codes(db: Session, user_id: int) -> list[str]:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = totp.new_recovery_codes()
    db.add_all([RecoveryCode(user_id=user_id, code_hash=totp.recovery_digest(c)) for c in codes])
    return codes


@dataclass(frozen=True)
class Enrolled:
    recovery_codes: list[str]
    new_secret: str | None  # the sign-in's new secret, when a pending sign-in was passed


def confirm_enrolment(db: Session, user: User, code: str, *, login_session_id: int,
                      pending: bool, now: datetime | None = None) -> Enrolled:
    """Turn the factor on with a first code; return the recovery codes (shown once). Commits.

    The sign-in it happens in has now passed the factor; every other sign-in of ``user`` ends
    (they had not passed it).
    """
    now = now or clock.now()
    with immediate(db):
        if not accept_code(db, user.id, code, now, confirmed=False):
            db.rollback()
            raise SecondFactorError("That code did not work. Enter the code your app shows now for Tandem.")
        db.execute(update(SecondFactor).where(SecondFactor.user_id == user.id).values(confirmed_at=now))
        codes = _new_recovery_codes(db, user.id)
        new_secret = None
        if pending:
            new_secret = pass_sign_in(db, login_session_id, now)
            if new_secret is None:
                db.rollback()
                raise SecondFactorError("This sign-in has ended. Please log in again.")
        else:
            db.execute(update(LoginSession).where(LoginSession.id == login_session_id)
                       .values(second_factor_at=now))
        db.execute(update(LoginSession).where(LoginSession.user_id == user.id, LoginSession.id != login_session_id,
                                              LoginSession.revoked_at.is_(None)).values(revoked_at=now))
        db.commit()
    return Enrolled(codes, new_secret)


def regenerate_recovery_codes(db: Session, user: User, code: str) -> list[str]:
    """New recovery codes (the old ones stop working), after a current TOTP code. Commits."""
    with immediate(db):
        if totp.looks_like_recovery_code(code) or not accept_code(db, user.id, code, clock.now()):
            db.rollback()
            raise SecondFactorError(WRONG_CODE.replace(", or a recovery code", ""))
        codes = _new_recovery_codes(db, user.id)
        db.commit()
    return codes


def turn_off(db: Session, user: User, password: str, code: str) -> None:
    """A client turns the second factor off (password and a code). Staff cannot. Commits."""
    if user.is_staff:
        raise SecondFactorError("Coaches and admins must keep two-step sign-in on.")
    if not passwords.verify_password(user.password_hash, password):
        raise SecondFactorError("Your password is not correct.")
    with immediate(db):
        if not check(db, user, code):
            db.rollback()
            raise SecondFactorError(WRONG_CODE)
        _remove(db, user.id)
        db.commit()


def _remove(db: Session, user_id: int) -> None:
    db.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))


# --- admin -----------------------------------------------------------------------------------


def staff_members(db: Session) -> list[tuple[User, bool]]:
    """Every coach and admin with whether their second factor is on."""
    rows = db.execute(select(User, SecondFactor.confirmed_at)
                      .outerjoin(SecondFactor, SecondFactor.user_id == User.id)
                      .where(User.role.in_([Role.COACH, Role.ADMIN]))
                      .order_by(User.role, User.name, User.id)).all()
    return [(user, confirmed is not None) for user, confirmed in rows]


def reset_by_admin(db: Session, admin: User, member_id: int) -> User:
    """An admin resets another staff member's second factor: audited, their sign-ins end,
    they enrol again at their next sign-in and are told by email. Commits."""
    member = db.get(User, member_id)
    if member is None or not member.is_staff:
        raise SecondFactorError("No such staff member.")
    if member.id == admin.id:
        raise SecondFactorError("You cannot reset your own second factor; ask another admin.")
    _remove(db, member.id)
    revoke_access(db, member)  # whoever may hold the lost device keeps neither a sign-in nor a token
    record(db, actor=admin, action="second_factor_reset", couple_id=None, object_type="user",
           object_id=member.id, detail=f"second factor of {member.email} reset")
    queue_email(db, member.email, "second_factor_reset", user=member,
                link=_external("accounts.login"))
    db.commit()
    return member


def reset_from_cli(db: Session, member: User) -> None:
    """``flask two-factor reset EMAIL``: for an admin locked out with no other admin. Audited. Commits."""
    _remove(db, member.id)
    revoke_access(db, member)
    record(db, actor=None, action="second_factor_reset", couple_id=None, object_type="user",
           object_id=member.id, detail=f"second factor of {member.email} reset from the command line")
    db.commit()


def enrol_directly(db: Session, user: User) -> str:
    """Turn the factor on without a first code; return its secret (demo data and test fixtures). Commits."""
    factor = factor_of(db, user.id)
    if factor is None:
        factor = SecondFactor(user_id=user.id, secret=totp.new_secret())
        db.add(factor)
    if factor.confirmed_at is None:
        factor.confirmed_at = clock.now()
    db.commit()
    return factor.secret


def _external(endpoint: str, **values: object) -> str:
    return current_app.config["TANDEM_BASE_URL"] + url_for(endpoint, **values)
