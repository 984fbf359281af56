"""A couple whose every field carries a marker, for the data-export tests.

Sam (partner A) and Alex (partner B) each get a marker string (``AMARK-...`` / ``BMARK-...``)
in every private field: private answers, CSI-4, safety screen, consents, seat, shared-part
change history, individual sessions (cancel reason, video room), payments, refunds, package
credits, reflections (even one shared with the other partner), check-in answers, match
feedback, rematch reasons, sign-ins, API tokens, invitations, notes of their individual
sessions. What both share carries ``SHARED-...`` markers (the shared part, a joint session,
a joint summary); a couple note ``COUPLE-NOTE-MARK``.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from coaching import clock, db
from coaching.accounts.models import ApiToken, LoginSession, Role, User
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.homework.models import HomeworkItem, Reflection, ReflectionAudience, SharedSummary
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
from coaching.matching.models import MatchFeedback, RematchRequest
from coaching.payments.models import CreditEntry, Package, PackagePurchase, Payment, Provider, Refund
from coaching.payments.states import PaymentStatus
from coaching.scheduling.models import Booking, BookingStatus, SessionKind
from tests.notes_data import write
from tests.scheduling_data import create_coach, create_couple, create_session_type, create_user_row, user_by_email

SAM, ALEX, COACH, ADMIN = "sam@example.com", "alex@example.com", "cora@example.com", "root@example.com"
SHARED_MARKERS = ("SHARED-ANSWER-MARK", "SHARED-JOINT-VIDEO-MARK", "SHARED-SUMMARY-MARK", "SHARED-HOMEWORK-MARK")
NOTE_MARKERS = ("COUPLE-NOTE-MARK",)

# Markers of one partner, by field (``{p}`` is A or B). Notes are separate: only in released exports.
FIELDS = ("private-answer", "csi", "screen-answer", "screen-result", "consent", "seat", "change",
          "cancel-reason", "video", "payment-description", "payment-reference", "receipt", "refund",
          "credit", "summary", "homework", "reflection", "checkin-csi", "checkin-safety", "checkin-result",
          "feedback", "rematch", "agent", "token-name", "invite")


def markers(p: str) -> list[str]:
    return [f"{p}MARK-{f}" for f in FIELDS]


def note_marker(p: str) -> str:
    return f"{p}MARK-note"


@dataclass
class World:
    couple_id: int
    seats: dict[str, int]


def _fill_partner(p: str, user: User, seat: Partner, couple_id: int, coach_id: int, solo, package: Package,
                  joint_summary: SharedSummary, checkin: CheckIn, coach_user: User) -> None:
    now = clock.now()
    m = lambda f: f"{p}MARK-{f}"  # noqa: E731
    s = db.session
    s.add(PrivateAnswer(partner_id=seat.id, step="own_view", version=1, answers={"story": m("private-answer")}))
    s.add(SatisfactionResponse(partner_id=seat.id, version=1, items={m("csi"): 3}))
    s.add(SafetyScreen(partner_id=seat.id, version=1, answers={"afraid": m("screen-answer")},
                       result={"positive": False, "why": m("screen-result")}))
    s.add(Consent(partner_id=seat.id, user_id=user.id, version=m("consent"), terms=True, sharing=True,
                  sensitive_data=True))
    seat.free_times = {"mon": [[m("seat"), "21:00"]]}
    s.add(SharedAnswerChange(couple_id=couple_id, partner_id=seat.id, step="goals", changed_keys=[m("change")]))
    start = now - timedelta(days=3 if p == "A" else 4)
    solo_booking = Booking(coach_id=coach_id, couple_id=couple_id, session_type_id=solo.id, booked_by_id=user.id,
                           starts_at=start, ends_at=start + timedelta(minutes=50), status=BookingStatus.COMPLETED,
                           video_url=f"https://video.test/{m('video')}", ical_uid=uuid.uuid4().hex)
    cancelled_start = now + timedelta(days=5 if p == "A" else 6)
    cancelled = Booking(coach_id=coach_id, couple_id=couple_id, session_type_id=solo.id, booked_by_id=user.id,
                        starts_at=cancelled_start, ends_at=cancelled_start + timedelta(minutes=50),
                        status=BookingStatus.CANCELLED, cancelled_at=now, cancelled_by_id=user.id,
                        cancel_reason=m("cancel-reason"), ical_uid=uuid.uuid4().hex)
    s.add_all([solo_booking, cancelled])
    s.flush()
    payment = Payment(booking_id=solo_booking.id, couple_id=couple_id, coach_id=coach_id, payer_id=user.id,
                      provider=Provider.MANUAL, status=PaymentStatus.PARTIALLY_REFUNDED, amount_cents=9000,
                      refunded_cents=1000, currency="usd", description=m("payment-description"),
                      manual_method="bank", manual_reference=m("payment-reference"), receipt_number=m("receipt"),
                      paid_at=now)
    s.add(payment)
    s.flush()
    s.add(Refund(payment_id=payment.id, amount_cents=1000, reason="goodwill", status="succeeded",
                 idempotency_key=uuid.uuid4().hex, manual_method=m("refund")))
    purchase = PackagePurchase(package_id=package.id, couple_id=couple_id, buyer_id=user.id,
                               session_type_id=package.session_type_id, sessions=3, price_cents=30000,
                               currency="usd", status="paid")
    s.add(purchase)
    s.flush()
    s.add(CreditEntry(couple_id=couple_id, purchase_id=purchase.id, delta=3, key=f"grant:{p}:{purchase.id}",
                      note=m("credit")))
    summary = SharedSummary(booking_id=solo_booking.id, couple_id=couple_id, coach_id=coach_id, partner_id=seat.id,
                            summary=m("summary"))
    s.add(summary)
    s.flush()
    s.add(HomeworkItem(summary_id=summary.id, position=0, text=m("homework")))
    # Shared with the other partner in the portal, and still not theirs to export.
    s.add(Reflection(summary_id=joint_summary.id, partner_id=seat.id, audience=ReflectionAudience.SHARED,
                     text=m("reflection")))
    s.add(CheckInResponse(checkin_id=checkin.id, partner_id=seat.id, version=1, csi_items={m("checkin-csi"): 2},
                          safety_answers={"afraid": m("checkin-safety")}, safety_result={"why": m("checkin-result")}))
    s.add(MatchFeedback(couple_id=couple_id, user_id=user.id, missing=m("feedback")))
    s.add(RematchRequest(couple_id=couple_id, requested_by_id=user.id, reason=m("rematch")))
    s.add(LoginSession(user_id=user.id, secret_hash=uuid.uuid4().hex, user_agent=m("agent")))
    s.add(ApiToken(user_id=user.id, name=m("token-name"), token_hash=uuid.uuid4().hex,
                   expires_at=now + timedelta(days=3)))
    s.add(Invite(couple_id=couple_id, email=f"{p.lower()}mark-invite@example.com", token_hash=uuid.uuid4().hex,
                 invited_by_id=user.id, expires_at=now + timedelta(days=3)))
    s.commit()
    write(coach_user, db.session.get(Couple, couple_id), solo_booking, note_marker(p))


def build_world() -> World:
    """Create the world inside an app context (clock frozen by the caller)."""
    joint = create_session_type("joint-session", kind=SessionKind.JOINT, price_cents=12000)
    solo = create_session_type("individual-session", kind=SessionKind.INDIVIDUAL, price_cents=9000)
    coach = create_coach(COACH, session_types=[joint, solo], name="Cora Coach")
    coach.bio = "CORA-BIO-MARK"
    couple = create_couple(SAM, ALEX)
    couple.coach_id = coach.id
    create_user_row(ADMIN, role=Role.ADMIN, name="Root Admin")
    db.session.commit()
    now = clock.now()
    start = now - timedelta(days=7)
    joint_booking = Booking(coach_id=coach.id, couple_id=couple.id, session_type_id=joint.id,
                            booked_by_id=user_by_email(SAM).id, starts_at=start, ends_at=start + timedelta(minutes=50),
                            status=BookingStatus.COMPLETED, video_url="https://video.test/SHARED-JOINT-VIDEO-MARK",
                            ical_uid=uuid.uuid4().hex)
    db.session.add(joint_booking)
    db.session.flush()
    db.session.add(SharedAnswer(couple_id=couple.id, step="goals", version=1, answers={"goal": "SHARED-ANSWER-MARK"},
                                updated_by_id=couple.partners[1].id))
    joint_summary = SharedSummary(booking_id=joint_booking.id, couple_id=couple.id, coach_id=coach.id,
                                  summary="SHARED-SUMMARY-MARK")
    db.session.add(joint_summary)
    db.session.flush()
    db.session.add(HomeworkItem(summary_id=joint_summary.id, position=0, text="SHARED-HOMEWORK-MARK"))
    package = Package(name="Three sessions", session_type_id=joint.id, sessions=3, discount_percent=10)
    checkin = CheckIn(couple_id=couple.id, sent_by_id=coach.user_id)
    db.session.add_all([package, checkin])
    db.session.commit()
    coach_user = db.session.get(User, coach.user_id)
    seats = {}
    for p, email in (("A", SAM), ("B", ALEX)):
        user = user_by_email(email)
        user.name = {"A": "Sam Rivera", "B": "Alex BMARK-name"}[p]
        seat = db.session.scalar(select(Partner).where(Partner.user_id == user.id))
        seats[p] = seat.id
        _fill_partner(p, user, seat, couple.id, coach.id, solo, package, joint_summary, checkin, coach_user)
    write(coach_user, couple, None, "COUPLE-NOTE-MARK")
    return World(couple.id, seats)


# --- taking an export through the pages --------------------------------------------------------

DOWNLOAD_LINK = re.compile(r"(/account/data/download/[A-Za-z0-9_-]+)")


def unzip(payload: bytes) -> dict[str, str]:
    """Every file of a ZIP, decompressed and decoded."""
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def export_through_pages(app: Any, client: Any, email: str) -> tuple[list[tuple[int, str]], dict[str, str]]:
    """Ask for an export on /account/data, follow the emailed link, download: (statuses, files)."""
    from tests.conftest import csrf_token
    from tests.mail import sent_emails

    asked = client.post("/account/data", data={"csrf_token": csrf_token(client, "/account/data")})
    with app.app_context():
        ready = [m for m in sent_emails(to=email) if m.kind == "export_ready"]
    link = DOWNLOAD_LINK.search(ready[-1].text_body).group(1)
    page = client.get(link)
    got = client.post(link, data={"csrf_token": csrf_token(client, link)})
    statuses = [(asked.status_code, asked.headers.get("Location", "")), (page.status_code, ""),
                (got.status_code, got.mimetype)]
    return statuses, (unzip(got.data) if got.status_code == 200 else {})
