"""Where a couple stands in the intake, and what each partner does next. Pure.

The facts are booleans about what was finished, never what was said, so the same
answer can be shown to either partner without revealing the other's content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__pure__ = True

PRIVATE_STEPS = ("view", "satisfaction", "safety")


@dataclass(frozen=True)
class PartnerFacts:
    slot: str
    joined: bool
    consented: bool = False
    personal_done: bool = False
    private_done: frozenset[str] = frozenset()  # of PRIVATE_STEPS

    @property
    def private_complete(self) -> bool:
        return set(PRIVATE_STEPS) <= self.private_done

    @property
    def finished(self) -> bool:
        return self.joined and self.consented and self.personal_done and self.private_complete


@dataclass(frozen=True)
class CoupleFacts:
    shared_missing: tuple[str, ...]  # shared steps that apply and are not answered yet, in order
    partners: tuple[PartnerFacts, ...]
    invite_pending: bool = False
    has_coach: bool = False
    joint_sessions_open: bool = False  # opened by the coach after the welcome calls

    def partner(self, slot: str) -> PartnerFacts | None:
        return next((p for p in self.partners if p.slot == slot), None)

    @property
    def shared_done(self) -> bool:
        return not self.shared_missing

    @property
    def complete(self) -> bool:
        return self.shared_done and len(self.partners) == 2 and all(p.finished for p in self.partners)


def next_step(facts: CoupleFacts, slot: str) -> str:
    """The next thing for the partner in ``slot`` to do.

    One of: "consent", "shared:<step>", "personal", "invite", "private:view",
    "private:satisfaction", "safety", "wait_for_partner", "matching", "welcome_calls",
    "joint_sessions". Before any answer is stored the partner consents. When everything is
    finished the couple chooses a coach; then each partner has a welcome call with the coach
    until the coach opens joint sessions. Nothing here depends on what anyone answered.
    """
    me = facts.partner(slot)
    if me is None or not me.joined:
        raise ValueError(f"no joined partner in slot {slot!r}")
    if not me.consented:
        return "consent"
    if facts.shared_missing:
        return f"shared:{facts.shared_missing[0]}"
    if not me.personal_done:
        return "personal"
    other = next((p for p in facts.partners if p.slot != slot), None)
    if slot == "a" and (other is None or (not other.joined and not facts.invite_pending)):
        return "invite"
    for step in PRIVATE_STEPS:
        if step not in me.private_done:
            return "safety" if step == "safety" else f"private:{step}"
    if not facts.complete:
        return "wait_for_partner"
    if not facts.has_coach:
        return "matching"
    return "joint_sessions" if facts.joint_sessions_open else "welcome_calls"


def checklist(facts: CoupleFacts, names: Mapping[str, str] | None = None) -> list[tuple[str, bool]]:
    """Status lines for the couple's page: (what, done). Only completion, never content."""
    names = names or {}
    lines = [("Shared part", facts.shared_done)]
    for p in sorted(facts.partners, key=lambda p: p.slot):
        who = names.get(p.slot) or ("First partner" if p.slot == "a" else "Second partner")
        lines.append((f"{who}: joined", p.joined))
        lines.append((f"{who}: where and when free", p.personal_done))
        lines.append((f"{who}: private part", p.private_complete))
    return lines


def finished_steps(done: Sequence[str]) -> frozenset[str]:
    return frozenset(s for s in done if s in PRIVATE_STEPS)


def step_position(shared_keys: Sequence[str], key: str) -> tuple[int, int]:
    """(number, total) of step ``key`` in one partner's questionnaire: the shared steps that
    apply (in order), then their own part, their private steps and the safety questions.
    Depends only on which shared steps apply, never on anyone's private answers."""
    order = [*shared_keys, "you", *PRIVATE_STEPS]
    return order.index(key) + 1, len(order)
