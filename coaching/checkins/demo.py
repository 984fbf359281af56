"""Demo check-ins for ``flask seed-demo``: the demo couple with history (Jordan and Casey, coached
by Ana; see ``coaching/notes/demo.py``) gets intake scores and three monthly check-ins, so Ana sees
the trend at once. Sam and Alex stay new, for walking through the intake."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching import clock
from coaching.accounts.models import User
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.coaches.models import CoachProfile
from coaching.intake.seats import home_seat
from coaching.intake.models import SatisfactionResponse
from coaching.intake.scoring import CSI4_ITEMS, score_csi4

DEMO_PARTNER_EMAIL = "jordan@example.com"  # partner A of the couple with history
# Days from now: the intake (before their consultation), then a check-in a month apart.
WHEN = (-105, -70, -42, -10)
# CSI-4 totals: the intake, then three monthly check-ins. Jordan starts in the distressed range
# and climbs past the cutoff; the partners diverge (7 apart, then either side of 13.5) until
# the last check-in, where both are above it.
TRENDS = {"a": (8, 10, 13, 16), "b": (15, 14, 16, 18)}
NEGATIVE_SCREEN = {"fear": "never", "physical_harm": "no", "threats": "no", "monitoring": "no", "money": "no",
                   "isolation": "no", "forced_sex": "no", "self_harm": "no"}


def items_for(total: int) -> dict[str, int]:
    """CSI-4 item scores adding up to ``total`` (0-21), spread as evenly as the items allow."""
    items, left = {}, total
    for i, (item, highest) in enumerate(CSI4_ITEMS.items()):
        remaining = len(CSI4_ITEMS) - i
        items[item] = min(highest, -(-left // remaining))
        left -= items[item]
    assert score_csi4(items).total == total
    return items


def seed_checkins(db: Session) -> list[str]:
    """Intake scores (if missing) and three answered check-ins for the couple with history; idempotent.

    Returns lines to print. Does nothing when the demo couple is missing or has check-ins.
    """
    user = db.scalar(select(User).where(User.email == DEMO_PARTNER_EMAIL))
    partner = home_seat(db, user.id) if user else None
    if partner is None:
        return []
    couple = partner.couple
    line = (f"  check-ins: Jordan's and Casey's own trends at /checkins; Ana sees both at "
            f"/coach/couples/{couple.id}/checkins")
    if db.scalar(select(CheckIn.id).where(CheckIn.couple_id == couple.id).limit(1)) is not None:
        return [line]
    seats = {p.slot: p for p in couple.partners}
    coach = db.get(CoachProfile, couple.coach_id) if couple.coach_id else None
    coach_user_id = coach.user_id if coach else None  # sent by their coach
    now = clock.now()
    for slot, p in seats.items():
        has_intake = db.scalar(select(SatisfactionResponse.id).where(
            SatisfactionResponse.partner_id == p.id, SatisfactionResponse.source == "intake").limit(1))
        if has_intake is None:
            db.add(SatisfactionResponse(partner_id=p.id, version=1, source="intake",
                                        items=items_for(TRENDS[slot][0]), taken_at=now + timedelta(days=WHEN[0])))
    for month in (1, 2, 3):
        sent = now + timedelta(days=WHEN[month])
        checkin = CheckIn(couple_id=couple.id, sent_by_id=coach_user_id, created_at=sent)
        db.add(checkin)
        db.flush()
        for slot, p in seats.items():
            db.add(CheckInResponse(checkin_id=checkin.id, partner_id=p.id, version=1,
                                   csi_items=items_for(TRENDS[slot][month]), safety_answers=NEGATIVE_SCREEN,
                                   safety_result={"positive": False, "reasons": []},
                                   answered_at=sent + timedelta(days=1, hours=1 if slot == "b" else 0)))
    db.commit()
    return [line]
