"""Read models of the intake: the shared part as both partners see it, and the staff summary.

``shared_view`` holds only shared answers. ``staff_summary`` holds both private parts and
the screens; callers must have checked that the viewer is an admin or the assigned coach.
Answers are shown with the labels of the questionnaire version they were given against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.intake import questionnaire as qn
from coaching.intake import safety, services
from coaching.intake.models import Couple, PrivateAnswer, SafetyFlag
from coaching.intake.scoring import Csi4Score, SafetyResult, score_csi4


@dataclass(frozen=True)
class AnswerLine:
    label: str
    value: str


@dataclass(frozen=True)
class StepView:
    title: str
    lines: tuple[AnswerLine, ...]
    who: str = ""
    version: int = qn.CURRENT_VERSION


def _format(q: qn.Question, value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if q.kind == "choice":
        return q.choice_label(str(value))
    if q.kind in ("multi", "ranked"):
        labels = [q.choice_label(v) for v in value]
        return ", ".join(f"{i}. {label}" for i, label in enumerate(labels, 1)) if q.kind == "ranked" \
            else ", ".join(labels)
    if q.kind == "grid":
        # Monday..Sunday, whatever order the stored JSON came back in (PostgreSQL sorts keys).
        order = {d: i for i, d in enumerate(qn.DAYS)}
        days = sorted(value.items(), key=lambda item: (order.get(item[0], len(order)), str(item[0])))
        return "; ".join(f"{qn.DAY_NAMES.get(d, d)} " + ", ".join(f"{a}-{b}" for a, b in ranges)
                         for d, ranges in days)
    return str(value)


def step_view(step_key: str, version: int, answers: dict[str, Any], who: str = "") -> StepView:
    """Answers with their questions' labels; an unknown version shows the raw keys."""
    try:
        step = qn.questionnaire(version).step(step_key)
    except (qn.UnknownVersion, KeyError):
        return StepView(step_key, tuple(AnswerLine(k, str(v)) for k, v in answers.items()), who, version)
    return StepView(step.title, tuple(AnswerLine(q.label, _format(q, answers.get(q.key))) for q in step.questions),
                    who, version)


@dataclass
class SharedView:
    steps: list[StepView] = field(default_factory=list)
    personal: list[StepView] = field(default_factory=list)


def shared_view(db: Session, couple: Couple) -> SharedView:
    """The shared part of ``couple``: what both partners may read."""
    rows = services.shared_answers(db, couple)
    view = SharedView()
    for step in qn.questionnaire().shared:
        row = rows.get(step.key)
        if row is not None:
            view.steps.append(step_view(step.key, row.version, row.answers))
    for p in couple.partners:
        row = rows.get(f"you:{p.slot}")
        if row is not None:
            name = p.user.name if p.user else "Invited partner"
            view.personal.append(step_view("you", row.version, row.answers, who=name))
    return view


@dataclass
class PrivateView:
    name: str
    slot: str
    steps: list[StepView]
    csi: Csi4Score | None
    safety: SafetyResult | None
    safety_answers: StepView | None


@dataclass
class StaffSummary:
    couple: Couple
    shared: SharedView
    partners: list[PrivateView]
    flags: list[SafetyFlag]


def staff_summary(db: Session, couple: Couple) -> StaffSummary:
    """Everything the intake holds about ``couple``, for admins and the assigned coach."""
    partners = []
    for p in couple.partners:
        if p.user_id is None:
            continue
        steps, csi = [], None
        for answer in db.scalars(select(PrivateAnswer).where(PrivateAnswer.partner_id == p.id)
                                 .order_by(PrivateAnswer.step.desc())):
            steps.append(step_view(answer.step, answer.version, answer.answers))
        row = services.latest_satisfaction(db, p)
        if row is not None:
            csi = score_csi4(row.items)
            steps.append(step_view("satisfaction", row.version, {k: str(v) for k, v in row.items.items()}))
        screen = safety.screen_of(db, p)
        partners.append(PrivateView(
            name=p.user.name if p.user else "Former partner", slot=p.slot, steps=steps, csi=csi,
            safety=safety.result_of(screen),
            safety_answers=step_view("safety", screen.version, screen.answers) if screen else None))
    return StaffSummary(couple=couple, shared=shared_view(db, couple), partners=partners,
                        flags=safety.flags_of_couple(db, couple.id))
