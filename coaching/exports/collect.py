"""What one person's export holds: the rows Tandem keeps about them, as plain JSON-ready data.

One function per part, each with its own rule of whose rows it takes. The rule throughout
(GDPR Art. 15(4), the rights of others): a partner gets their own rows and what the couple
shares (the shared part as it stands, joint sessions, summaries addressed to both), never
the other partner's private answers, screens, individual sessions, reflections, check-in
answers or payments. The tests put marker strings in every private field of the other
partner and search the whole ZIP for them (``tests/functional/test_data_export.py``).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from coaching.accounts.models import ApiToken, LoginSession, User
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.coaches.models import CoachProfile
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, SharedSummary
from coaching.intake import seats
from coaching.intake.models import (
    Consent,
    Couple,
    Invite,
    Partner,
    PrivateAnswer,
    SafetyScreen,
    SatisfactionResponse,
    SharedAnswer,
    SharedAnswerChange,
)
from coaching.matching.models import CoachAssignment, MatchFeedback, RematchRequest
from coaching.notes.models import Addendum, HandoverConsent, Note, NoteStatus
from coaching.payments.models import CreditEntry, PackagePurchase, Payment, Refund
from coaching.scheduling.models import (
    AvailabilityRule,
    Booking,
    DateOverride,
    SessionKind,
    SessionType,
    TimeOff,
)

FORMAT = "tandem-export/1"


def _value(value: Any) -> Any:
    """JSON-ready: instants as ISO 8601 UTC, dates and times as ISO, enums as their value."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):
        return value.value
    if isinstance(value, dict):
        return {str(k): _value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_value(v) for v in value]
    return value


def _row(obj: Any, *names: str, **extra: Any) -> dict[str, Any]:
    data = {name: _value(getattr(obj, name)) for name in names}
    data.update({k: _value(v) for k, v in extra.items()})
    return data


def _name_of(db: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = db.get(User, user_id)
    return user.name if user is not None else None


def _coach_name(db: Session, coach_id: int | None) -> str | None:
    if coach_id is None:
        return None
    coach = db.get(CoachProfile, coach_id)
    return coach.user.name if coach is not None and coach.user is not None else None


# --- everyone ----------------------------------------------------------------------------------


def account(db: Session, user: User) -> dict[str, Any]:
    sessions = db.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                          .order_by(LoginSession.id)).all()
    tokens = db.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all()
    return {
        "account": _row(user, "id", "name", "email", "role", "timezone", "email_verified_at",
                        "is_active", "created_at"),
        # Secrets are never exported: sign-ins and tokens without their digests.
        "sign_ins": [_row(s, "created_at", "last_seen_at", "revoked_at", "remember", "user_agent", "ip")
                     for s in sessions],
        "api_tokens": [_row(t, "name", "created_at", "expires_at", "last_used_at", "revoked_at")
                       for t in tokens],
    }


# --- coaches -----------------------------------------------------------------------------------


def coach_profile(db: Session, user: User) -> dict[str, Any] | None:
    coach = db.scalar(select(CoachProfile).where(CoachProfile.user_id == user.id))
    if coach is None:
        return None
    return {
        "profile": _row(coach, "timezone", "bio", "languages", "specialties", "approaches", "formats",
                        "gender", "lgbtq_affirming", "faith_based", "safety_trained", "accepting_new",
                        "max_active_couples", "created_at", "updated_at",
                        session_types=[t.slug for t in coach.session_types]),
        "weekly_hours": [_row(r, "weekday", "start_time", "end_time") for r in db.scalars(
            select(AvailabilityRule).where(AvailabilityRule.coach_id == coach.id).order_by(AvailabilityRule.id))],
        "date_overrides": [_row(o, "on_date", "start_time", "end_time") for o in db.scalars(
            select(DateOverride).where(DateOverride.coach_id == coach.id).order_by(DateOverride.id))],
        "time_off": [_row(t, "start_date", "end_date", "reason") for t in db.scalars(
            select(TimeOff).where(TimeOff.coach_id == coach.id).order_by(TimeOff.id))],
    }


# --- partners ----------------------------------------------------------------------------------


def couple_part(db: Session, user: User, seat: Partner) -> dict[str, Any]:
    couple = db.get(Couple, seat.couple_id)
    assignments = db.scalars(select(CoachAssignment).where(CoachAssignment.couple_id == couple.id)
                             .order_by(CoachAssignment.id)).all()
    return {
        "couple": _row(couple, "id", "status", "created_at", "intake_completed_at",
                       coach=_coach_name(db, couple.coach_id),
                       joint_sessions_opened_at=couple.joint_opening.opened_at if couple.joint_opening else None),
        "your_seat": _row(seat, "slot", "joined_at", "timezone", "free_times", "ended_at"),
        "coach_history": [_row(a, "method", "created_at", "ended_at", coach=_coach_name(db, a.coach_id),
                               chosen_by_you=a.chosen_by_id == user.id) for a in assignments],
    }


def consents(db: Session, seat: Partner) -> list[dict[str, Any]]:
    return [_row(c, "version", "terms", "sharing", "sensitive_data", "given_at") for c in db.scalars(
        select(Consent).where(Consent.partner_id == seat.id).order_by(Consent.id))]


def private_intake(db: Session, seat: Partner) -> dict[str, Any]:
    """The partner's own private part, CSI-4 responses and safety screen (their own only)."""
    return {
        "private_answers": [_row(p, "step", "version", "answers", "updated_at") for p in db.scalars(
            select(PrivateAnswer).where(PrivateAnswer.partner_id == seat.id).order_by(PrivateAnswer.id))],
        "relationship_satisfaction": [_row(s, "source", "version", "items", "taken_at") for s in db.scalars(
            select(SatisfactionResponse).where(SatisfactionResponse.partner_id == seat.id)
            .order_by(SatisfactionResponse.id))],
        "safety_screen": [_row(s, "version", "answers", "result", "completed_at") for s in db.scalars(
            select(SafetyScreen).where(SafetyScreen.partner_id == seat.id))],
    }


def shared_part(db: Session, seat: Partner) -> dict[str, Any]:
    """The shared part as it stands (both partners read and amend it), and this partner's own
    change history (which questions they changed, when; the other partner's changes are not theirs)."""
    answers = db.scalars(select(SharedAnswer).where(SharedAnswer.couple_id == seat.couple_id)
                         .order_by(SharedAnswer.step)).all()
    changes = db.scalars(select(SharedAnswerChange).where(SharedAnswerChange.partner_id == seat.id)
                         .order_by(SharedAnswerChange.id)).all()
    return {
        "answers": [_row(a, "step", "version", "answers", "updated_at",
                         last_changed_by_you=a.updated_by_id == seat.id) for a in answers],
        "your_changes": [_row(c, "step", "changed_keys", "changed_at") for c in changes],
    }


def invitations(db: Session, user: User) -> list[dict[str, Any]]:
    return [_row(i, "email", "created_at", "expires_at", "used_at", "revoked_at") for i in db.scalars(
        select(Invite).where(Invite.invited_by_id == user.id).order_by(Invite.id))]


def _session(db: Session, b: Booking, kind: SessionType | None, user: User) -> dict[str, Any]:
    return _row(b, "starts_at", "ends_at", "status", "confirmed_at", "cancelled_at", "video_url", "created_at",
                session_type=kind.name if kind else None, coach=_coach_name(db, b.coach_id),
                booked_by_you=b.booked_by_id == user.id, cancelled_by_you=b.cancelled_by_id == user.id,
                # A reason is the words of whoever cancelled: only the partner's own.
                your_cancel_reason=b.cancel_reason if b.cancelled_by_id == user.id else None)


def sessions(db: Session, user: User, seat: Partner) -> dict[str, Any]:
    """Joint sessions of the couple and the partner's own individual sessions (never the other's)."""
    rows = db.execute(select(Booking, SessionType).outerjoin(SessionType, SessionType.id == Booking.session_type_id)
                      .where(Booking.couple_id == seat.couple_id).order_by(Booking.starts_at, Booking.id)).all()
    joint, own = [], []
    for booking, kind in rows:
        if kind is not None and kind.kind == SessionKind.INDIVIDUAL:
            if booking.booked_by_id == user.id:
                own.append(_session(db, booking, kind, user))
        else:
            joint.append(_session(db, booking, kind, user))
    return {"joint_sessions": joint, "your_individual_sessions": own}


def payments(db: Session, user: User) -> dict[str, Any]:
    """Payments this person made (with their refunds and receipt numbers) and packages they bought."""
    paid = db.scalars(select(Payment).where(Payment.payer_id == user.id).order_by(Payment.id)).all()
    refunds = {}
    if paid:
        for r in db.scalars(select(Refund).where(Refund.payment_id.in_([p.id for p in paid])).order_by(Refund.id)):
            refunds.setdefault(r.payment_id, []).append(
                _row(r, "amount_cents", "status", "created_at", "completed_at", "manual_method", "manual_sent_on"))
    purchases = db.scalars(select(PackagePurchase).where(PackagePurchase.buyer_id == user.id)
                           .order_by(PackagePurchase.id)).all()
    credits = {}
    if purchases:
        for c in db.scalars(select(CreditEntry).where(CreditEntry.purchase_id.in_([p.id for p in purchases]))
                            .order_by(CreditEntry.id)):
            credits.setdefault(c.purchase_id, []).append(_row(c, "delta", "note", "created_at"))
    return {
        "payments": [_row(p, "purpose", "provider", "status", "amount_cents", "refunded_cents", "currency",
                          "description", "receipt_number", "manual_method", "manual_reference", "manual_paid_on",
                          "paid_at", "created_at", refunds=refunds.get(p.id, [])) for p in paid],
        "packages_bought": [_row(p, "sessions", "price_cents", "currency", "status", "valid_until", "created_at",
                                 package=p.package.name if p.package else None, credits=credits.get(p.id, []))
                            for p in purchases],
    }


def after_sessions(db: Session, seat: Partner) -> dict[str, Any]:
    """Summaries and homework addressed to this partner (joint ones, and their own individual
    sessions'), their own ticks and reflections, and their own check-in answers."""
    summaries = db.scalars(select(SharedSummary).where(
        SharedSummary.couple_id == seat.couple_id,
        or_(SharedSummary.partner_id.is_(None), SharedSummary.partner_id == seat.id))
        .order_by(SharedSummary.published_at, SharedSummary.id)).all()
    ticks = set(db.scalars(select(HomeworkTick.item_id).where(HomeworkTick.partner_id == seat.id)))
    items: dict[int, list[HomeworkItem]] = {}
    if summaries:  # one query for every summary's items (no N+1)
        for item in db.scalars(select(HomeworkItem).where(HomeworkItem.summary_id.in_([s.id for s in summaries]))
                               .order_by(HomeworkItem.summary_id, HomeworkItem.position)):
            items.setdefault(item.summary_id, []).append(item)
    shown = []
    for s in summaries:
        shown.append(_row(s, "summary", "published_at", coach=_coach_name(db, s.coach_id),
                          for_you_alone=s.partner_id is not None,
                          homework=[{"text": i.text, "done_by_you": i.id in ticks} for i in items.get(s.id, [])]))
    reflections = db.scalars(select(Reflection).where(Reflection.partner_id == seat.id)
                             .order_by(Reflection.id)).all()
    checkins = db.execute(select(CheckIn, CheckInResponse).outerjoin(
        CheckInResponse, (CheckInResponse.checkin_id == CheckIn.id) & (CheckInResponse.partner_id == seat.id))
        .where(CheckIn.couple_id == seat.couple_id).order_by(CheckIn.created_at, CheckIn.id)).all()
    return {
        "summaries_and_homework": shown,
        "your_reflections": [_row(r, "audience", "text", "created_at") for r in reflections],
        "your_checkins": [{"sent_at": _value(c.created_at),
                           "your_answer": None if r is None else _row(
                               r, "version", "csi_items", "safety_answers", "safety_result", "answered_at")}
                          for c, r in checkins],
    }


def matching(db: Session, user: User, seat: Partner) -> dict[str, Any]:
    couple_id = seat.couple_id
    return {
        "your_feedback_on_proposals": [_row(f, "missing", "created_at") for f in db.scalars(
            select(MatchFeedback).where(MatchFeedback.user_id == user.id, MatchFeedback.couple_id == couple_id)
            .order_by(MatchFeedback.id))],
        "your_rematch_requests": [_row(r, "reason", "created_at", "resolved_at") for r in db.scalars(
            select(RematchRequest).where(RematchRequest.requested_by_id == user.id,
                                         RematchRequest.couple_id == couple_id).order_by(RematchRequest.id))],
        "your_note_handover_answers": [_row(h, "agreed", "answered_at") for h in db.scalars(
            select(HandoverConsent).where(HandoverConsent.user_id == user.id, HandoverConsent.couple_id == couple_id)
            .order_by(HandoverConsent.id))],
    }


def notes_for(db: Session, seat: Partner) -> list[Note]:
    """The signed notes a released export carries: couple notes, joint-session notes and notes
    of this partner's own individual sessions; never a note in the other partner's sphere."""
    return list(db.scalars(select(Note).where(
        Note.couple_id == seat.couple_id, Note.status == NoteStatus.SIGNED,
        or_(Note.partner_id.is_(None), Note.partner_id == seat.id))
        .order_by(Note.signed_at, Note.id)))


def coach_notes(db: Session, seat: Partner) -> list[dict[str, Any]]:
    notes = notes_for(db, seat)
    addenda: dict[int, list[Addendum]] = {}
    if notes:
        for a in db.scalars(select(Addendum).where(Addendum.note_id.in_([n.id for n in notes])).order_by(Addendum.id)):
            addenda.setdefault(a.note_id, []).append(a)
    return [_row(note, "kind", "template_key", "template_version", "sections", "signed_at",
                 coach=_coach_name(db, note.coach_id), about_you_alone=note.partner_id is not None,
                 addenda=[_row(a, "body", "signed_at", coach=_coach_name(db, a.coach_id))
                          for a in addenda.get(note.id, [])])
            for note in notes]


def collect(db: Session, user: User, now: datetime, *, with_notes: bool, notes_setting: str) -> dict[str, Any]:
    """Everything the export of ``user`` holds, as JSON-ready data."""
    data: dict[str, Any] = {"format": FORMAT, "generated_at": _value(now)}
    data.update(account(db, user))
    profile = coach_profile(db, user)
    if profile is not None:
        data["coach_profile"] = profile
    held = seats.seats_of(db, user.id)  # the current (or latest) couple first
    if not held:
        return data
    data.update(couple_record(db, user, held[0], with_notes=with_notes, notes_setting=notes_setting))
    data["invitations_you_sent"] = invitations(db, user)
    data.update(payments(db, user))
    if len(held) > 1:  # couples that ended before this one began: each as it stands, the same parts
        data["earlier_couples"] = [couple_record(db, user, seat, with_notes=with_notes, notes_setting=notes_setting)
                                   for seat in held[1:]]
    return data


def couple_record(db: Session, user: User, seat: Partner, *, with_notes: bool, notes_setting: str) -> dict[str, Any]:
    """What the export holds of one couple ``user`` sat in, through their seat ``seat``."""
    data = couple_part(db, user, seat)
    data["consents"] = consents(db, seat)
    data["your_private_intake"] = private_intake(db, seat)
    data["shared_part"] = shared_part(db, seat)
    data.update(sessions(db, user, seat))
    data.update(after_sessions(db, seat))
    data["matching"] = matching(db, user, seat)
    data["coach_notes"] = (coach_notes(db, seat) if with_notes
                           else {"included": False, "setting": notes_setting})
    return data
