"""Scoring the private part: the CSI-4 and the safety screen. Pure: values in, values out.

CSI-4 (Funk & Rogge, 2007): item 1 scores 0-6, items 2-4 score 0-5, the total 0-21; a
total below 13.5 indicates notable relationship dissatisfaction.

The safety screen is positive when the partner reports any fear of their partner, physical
harm, threats, pressured or forced sexual activity, or thoughts of self-harm. Coercive
control answers (monitoring, money, isolation) are reported as reasons for the coach but
do not on their own make the screen positive (the rule the practice asked for).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__pure__ = True

CSI4_ITEMS = {"csi1": 6, "csi2": 5, "csi3": 5, "csi4": 5}  # item -> highest score
CSI4_MAX = sum(CSI4_ITEMS.values())
CSI4_CUTOFF = 13.5

SAFETY_QUESTIONS = ("fear", "physical_harm", "threats", "monitoring", "money", "isolation",
                    "forced_sex", "self_harm")
POSITIVE_REASONS = ("fear", "physical_harm", "threats", "forced_sex", "self_harm")
REASON_LABELS = {
    "fear": "afraid of partner",
    "physical_harm": "physical harm in the past year",
    "threats": "threats",
    "forced_sex": "pressured or forced sexual activity",
    "self_harm": "thoughts of self-harm",
    "coercive_control": "coercive control (monitoring, money or isolation)",
}


@dataclass(frozen=True)
class Csi4Score:
    total: int
    dissatisfied: bool

    @property
    def band(self) -> str:
        return "notable dissatisfaction" if self.dissatisfied else "not in the distressed range"


def score_csi4(items: Mapping[str, int | str]) -> Csi4Score:
    """The CSI-4 total and band; ``ValueError`` for a missing, unknown or out-of-range item."""
    if set(items) != set(CSI4_ITEMS):
        raise ValueError(f"CSI-4 needs exactly the items {sorted(CSI4_ITEMS)}")
    total = 0
    for item, highest in CSI4_ITEMS.items():
        raw = items[item]
        if isinstance(raw, bool) or not str(raw).isdigit():
            raise ValueError(f"{item} must be a whole number")
        value = int(raw)
        if not 0 <= value <= highest:
            raise ValueError(f"{item} must be between 0 and {highest}")
        total += value
    return Csi4Score(total=total, dissatisfied=total < CSI4_CUTOFF)


@dataclass(frozen=True)
class SafetyResult:
    positive: bool
    reasons: tuple[str, ...]

    @property
    def self_harm(self) -> bool:
        return "self_harm" in self.reasons

    @property
    def reason_labels(self) -> tuple[str, ...]:
        return tuple(REASON_LABELS[r] for r in self.reasons)


def evaluate_safety(answers: Mapping[str, str]) -> SafetyResult:
    """Evaluate a completed screen; ``ValueError`` if a question is unanswered or unknown."""
    missing = [q for q in SAFETY_QUESTIONS if answers.get(q) in (None, "")]
    if missing:
        raise ValueError(f"unanswered safety questions: {', '.join(missing)}")
    fear = answers["fear"]
    if fear not in ("never", "sometimes", "often"):
        raise ValueError("fear must be never, sometimes or often")
    for q in SAFETY_QUESTIONS[1:]:
        if answers[q] not in ("yes", "no"):
            raise ValueError(f"{q} must be yes or no")
    reasons = []
    if fear != "never":
        reasons.append("fear")
    reasons += [q for q in ("physical_harm", "threats", "forced_sex", "self_harm") if answers[q] == "yes"]
    positive = bool(reasons)
    if any(answers[q] == "yes" for q in ("monitoring", "money", "isolation")):
        reasons.append("coercive_control")
    return SafetyResult(positive=positive, reasons=tuple(reasons))
