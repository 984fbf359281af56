"""Inviting the second partner: single-use, expiring links of which only a hash is kept.

The link is sent to the address the first partner typed; the account that joins must use
that address (so a forwarded or leaked link does not let someone else in). Following the
link proves the address, so registering through it needs no separate confirmation.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts import passwords
from coaching.accounts.models import Role, User
from coaching.accounts.services import find_user, normalise_email
from coaching.intake import seats
from coaching.intake.models import Couple, Invite, Partner
from coaching.intake.services import ENDED, IntakeError
from coaching.notify.outbox import queue_email

DEFAULT_INVITE_DAYS = 7


class InviteInvalid(IntakeError):
    """The link is unknown, used, revoked or expired (one message for all, on purpose)."""

    def __init__(self) -> None:
        super().__init__("This invitation link is invalid, has already been used or has expired. "
                         "Please ask your partner to send a new one.")


class InviteUsed(InviteInvalid):
    """The link was used: the invited partner has already joined (they hold the link, so saying so is safe)."""

    def __init__(self, used_by_id: int | None) -> None:
        IntakeError.__init__(self, "You have already joined your partner on Tandem with this invitation. "
                                   "Please sign in to continue.")
        self.used_by_id = used_by_id


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mask_email(email: str) -> str:
    """``s***@example.com``: enough to recognise one's own address, not to learn another's."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def second_seat(db: Session, couple: Couple) -> Partner | None:
    return db.scalar(select(Partner).where(Partner.couple_id == couple.id, Partner.slot == "b"))


def invite_partner(db: Session, partner: Partner, email: str) -> str:
    """Send the second partner a new link (earlier unused links stop working); return the token.

    Only the first partner invites, only while the second seat is free.
    """
    couple = partner.couple
    if partner.ended_at is not None:
        raise IntakeError(ENDED)
    if partner.slot != "a":
        raise IntakeError("Only the partner who started can send the invitation.")
    email = normalise_email(email)
    if partner.user is not None and email == normalise_email(partner.user.email):
        raise IntakeError("Please enter your partner's email address, not your own.")
    seat = second_seat(db, couple)
    if seat is not None and seat.user_id is not None:
        raise IntakeError("Your partner has already joined.")
    now = clock.now()
    for old in db.scalars(select(Invite).where(Invite.couple_id == couple.id, Invite.used_at.is_(None),
                                               Invite.revoked_at.is_(None))):
        old.revoked_at = now
    if seat is None:
        seat = Partner(couple_id=couple.id, slot="b", invited_email=email)
        couple.partners.append(seat)
    seat.invited_email = email
    token = secrets.token_urlsafe(32)
    days = int(current_app.config.get("INTAKE_INVITE_DAYS", DEFAULT_INVITE_DAYS))
    db.add(Invite(couple_id=couple.id, email=email, token_hash=token_hash(token), created_at=now,
                  invited_by_id=partner.user_id, expires_at=now + timedelta(days=days)))
    inviter = partner.user.name if partner.user else "Your partner"
    link = current_app.config["TANDEM_BASE_URL"] + url_for("intake.join", token=token)
    queue_email(db, email, "invite_partner", inviter=inviter, link=link, days=days)
    db.commit()
    return token


def valid_invite(db: Session, token: str) -> Invite:
    """The unused, unrevoked, unexpired invite for ``token``; ``InviteInvalid`` otherwise."""
    if not token or len(token) > 200:
        raise InviteInvalid()
    invite = db.scalar(select(Invite).where(Invite.token_hash == token_hash(token)))
    if invite is not None and invite.used_at is not None:
        raise InviteUsed(invite.used_by_id)
    if invite is None or invite.revoked_at is not None or invite.expires_at <= clock.now():
        raise InviteInvalid()
    return invite


def accept_invite(db: Session, token: str, user: User) -> Couple:
    """Seat ``user`` as the second partner of the invite's couple and use up the link.

    Refused when the link is not valid, the account is not a client, uses another address
    than the invited one, already sits in a couple, or the couple is full.
    """
    invite = valid_invite(db, token)
    if user.role != Role.CLIENT:
        raise IntakeError("Please log in with a client account to join.")
    if normalise_email(user.email) != invite.email:
        raise IntakeError(f"This invitation was sent to {mask_email(invite.email)}. Please log in with "
                          "that address, or ask your partner to invite the address you use.")
    if seats.current_seat(db, user.id) is not None:  # an ended couple's seat does not count
        raise IntakeError("You are already part of a couple on Tandem, so you cannot join another.")
    couple = invite.couple
    seat = second_seat(db, couple)
    if seat is None or seat.user_id is not None:
        raise IntakeError("This couple already has two partners.")
    now = clock.now()
    seat.user_id, seat.joined_at, seat.timezone = user.id, now, seat.timezone or user.timezone
    invite.used_at, invite.used_by_id = now, user.id
    try:
        db.commit()
    except IntegrityError as exc:  # joined another couple, or the seat was taken, meanwhile
        db.rollback()
        raise IntakeError("You are already part of a couple on Tandem, so you cannot join another.") from exc
    return couple


def register_through_invite(db: Session, token: str, *, name: str, password: str, timezone: str) -> User:
    """Create the invited address's client account (confirmed by the link) and join the couple."""
    invite = valid_invite(db, token)
    if find_user(db, invite.email) is not None:
        raise IntakeError("There is already a login for this address. Please log in to join.")
    user = User(email=invite.email, name=name.strip(), role=Role.CLIENT, timezone=timezone,
                password_hash=passwords.hash_password(password), email_verified_at=clock.now())
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        raise IntakeError("There is already a login for this address. Please log in to join.") from exc
    try:
        accept_invite(db, token, user)
    except IntakeError:
        db.rollback()  # no account without a seat
        raise
    return user
