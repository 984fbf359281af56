"""Changing a person's name, time zone and email address.

A new email address is proved before it is used: a signed link (``EMAIL_CHANGE_TOKEN_MAX_AGE``)
goes to the new address and the account changes only when it is opened; the old address is
then told. The link carries a fingerprint of the address it replaces, so it works once (and
not at all once the address has changed another way).

No account enumeration: when the new address already belongs to an account, the page answers
exactly as for a free address, and the owner of that address is emailed instead (one email,
one commit either way).
"""

from __future__ import annotations

import hashlib

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords
from coaching.accounts.models import User
from coaching.accounts.services import AccountError, find_user, normalise_email
from coaching.notify.outbox import queue_email

PURPOSE = "tandem.change-email"


class WrongPassword(AccountError):
    """The password given to confirm the change is not the account's."""


INVALID = "This link is invalid, used or expired. Please ask for a new one on your profile."


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=PURPOSE)


def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.encode()).hexdigest()[:20]


def _external(endpoint: str, **values: object) -> str:
    return current_app.config["TANDEM_BASE_URL"] + url_for(endpoint, **values)


def update_profile(db: Session, user: User, *, name: str, timezone: str) -> None:
    user.name = name.strip()[:120]
    user.timezone = timezone
    db.commit()


def request_change(db: Session, user: User, new_email: str, password: str) -> None:
    """Send a confirmation link to ``new_email`` (or, if it has an account, a note to its owner)."""
    if not passwords.verify_password(user.password_hash, password):
        raise WrongPassword("Your password is not correct.")
    new_email = normalise_email(new_email)
    if new_email == normalise_email(user.email):
        raise AccountError("That is already your email address.")
    owner = find_user(db, new_email)
    if owner is not None:
        queue_email(db, owner.email, "email_change_taken", user=owner,
                    reset_link=_external("accounts.forgot_password"))
    else:
        token = _serializer().dumps({"uid": user.id, "new": new_email, "fp": _fingerprint(user.email)})
        queue_email(db, new_email, "email_change_verify", user=user,
                    link=_external("profile.confirm_email", token=token))
    db.commit()


def confirm_change(db: Session, token: str) -> User:
    """Apply a confirmation link: the address changes and the old address is told."""
    if len(token) > 1000:
        raise AccountError(INVALID)
    try:
        data = _serializer().loads(token, max_age=current_app.config["EMAIL_CHANGE_TOKEN_MAX_AGE"])
    except (SignatureExpired, BadSignature) as exc:
        raise AccountError(INVALID) from exc
    if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or not isinstance(data.get("new"), str):
        raise AccountError(INVALID)
    user = db.get(User, data["uid"])
    if user is None or not user.is_active or data.get("fp") != _fingerprint(user.email):
        raise AccountError(INVALID)
    new_email = data["new"]
    if find_user(db, new_email) is not None:
        raise AccountError("This address can no longer be used. Please choose another on your profile.")
    old_email = user.email
    user.email = new_email
    user.email_verified_at = clock.now()  # opening the link proves the new address
    queue_email(db, old_email, "email_changed_notice", user=user, new_email=new_email,
                reset_link=_external("accounts.forgot_password"))
    try:
        db.commit()
    except IntegrityError as exc:  # taken by a registration at the same moment
        db.rollback()
        raise AccountError("This address can no longer be used. Please choose another on your profile.") from exc
    return user
