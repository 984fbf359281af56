"""Matching use cases: propose coaches to a couple, record a choice, rematch, assign by hand."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Text, cast, exists, func, literal, select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import Role, User
from coaching.coaches.models import CoachProfile, coach_session_types
from coaching.intake.models import Couple, CoupleStatus
from coaching.matching.models import CoachAssignment, MatchFeedback, RematchRequest
from coaching.matching.open_times import open_times
from coaching.matching.overlap import merge, shared_free
from coaching.matching.scoring import (CoachOffer, CoupleNeeds, Interval, Match, Ranking, Weights, exclusion, rank,
                                       rank_open)
from coaching.notify.outbox import queue_email
from coaching.scheduling.models import SessionType
from coaching.scheduling import slots as engine
from coaching.scheduling.services import availabilities_of, busy_by_coach, rules_of

WINDOW = timedelta(days=21)


class MatchingError(Exception):
    """A matching request was refused; the message is safe to show."""


@dataclass
class Proposal:
    couple: Couple
    needs: CoupleNeeds
    session_type: SessionType | None
    ranking: Ranking

    @property
    def top(self) -> list[Match]:
        return self.ranking.top(current_app.config.get("MATCH_TOP_N", 3))


# --- loading ---------------------------------------------------------------------------------


def needs_of(db: Session, couple: Couple, now: datetime) -> CoupleNeeds:
    """The couple's matching needs, from the intake, with their shared free time for 21 days."""
    from coaching.intake.services import matching_profile

    profile = matching_profile(db, couple)
    partners = [(p.timezone, p.free_times) for p in profile.availability if p.timezone]
    return CoupleNeeds(
        concerns=profile.concerns, languages_a=profile.languages_a, languages_b=profile.languages_b,
        shared_free=tuple(shared_free(partners, now, now + WINDOW)),
        timezones=tuple(zone for zone, _ in partners) or ("UTC",),
        format=profile.format, budget_cents=profile.budget_cents, gender=profile.gender,
        faith_based=profile.faith_based, lgbtq_affirming=profile.lgbtq_affirming,
        approach=profile.approach, language=profile.language,
    )


def matching_session_type(db: Session) -> SessionType | None:
    """The joint session whose price and open times matching weighs (``MATCH_SESSION_TYPE``)."""
    slug = current_app.config.get("MATCH_SESSION_TYPE", "consultation")
    return db.scalar(select(SessionType).where(SessionType.slug == slug))


def first_session_type(db: Session) -> SessionType | None:
    """What every couple's partners book first with the chosen coach: the welcome call."""
    slug = current_app.config.get("WELCOME_SESSION_TYPE", "welcome")
    return db.scalar(select(SessionType).where(SessionType.slug == slug, SessionType.active.is_(True)))


def _active_couples(db: Session) -> dict[int, int]:
    rows = db.execute(select(Couple.coach_id, func.count()).where(
        Couple.coach_id.is_not(None), Couple.status != CoupleStatus.CLOSED).group_by(Couple.coach_id))
    return {coach_id: count for coach_id, count in rows}


def _offers(db: Session, session_type: SessionType | None, active: dict[int, int], welcome_slug: str
            ) -> list[CoachOffer]:
    """Every active coach as matching sees them (no open times yet): one column-only query, the
    session types they offer asked as two EXISTS, the JSON lists read as text (``_terms``)."""
    p, offered = CoachProfile, coach_session_types.c
    offers_type = (exists().where(offered.coach_id == p.id, offered.session_type_id == session_type.id)
                   if session_type is not None else literal(False))
    offers_welcome = exists().where(offered.coach_id == p.id, offered.session_type_id == SessionType.id,
                                    SessionType.slug == welcome_slug, SessionType.active.is_(True))
    rows = db.execute(select(p.id, User.name, p.timezone, cast(p.languages, Text), cast(p.specialties, Text),
                             cast(p.approaches, Text), cast(p.formats, Text), p.gender, p.lgbtq_affirming,
                             p.faith_based, p.safety_trained, p.accepting_new, p.max_active_couples,
                             offers_type, offers_welcome).join(User, User.id == p.user_id)
                      .where(User.is_active.is_(True)).order_by(p.id))
    price = session_type.price_cents if session_type is not None else None
    return [CoachOffer(
        coach_id=coach_id, name=name, timezone=timezone, languages=_terms(languages),
        specialties=_terms(specialties), approaches=_terms(approaches), formats=_terms(formats), gender=gender,
        lgbtq_affirming=lgbtq, faith_based=faith, safety_trained=safety, accepting_new=accepting,
        active_couples=active.get(coach_id, 0), max_active_couples=capacity,
        price_cents=price if has_type else None, offers_welcome=bool(welcome))
        for (coach_id, name, timezone, languages, specialties, approaches, formats, gender, lgbtq, faith, safety,
             accepting, capacity, has_type, welcome) in rows]


_TERMS: dict[str, frozenset[str]] = {}  # a profile's JSON list as text -> its terms; coaches share most lists


def _terms(text: str | None) -> frozenset[str]:
    if text is None:
        return frozenset()
    found = _TERMS.get(text)
    if found is None:
        found = frozenset(json.loads(text) or ())
        if len(_TERMS) < 10_000:
            _TERMS[text] = found
    return found


# --- use cases -------------------------------------------------------------------------------


def propose(db: Session, couple: Couple, now: datetime) -> Proposal:
    """Rank every coach for ``couple``; hard filters first, slots only for the eligible.

    The safety screen is not an input: both partners' proposals are the same whatever it said."""
    needs = needs_of(db, couple, now)
    session_type = matching_session_type(db)
    weights = Weights.from_mapping(current_app.config.get("MATCH_WEIGHTS"))
    welcome = current_app.config.get("WELCOME_SESSION_TYPE", "welcome")
    offers = _offers(db, session_type, _active_couples(db), welcome)
    zones = {o.coach_id: o.timezone for o in offers if exclusion(needs, o, require_open_slots=False) is None}
    times = open_times(db, zones, session_type, now, WINDOW) if session_type else {}
    if times is not None:  # from this process's cache, kept exact by the coaches' generations
        return Proposal(couple, needs, session_type, rank_open(needs, offers, times, weights, now))
    assert session_type is not None
    slots = _open_slots(db, zones, session_type, merge(needs.shared_free), now)
    offers = [replace(o, open_slots=tuple(slots.get(o.coach_id, ()))) for o in offers]
    return Proposal(couple, needs, session_type, rank(needs, offers, weights, now))


def _open_slots(db: Session, zones: dict[int, str], session_type: SessionType, shared: list[Interval],
                now: datetime) -> dict[int, list[Interval]]:
    """What ranking needs of each coach's open times in the window: those inside the couple's
    shared free time, or else the first one (an open time at all keeps the coach eligible).
    Computed from the database each time: when the open-times cache cannot be used.

    Ranking reads open times only through ``slots_inside`` and "are there any", so this ranks
    exactly as the full lists would, without stepping through every open time of every coach."""
    end = now + WINDOW
    availabilities = availabilities_of(db, zones, now, end)
    busy = busy_by_coach(db, zones, session_type.id, now, end, now)
    rules = rules_of(session_type)
    out: dict[int, list[Interval]] = {}
    for cid in zones:
        found = engine.free_slots(availabilities[cid], rules, busy[cid], now, end, now, within=shared)
        if not found:
            for lo, hi in ((now, now + timedelta(days=2)), (now + timedelta(days=2), end)):
                found = engine.free_slots(availabilities[cid], rules, busy[cid], lo, hi, now)[:1]
                if found:
                    break
        out[cid] = found
    return out


def _require_current(couple: Couple) -> None:
    """A couple that has ended chooses no coach and asks for no other (nothing more for the
    former partner to see or agree to)."""
    if any(p.ended_at is not None for p in couple.partners):
        raise MatchingError("Your couple has ended. To start again with a new partner, see Your couple.")


def require_matching_open(db: Session, couple: Couple) -> None:
    """Raise unless the couple is current, has no coach and both partners finished the intake."""
    from coaching.intake.services import matching_profile

    _require_current(couple)
    if couple.coach_id is not None:
        raise MatchingError("You already have a coach.")
    if not matching_profile(db, couple).complete:
        raise MatchingError("Matching opens when both of you have finished the questionnaire.")


def choose_coach(db: Session, couple: Couple, user: User, coach_id: int, now: datetime) -> CoachAssignment:
    """Assign one of the couple's current proposals; refuse any other coach."""
    require_matching_open(db, couple)
    if couple.partner_for(user.id) is None:
        raise MatchingError("Only a partner of this couple can choose its coach.")
    proposal = propose(db, couple, now)
    match = next((m for m in proposal.top if m.coach_id == coach_id), None)
    if match is None:
        raise MatchingError("That coach is not one of your proposals any more. Please choose again.")
    assignment = _assign(db, couple, coach_id, method="chosen", chosen_by=user,
                         reason="; ".join(match.reasons) or "Chosen from the proposals", parts=match.parts)
    coach = db.get(CoachProfile, coach_id)
    for partner in couple.partners:
        if partner.user is not None and partner.user_id != user.id:
            queue_email(db, partner.user.email, "match_chosen", partner=partner.user, chooser=user,
                        coach_name=coach.name if coach else "your coach")
    db.commit()
    return assignment


def _assign(db: Session, couple: Couple, coach_id: int, *, method: str, chosen_by: User | None,
            reason: str, parts: dict[str, float]) -> CoachAssignment:
    for current in db.scalars(select(CoachAssignment).where(CoachAssignment.couple_id == couple.id,
                                                            CoachAssignment.ended_at.is_(None))):
        current.ended_at = clock.now()
    assignment = CoachAssignment(couple_id=couple.id, coach_id=coach_id, method=method,
                                 chosen_by_id=chosen_by.id if chosen_by else None, reason=reason[:4000],
                                 score_parts=parts)
    db.add(assignment)
    if couple.coach_id != coach_id:
        couple.joint_opening = None  # a new coach begins with their own welcome calls
    couple.coach_id = coach_id
    couple.status = CoupleStatus.ACTIVE
    return assignment


def assign_by_admin(db: Session, couple: Couple, coach_id: int, admin: User, reason: str) -> CoachAssignment:
    """Manual assignment with the admin's written reason (any active coach)."""
    if not reason.strip():
        raise MatchingError("Write the reason for this assignment.")
    coach = db.get(CoachProfile, coach_id)
    if coach is None or not coach.user.is_active:
        raise MatchingError("No such coach.")
    assignment = _assign(db, couple, coach_id, method="admin", chosen_by=admin, reason=reason.strip(), parts={})
    db.commit()
    return assignment


def none_fit(db: Session, couple: Couple, user: User, missing: str, proposed: list[int]) -> None:
    """Record what was missing and tell the admins."""
    db.add(MatchFeedback(couple_id=couple.id, user_id=user.id, missing=missing.strip()[:4000],
                         proposed_coach_ids=proposed))
    for admin in db.scalars(select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))):
        queue_email(db, admin.email, "match_none_fit", couple_id=couple.id)
    db.commit()


def request_rematch(db: Session, couple: Couple, user: User, reason: str) -> RematchRequest:
    """Ask for another coach; the assignment ends only when the other partner agrees."""
    _require_current(couple)
    if couple.coach_id is None:
        raise MatchingError("You do not have a coach yet.")
    open_request = db.scalar(select(RematchRequest).where(RematchRequest.couple_id == couple.id,
                                                          RematchRequest.resolved_at.is_(None)))
    if open_request is not None:
        if open_request.requested_by_id == user.id:
            raise MatchingError("You have already asked; your partner needs to agree.")
        open_request.agreed_by_id = user.id
        open_request.resolved_at = clock.now()
        for current in db.scalars(select(CoachAssignment).where(CoachAssignment.couple_id == couple.id,
                                                                CoachAssignment.ended_at.is_(None))):
            current.ended_at = clock.now()
        couple.coach_id = None
        couple.joint_opening = None
        couple.status = CoupleStatus.MATCHING
        db.commit()
        return open_request
    request = RematchRequest(couple_id=couple.id, requested_by_id=user.id, reason=reason.strip()[:1000])
    db.add(request)
    db.commit()
    return request


def assignment_history(db: Session, couple: Couple) -> list[CoachAssignment]:
    return list(db.scalars(select(CoachAssignment).where(CoachAssignment.couple_id == couple.id)
                           .order_by(CoachAssignment.created_at.desc(), CoachAssignment.id.desc())))
