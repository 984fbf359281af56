"""Check-in use cases: send one, answer one, and the trends that coach and partner see.

Each use case takes the session, does one thing and commits. Refusals raise
``CheckinError`` (message safe to show) or ``CheckinNotFound`` (shown as a 404); invalid
answers raise ``questionnaire.AnswersInvalid``/``UnknownVersion`` before anything is written.

Privacy: a partner's answers and scores are seen by that partner, the assigned coach and
admins. A positive re-screen raises a safety flag exactly as at intake and changes nothing
else: no couple state, no email or page of the other partner.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, joinedload

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.audit.services import record
from coaching.checkins import chart
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.db import immediate
from coaching.intake import questionnaire as qn
from coaching.intake.models import Couple, Partner, SafetyFlag, SatisfactionResponse
from coaching.intake.scoring import SafetyResult, evaluate_safety, score_csi4
from coaching.intake.services import has_consent
from coaching.notify.outbox import queue_email
from coaching.scheduling.models import Booking, BookingStatus, SessionKind, SessionType

CSI_KEYS = ("csi1", "csi2", "csi3", "csi4")
SEND_GAP = timedelta(days=1)  # a coach's second check-in within a day is refused (double clicks, spam)


class CheckinError(Exception):
    """The use case was refused; the message is safe to show to the user."""


class CheckinNotFound(CheckinError):
    """No such check-in for this person (shown as a 404: its existence is private)."""


class AlreadyAnswered(CheckinError):
    """The partner has already answered this check-in; answers are never overwritten."""

    def __init__(self) -> None:
        super().__init__("You have already answered this check-in. Thank you.")


# --- the one call into the intake's safety flag ----------------------------------------------


def raise_safety_flag(db: Session, partner: Partner, now: datetime) -> None:
    """Route a positive re-screen exactly as at intake: a flag for admins and the coach.

    The check-in's only call into the intake's flag service. The safety branch provides
    ``coaching.intake.safety.raise_safety_flag(db, partner, now)`` (flag + neutral emails to
    admins and the coach, no couple state); until it is merged, the same steps are taken here
    with the intake's current pieces. Never commits; changes nothing the other partner sees.
    """
    from coaching.intake import safety

    intake_raise = getattr(safety, "raise_safety_flag", None)
    if intake_raise is not None:
        intake_raise(db, partner, now)
        return
    db.add(SafetyFlag(couple_id=partner.couple_id, partner_id=partner.id, raised_at=now))
    safety._tell_admins(db)  # noqa: SLF001 - the intake's admin notice, until the rename lands


# --- sending ---------------------------------------------------------------------------------


def _create(db: Session, couple: Couple, *, sent_by: User | None, after_sessions: int | None,
            now: datetime, notify: bool = True) -> CheckIn:
    checkin = CheckIn(couple_id=couple.id, sent_by_id=sent_by.id if sent_by else None,
                      after_sessions=after_sessions, created_at=now)
    db.add(checkin)
    db.flush()
    if notify:
        link = current_app.config["TANDEM_BASE_URL"] + url_for("checkins.mine")
        for partner in couple.partners:
            if partner.user is not None and partner.user.is_active:
                # The same neutral words for both partners: no scores, no answers.
                queue_email(db, partner.user.email, "checkin_requested", name=partner.user.name, link=link)
    return checkin


def send_checkin(db: Session, coach: User, couple: Couple) -> CheckIn:
    """The assigned coach asks both partners for a check-in; each is emailed neutrally.

    ``CheckinNotFound`` unless ``coach`` is the couple's assigned coach; ``CheckinError``
    while a partner has not joined yet or when a check-in was sent less than a day ago.
    """
    from coaching.security import coach_profile_of

    profile = coach_profile_of(coach) if coach.role == Role.COACH else None
    if profile is None or couple.coach_id != profile.id:
        raise CheckinNotFound("No such couple.")
    if len([p for p in couple.partners if p.user_id is not None]) < 2:
        raise CheckinError("Both partners need to have joined before a check-in can be sent.")
    now = clock.now()
    with immediate(db):  # SQLite: two clicks at once are serialised and the second is refused
        recent = db.scalar(select(CheckIn.id).where(CheckIn.couple_id == couple.id,
                                                    CheckIn.created_at > now - SEND_GAP).limit(1))
        if recent is not None:
            db.rollback()
            raise CheckinError("A check-in was sent to this couple less than a day ago.")
        checkin = _create(db, couple, sent_by=coach, after_sessions=None, now=now)
        db.commit()
    return checkin


def completed_joint_sessions(db: Session, couple_id: int) -> int:
    """How many of the couple's joint sessions are completed (individual ones are private)."""
    return db.scalar(select(func.count(Booking.id)).join(SessionType, SessionType.id == Booking.session_type_id)
                     .where(Booking.couple_id == couple_id, Booking.status == BookingStatus.COMPLETED,
                            SessionType.kind == SessionKind.JOINT)) or 0


def on_booking_completed(booking: Booking, *, db: Session, now: datetime, **_: Any) -> None:
    """Every ``CHECKIN_EVERY_SESSIONS`` completed joint sessions, send the couple a check-in.

    Runs inside the marking transaction (no commit). An individual session never counts:
    the other partner's emails must not reveal it. Each milestone makes one check-in at most.
    """
    every = int(current_app.config.get("CHECKIN_EVERY_SESSIONS") or 0)
    if every <= 0 or booking.couple_id is None or booking.session_type_id is None:
        return
    session_type = db.get(SessionType, booking.session_type_id)
    if session_type is None or session_type.kind != SessionKind.JOINT:
        return
    db.flush()
    count = completed_joint_sessions(db, booking.couple_id)
    if count == 0 or count % every:
        return
    if db.scalar(select(CheckIn.id).where(CheckIn.couple_id == booking.couple_id,
                                          CheckIn.after_sessions == count)) is not None:
        return
    couple = db.get(Couple, booking.couple_id)
    try:
        with db.begin_nested():
            _create(db, couple, sent_by=None, after_sessions=count, now=now)  # type: ignore[arg-type]
    except IntegrityError:
        pass  # another request made this milestone's check-in at the same moment


def connect() -> None:
    """Subscribe to scheduling's completion signal (idempotent)."""
    from coaching.scheduling import events

    events.booking_completed.connect(on_booking_completed)


# --- answering -------------------------------------------------------------------------------


def checkin_for(db: Session, partner: Partner, checkin_id: int) -> CheckIn:
    """A check-in of the partner's own couple; ``CheckinNotFound`` for any other id."""
    checkin = db.get(CheckIn, checkin_id)
    if checkin is None or checkin.couple_id != partner.couple_id:
        raise CheckinNotFound("No such check-in.")
    return checkin


def response_of(db: Session, partner: Partner, checkin: CheckIn) -> CheckInResponse | None:
    """The partner's own answer to ``checkin`` (never the other partner's)."""
    return db.scalar(select(CheckInResponse).where(CheckInResponse.checkin_id == checkin.id,
                                                   CheckInResponse.partner_id == partner.id))


def open_checkins(db: Session, partner: Partner) -> list[CheckIn]:
    """The partner's couple's check-ins this partner has not answered, newest first.

    Depends only on the couple's check-ins and this partner's own answers.
    """
    answered = select(CheckInResponse.checkin_id).where(CheckInResponse.partner_id == partner.id)
    return list(db.scalars(select(CheckIn).where(CheckIn.couple_id == partner.couple_id,
                                                 CheckIn.id.not_in(answered))
                           .order_by(CheckIn.created_at.desc(), CheckIn.id.desc())))


def validate_answers(version: int, form: Mapping[str, Sequence[str]]) -> tuple[dict[str, int], dict[str, str]]:
    """The CSI-4 items and the safety answers from one form; ``AnswersInvalid`` for any error."""
    questions = qn.questionnaire(version)
    errors: dict[str, str] = {}
    csi: dict[str, Any] = {}
    screen: dict[str, Any] = {}
    try:
        csi = qn.validate(questions.step("satisfaction"), form)
    except qn.AnswersInvalid as exc:
        errors.update(exc.errors)
    try:
        screen = qn.validate(questions.safety, form)
    except qn.AnswersInvalid as exc:
        errors.update(exc.errors)
    if errors:
        raise qn.AnswersInvalid(errors)
    return {k: int(csi[k]) for k in CSI_KEYS}, screen


def submit(db: Session, partner: Partner, checkin_id: int, version: object,
           form: Mapping[str, Sequence[str]]) -> SafetyResult:
    """Store the partner's one answer to a check-in; a positive screen raises a flag.

    Refusals (nothing stored): ``CheckinNotFound`` (not their couple's), ``UnknownVersion``,
    ``CheckinError`` (no consent), ``AlreadyAnswered`` (also for a concurrent second
    submit), ``AnswersInvalid``.
    """
    checkin = checkin_for(db, partner, checkin_id)
    if response_of(db, partner, checkin) is not None:
        raise AlreadyAnswered()  # before looking at the answers: a replay is refused as such
    v = qn.accepted_version(version)
    if not has_consent(db, partner):
        raise CheckinError("Please read and agree to how we handle your answers first.")
    items, answers = validate_answers(v, form)
    score_csi4(items)  # the same rule as the intake (raises on a tampered value)
    result = evaluate_safety(answers)
    with immediate(db):  # SQLite: the write lock first, so a second submit waits and sees the first
        if response_of(db, partner, checkin) is not None:
            db.rollback()
            raise AlreadyAnswered()
        now = clock.now()
        db.add(CheckInResponse(checkin_id=checkin.id, partner_id=partner.id, version=v, csi_items=items,
                               safety_answers=answers, answered_at=now,
                               safety_result={"positive": result.positive, "reasons": list(result.reasons)}))
        try:
            db.flush()
        except IntegrityError as exc:  # PostgreSQL: the other submit committed first
            db.rollback()
            raise AlreadyAnswered() from exc
        if result.positive:
            raise_safety_flag(db, partner, now)
        try:
            db.commit()
        except IntegrityError as exc:
            db.rollback()
            raise AlreadyAnswered() from exc
    return result


def result_of(response: CheckInResponse) -> SafetyResult:
    return SafetyResult(positive=bool(response.safety_result["positive"]),
                        reasons=tuple(response.safety_result["reasons"]))


# --- trends ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Score:
    total: int
    distressed: bool


@dataclass(frozen=True)
class Occasion:
    """One column of the trend: the intake or one check-in, with each partner's score."""

    label: str
    at: datetime | None
    checkin_id: int | None
    scores: tuple[Score | None, ...]  # by partner, in ``Trend.names`` order
    screens: tuple[bool | None, ...]  # positive re-screen per partner (staff only; None: none)
    diverges: bool


@dataclass(frozen=True)
class Trend:
    """What the chart, the table and the latest scores show (one or two partners)."""

    names: tuple[str, ...]
    occasions: tuple[Occasion, ...]
    chart: chart.Chart
    pending: int = 0  # check-ins nobody has answered yet (staff view)

    def latest(self, index: int) -> tuple[Occasion, Score] | None:
        """The partner's most recent score and its occasion, or None."""
        for occasion in reversed(self.occasions):
            if occasion.scores[index] is not None:
                return occasion, occasion.scores[index]  # type: ignore[return-value]
        return None


def _score(items: Mapping[str, int]) -> Score:
    result = score_csi4(items)
    return Score(total=result.total, distressed=result.dissatisfied)


def _label(at: datetime, zone: str) -> str:
    local = at.astimezone(ZoneInfo(zone))
    return f"{local.day} {local.strftime('%b %Y')}"


def _intake_items(db: Session, partner_ids: Sequence[int]) -> dict[int, SatisfactionResponse]:
    rows = db.scalars(select(SatisfactionResponse).where(SatisfactionResponse.partner_id.in_(partner_ids),
                                                         SatisfactionResponse.source == "intake")
                      .order_by(SatisfactionResponse.id)).all()
    return {row.partner_id: row for row in rows}  # the latest per partner wins


def _build(names: Sequence[str], occasions: list[Occasion], pending: int = 0) -> Trend:
    series = [chart.Series(name=name, style="ab"[i], scores=tuple(o.scores[i].total if o.scores[i] else None
                                                                 for o in occasions))
              for i, name in enumerate(names)]
    return Trend(names=tuple(names), occasions=tuple(occasions), pending=pending,
                 chart=chart.build_chart([o.label for o in occasions], series))


def couple_trend(db: Session, couple: Couple, viewer: User) -> Trend:
    """Both partners' scores over time for the assigned coach or an admin; audited.

    A constant number of queries whatever the number of check-ins (partners with users,
    intake scores, check-ins, responses). Records a "checkin_read" access-log entry and
    commits it. ``CheckinNotFound`` for anyone else (the caller has checked already; this
    is the second lock on the door).
    """
    from coaching.security import can_see_couple

    if viewer.role not in (Role.COACH, Role.ADMIN) or not can_see_couple(viewer, couple):
        raise CheckinNotFound("No such couple.")
    zone = viewer.timezone or "UTC"
    partners = list(db.scalars(select(Partner).options(joinedload(Partner.user))
                               .where(Partner.couple_id == couple.id).order_by(Partner.slot)))
    ids = [p.id for p in partners]
    names = [p.user.name if p.user else f"Partner {p.slot.upper()}" for p in partners]
    intake = _intake_items(db, ids)
    checkins = db.scalars(select(CheckIn).where(CheckIn.couple_id == couple.id)
                          .order_by(CheckIn.created_at, CheckIn.id)).all()
    responses = {(r.checkin_id, r.partner_id): r for r in db.scalars(
        select(CheckInResponse).options(defer(CheckInResponse.safety_answers))  # not shown: not decrypted
        .join(CheckIn).where(CheckIn.couple_id == couple.id))}
    occasions: list[Occasion] = []
    if intake:
        scores = tuple(_score(intake[i].items) if i in intake else None for i in ids)
        occasions.append(_occasion("Intake", min(r.taken_at for r in intake.values()), None, scores,
                                   tuple(None for _ in ids)))
    pending = 0
    for c in checkins:
        mine = [responses.get((c.id, i)) for i in ids]
        if not any(mine):
            pending += 1
            continue
        occasions.append(_occasion(_label(c.created_at, zone), c.created_at, c.id,
                                   tuple(_score(r.csi_items) if r else None for r in mine),
                                   tuple(result_of(r).positive if r else None for r in mine)))
    record(db, actor=viewer, action="checkin_read", couple_id=couple.id, object_type="checkin_trend")
    db.commit()
    return _build(names, occasions, pending)


def trend_for_record(db: Session, couple: Couple, viewer: User) -> Trend | None:
    """``couple_trend`` for the coach's record page: None (nothing read, nothing logged) for a
    viewer who may not see the scores, such as a previous coach reading their own notes."""
    try:
        return couple_trend(db, couple, viewer)
    except CheckinNotFound:
        return None


def _occasion(label: str, at: datetime | None, checkin_id: int | None, scores: tuple[Score | None, ...],
              screens: tuple[bool | None, ...]) -> Occasion:
    both = [s for s in scores if s is not None]
    return Occasion(label=label, at=at, checkin_id=checkin_id, scores=scores, screens=screens,
                    diverges=len(both) == 2 and chart.diverges(both[0].total, both[1].total))


def partner_trend(db: Session, partner: Partner, zone: str) -> Trend:
    """The partner's own scores only: their intake, then each check-in they answered."""
    intake = _intake_items(db, [partner.id]).get(partner.id)
    occasions: list[Occasion] = []
    if intake is not None:
        occasions.append(_occasion("Intake", intake.taken_at, None, (_score(intake.items),), (None,)))
    rows = db.execute(select(CheckInResponse, CheckIn.created_at).join(CheckIn)
                      .options(defer(CheckInResponse.safety_answers), defer(CheckInResponse.safety_result))
                      .where(CheckInResponse.partner_id == partner.id)
                      .order_by(CheckIn.created_at, CheckIn.id)).all()
    for response, created_at in rows:
        occasions.append(_occasion(_label(created_at, zone), created_at, response.checkin_id,
                                   (_score(response.csi_items),), (None,)))
    return _build(["You"], occasions)
