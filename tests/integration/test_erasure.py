"""Erasure after the cooling-off period, separation, and the retention purge (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coaching.accounts import services as accounts
from coaching.accounts.models import Role, User
from coaching.audit.models import AuditEvent
from coaching.erasure import retention, services
from coaching.erasure.models import CoupleSeparation, DeletionRequest
from coaching.intake.models import JointSessionOpening, PrivateAnswer, SafetyScreen, SharedAnswer
from coaching.notes.models import Addendum, Note, NoteKind, NoteStatus
from coaching.payments.models import CreditEntry, Package, PackagePurchase, Payment, PurchaseStatus, Refund
from coaching.payments.states import MONEY_RECEIVED, PaymentStatus
from coaching.scheduling.models import Booking, BookingStatus
from coaching.scheduling.services import SlotTaken, place_hold
from tests.conftest import PASSWORD
from tests.erasure_data import A_MARK, B_MARK, PRICE, World, build_world, containing, every_value, text_columns, user
from tests.mail import sent_emails

COOLING = timedelta(days=7)


def _ledger(dbs) -> dict[int, tuple]:
    dbs.expire_all()
    return {p.id: (p.amount_cents, p.refunded_cents, p.status, p.payer_id, p.receipt_number)
            for p in dbs.scalars(select(Payment))}


def assert_balanced(dbs) -> None:
    """Every payment: refunds promised never exceed what it holds, and refunded_cents only counts sent ones."""
    for p in dbs.scalars(select(Payment)):
        promised = sum(r.amount_cents for r in p.refunds if r.status != "failed")
        sent = sum(r.amount_cents for r in p.refunds if r.status == "succeeded")
        assert 0 <= p.refunded_cents <= p.amount_cents and promised <= p.amount_cents, p.id
        assert p.refunded_cents == sent, p.id


def erase_a(dbs, frozen_clock, world: World) -> datetime:
    a = user(world.a)
    services.request_deletion(dbs, a, PASSWORD, now=frozen_clock())
    frozen_clock.advance(days=7, minutes=1)
    assert services.erase_due(dbs, frozen_clock()) == 1
    return frozen_clock()


@pytest.fixture
def world(dbs, frozen_clock) -> World:
    return build_world(future_from=frozen_clock() + COOLING + timedelta(minutes=1))


def test_erasure_leaves_nothing_of_a_in_any_table_and_keeps_b_and_the_ledger_whole(dbs, frozen_clock, world):
    before = _ledger(dbs)
    received_before = sum(p.amount_cents for p in dbs.scalars(select(Payment)) if p.status in MONEY_RECEIVED)
    b_before = {(t, c) for t, c in containing(dbs, B_MARK)}
    assert len(containing(dbs, A_MARK)) >= 15  # the markers really are everywhere to begin with
    assert len(text_columns()) > 50

    erase_a(dbs, frozen_clock, world)
    dbs.expire_all()

    # Nothing of A, in any column of any table (encrypted ones decrypted), nor A's email or name.
    assert containing(dbs, A_MARK) == []
    assert not any("annabel" in v.lower() for _, _, v in every_value(dbs))
    a = user(world.a)
    assert (a.email, a.name, a.is_active) == (f"erased-{a.id}@invalid", "Former client", False)
    assert accounts.authenticate(dbs, "qzxa@example.com", PASSWORD).user is None
    assert dbs.scalar(select(func.count()).select_from(PrivateAnswer).where(PrivateAnswer.partner_id == world.seat_a)) == 0
    assert dbs.get(DeletionRequest, 1).erased_at is not None

    # B: account, answers, screen, reflections and history unchanged.
    assert {(t, c) for t, c in containing(dbs, B_MARK)} - {("outbox_messages", "to_addr")} == b_before
    b = user(world.b)
    assert b.is_active and b.email == "bxqv@example.com" and b.name == "Bxqv Boris"
    assert accounts.authenticate(dbs, "bxqv@example.com", PASSWORD).user is not None
    assert dbs.scalar(select(SafetyScreen).where(SafetyScreen.partner_id == world.seat_b)) is not None
    past = [dbs.get(Booking, world.bookings[k]).status for k in ("past", "solo_a", "solo_b")]
    assert past == [BookingStatus.COMPLETED] * 3
    assert dbs.get(Booking, world.bookings["solo_b_ahead"]).status == BookingStatus.CONFIRMED
    for key in ("ahead_a", "invoiced", "late_b", "solo_a_ahead"):
        assert dbs.get(Booking, world.bookings[key]).status == BookingStatus.CANCELLED, key

    # The ledger: every payment kept (A's now point at the pseudonymised account), refunds per policy.
    after = _ledger(dbs)
    assert after.keys() == before.keys()
    assert after[world.payments["past"]] == before[world.payments["past"]]
    assert after[world.payments["ahead_a"]][3] == world.a
    assert dbs.get(Payment, world.payments["invoiced"]).status == PaymentStatus.VOID
    refunds = {r.payment_id: r.amount_cents for r in dbs.scalars(select(Refund))}
    assert refunds == {world.payments["ahead_a"]: PRICE, world.payments["late_b"]: PRICE // 2}
    assert sum(p.amount_cents for p in dbs.scalars(select(Payment)) if p.status in MONEY_RECEIVED) == received_before
    assert_balanced(dbs)

    # The couple ended; the coach's signed note stays; B and the coach were told, neutrally.
    assert dbs.scalar(select(CoupleSeparation.reason).where(CoupleSeparation.couple_id == world.couple)) == "erasure"
    assert dbs.scalar(select(JointSessionOpening).where(JointSessionOpening.couple_id == world.couple)) is None
    assert dbs.scalar(select(func.count()).select_from(Note)) == 1
    [left] = sent_emails(to="bxqv@example.com", kind="partner_left")
    assert "Your partner left Tandem" in left.text_body and "Qzxa" not in left.text_body
    assert sent_emails(to="ana@example.com", kind="partner_left_coach")
    assert not sent_emails(to=f"erased-{a.id}@invalid")
    assert {m.kind for m in sent_emails(to="qzxa@example.com")} == {"account_deletion_requested"}
    coach_cancelled = sent_emails(to="ana@example.com", kind="booking_cancelled")
    assert len(coach_cancelled) == 4  # three joint sessions and A's individual one
    assert dbs.scalar(select(AuditEvent).where(AuditEvent.action == "erase")).object_id == world.a


def test_signing_in_or_the_button_cancels_and_nothing_is_erased(dbs, frozen_clock, world):
    a = user(world.a)
    services.request_deletion(dbs, a, PASSWORD, now=frozen_clock())
    assert services.live_request(dbs, world.a) is not None
    frozen_clock.advance(days=3)
    assert services.cancel_deletion(dbs, a, now=frozen_clock())
    frozen_clock.advance(days=10)
    assert services.erase_due(dbs, frozen_clock()) == 0
    assert user(world.a).email == "qzxa@example.com" and len(containing(dbs, A_MARK)) >= 15
    with pytest.raises(services.ErasureError):
        services.request_deletion(dbs, user(world.a), "wrong password", now=frozen_clock())
    # Not due yet: nothing happens a minute before the end of the cooling-off period.
    services.request_deletion(dbs, user(world.a), PASSWORD, now=frozen_clock())
    frozen_clock.advance(days=7, minutes=-1)
    assert services.erase_due(dbs, frozen_clock()) == 0 and user(world.a).is_active


@pytest.fixture
def sep_world(dbs, frozen_clock) -> World:
    return build_world(future_from=frozen_clock())


def test_separation_refunds_or_credits_whoever_paid_and_keeps_everyones_data(dbs, frozen_clock, sep_world):
    world = sep_world
    # A package credit spent on another future joint session comes back to the couple's ledger.
    package = Package(name="Five sessions", session_type_id=world.joint_type, sessions=5)
    dbs.add(package)
    dbs.flush()
    purchase = PackagePurchase(package_id=package.id, couple_id=world.couple, buyer_id=world.b,
                               session_type_id=world.joint_type, sessions=5, price_cents=50000, currency="usd",
                               status=PurchaseStatus.PAID, valid_until=frozen_clock() + timedelta(days=180))
    dbs.add(purchase)
    dbs.flush()
    from tests.erasure_data import booking

    on_credit = booking(None, coach_id=world.coach, couple_id=world.couple, type_id=world.joint_type, by=world.b,
                        start=frozen_clock() + timedelta(days=6), status=BookingStatus.CONFIRMED)
    dbs.add(CreditEntry(couple_id=world.couple, purchase_id=purchase.id, delta=5, key="grant:x"))
    dbs.add(CreditEntry(couple_id=world.couple, purchase_id=purchase.id, booking_id=on_credit.id, delta=-1,
                        key=f"use:booking:{on_credit.id}"))
    dbs.commit()
    kept = {("outbox_messages", "to_addr")}  # emails about the separation are added
    a_values, b_values = set(containing(dbs, A_MARK)) - kept, set(containing(dbs, B_MARK)) - kept

    services.separate_couple(dbs, user(world.a), now=frozen_clock())
    dbs.expire_all()

    for key in ("ahead_a", "invoiced", "late_b"):
        assert dbs.get(Booking, world.bookings[key]).status == BookingStatus.CANCELLED
    assert dbs.get(Booking, on_credit.id).status == BookingStatus.CANCELLED
    # Individual sessions go on, for each partner.
    assert dbs.get(Booking, world.bookings["solo_a_ahead"]).status == BookingStatus.CONFIRMED
    assert dbs.get(Booking, world.bookings["solo_b_ahead"]).status == BookingStatus.CONFIRMED
    refunds = {(r.payment_id, dbs.get(Payment, r.payment_id).payer_id): r.amount_cents for r in dbs.scalars(select(Refund))}
    assert refunds == {(world.payments["ahead_a"], world.a): PRICE, (world.payments["late_b"], world.b): PRICE // 2}
    assert dbs.get(Payment, world.payments["invoiced"]).status == PaymentStatus.VOID
    assert dbs.scalar(select(func.sum(CreditEntry.delta)).where(CreditEntry.purchase_id == purchase.id)) == 5
    assert_balanced(dbs)
    # Both keep all their data, and the joint history.
    assert (set(containing(dbs, A_MARK)) - kept, set(containing(dbs, B_MARK)) - kept) == (a_values, b_values)
    assert dbs.get(Booking, world.bookings["past"]).status == BookingStatus.COMPLETED
    assert sent_emails(to="bxqv@example.com", kind="couple_ended")
    assert sent_emails(to="ana@example.com", kind="couple_ended_coach")
    with pytest.raises(services.ErasureError):
        services.separate_couple(dbs, user(world.b), now=frozen_clock())

    # Joint sessions stay closed; the overlap guarantee is what it was: the freed slot can be
    # taken once by another couple, and a second overlapping booking is still refused.
    other_user = dbs.scalar(select(User).where(User.email == "cleo@example.com"))
    freed = dbs.get(Booking, world.bookings["ahead_a"])
    start = freed.starts_at.replace(minute=0)
    from coaching.scheduling.models import SessionType

    slug = dbs.get(SessionType, world.joint_type).slug
    held = place_hold(dbs, user=other_user, coach_id=world.coach, session_type_slug=slug, start=start, now=frozen_clock())
    assert held.status == BookingStatus.HELD
    with pytest.raises(SlotTaken):
        place_hold(dbs, user=other_user, coach_id=world.coach, session_type_slug=slug, start=start, now=frozen_clock())
    dbs.add(Booking(coach_id=world.coach, couple_id=world.couple, session_type_id=world.joint_type,
                    starts_at=start, ends_at=start + timedelta(minutes=50), status=BookingStatus.CONFIRMED,
                    ical_uid="raw-overlap@test"))
    with pytest.raises(IntegrityError):
        dbs.commit()
    dbs.rollback()
    # Each goes on alone: a new individual session books; a joint one is refused.
    from coaching.scheduling.services import JointSessionsNotOpen

    solo_slug = dbs.get(SessionType, world.solo_type).slug
    solo_start = (frozen_clock() + timedelta(days=9)).replace(minute=0)
    assert place_hold(dbs, user=user(world.a), coach_id=world.coach, session_type_slug=solo_slug, start=solo_start,
                      now=frozen_clock()).status == BookingStatus.CONFIRMED
    with pytest.raises(JointSessionsNotOpen):
        place_hold(dbs, user=user(world.b), coach_id=world.coach, session_type_slug=slug,
                   start=solo_start + timedelta(hours=2), now=frozen_clock())
    from coaching.intake.models import Couple
    from coaching.scheduling.openings import OpeningRefused, open_joint_sessions

    with pytest.raises(OpeningRefused):
        open_joint_sessions(dbs, dbs.get(Couple, world.couple), dbs.get(User, world.coach_user),
                            now=frozen_clock())


# --- retention ----------------------------------------------------------------------------------


def _old_couple_with_notes(dbs, world: World, *, years_ago: float) -> int:
    """Another couple of the coach whose last session was ``years_ago``, with a signed note and an addendum."""
    from coaching import clock
    from tests.erasure_data import booking
    from tests.scheduling_data import create_couple

    n = dbs.scalar(select(func.count()).select_from(Note))
    couple = create_couple(f"old{n}a@example.com", f"old{n}b@example.com")
    start = clock.now() - timedelta(days=365.25 * years_ago)
    b = booking(None, coach_id=world.coach, couple_id=couple.id, type_id=world.joint_type, by=couple.partners[0].user_id,
                start=start, status=BookingStatus.COMPLETED)
    note = Note(couple_id=couple.id, booking_id=b.id, coach_id=world.coach, kind=NoteKind.SESSION,
                template_key="joint", template_version=1, sections={"observations": "old"}, status=NoteStatus.SIGNED,
                signed_at=start, signed_by_id=world.coach_user, content_sha256="1" * 64, created_at=start)
    dbs.add(note)
    dbs.flush()
    dbs.add(Addendum(note_id=note.id, coach_id=world.coach, body="later", signed_at=start,
                     signed_by_id=world.coach_user, content_sha256="2" * 64))
    dbs.commit()
    return couple.id


def _abandoned_intake(dbs, *, days_ago: int) -> int:
    from coaching import clock
    from tests.scheduling_data import create_couple

    from coaching.intake.models import Invite, Partner

    n = dbs.scalar(select(func.count()).select_from(SharedAnswer))
    couple = create_couple(f"gone{n}a@example.com", joint_open=False)
    then = clock.now() - timedelta(days=days_ago)
    couple.created_at = then
    dbs.add(Partner(couple_id=couple.id, slot="b", invited_email=f"never{n}@example.com"))
    dbs.add(Invite(couple_id=couple.id, email=f"never{n}@example.com", token_hash=f"{n:064d}", created_at=then,
                   expires_at=then + timedelta(days=14)))
    dbs.add(SharedAnswer(couple_id=couple.id, step="goals", version=1, answers={"goals": "x"}, updated_at=then))
    dbs.add(PrivateAnswer(partner_id=couple.partners[0].id, step="own_view", version=1, answers={"v": "y"},
                          updated_at=then))
    dbs.commit()
    return couple.id


def test_retention_dry_run_equals_the_real_run_and_nothing_younger_is_touched(dbs, frozen_clock, runner, world):
    old = _old_couple_with_notes(dbs, world, years_ago=7.2)
    young = _old_couple_with_notes(dbs, world, years_ago=6.8)
    stale = _abandoned_intake(dbs, days_ago=731)
    fresh = _abandoned_intake(dbs, days_ago=700)
    from coaching.intake.models import Invite, Partner
    from coaching.notify.models import OutboxMessage, OutboxStatus

    for days in (400, 300):
        dbs.add(OutboxMessage(to_addr=f"sent{days}@example.com", kind="receipt", status=OutboxStatus.SENT,
                              sent_at=frozen_clock() - timedelta(days=days), subject=None, text_body=None,
                              html_body=None, attachments=None))
    dbs.commit()
    notes_before = dbs.scalar(select(func.count()).select_from(Note))

    dry = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    planned = [line for line in dry.stdout.splitlines() if line]
    assert [line.split()[:2] for line in planned] == [["notes", f"couple={old}"], ["intake", f"couple={stale}"],
                                                      ["emails", "sent"]]
    assert planned[1].endswith("2 intake answer row(s), 1 invitation(s)") and planned[2].endswith("1 outbox row(s)")
    assert dbs.scalar(select(func.count()).select_from(Note)) == notes_before  # the dry run touched nothing

    real = runner.invoke(args=["retention", "purge"])
    assert real.exit_code == 0, real.output
    assert [line for line in real.stdout.splitlines() if line] == planned
    dbs.expire_all()
    assert dbs.scalar(select(func.count()).select_from(Note).where(Note.couple_id == old)) == 0
    assert dbs.scalar(select(func.count()).select_from(Note).where(Note.couple_id == young)) == 1
    assert dbs.scalar(select(func.count()).select_from(Note).where(Note.couple_id == world.couple)) == 1
    assert dbs.scalar(select(func.count()).select_from(SharedAnswer).where(SharedAnswer.couple_id == stale)) == 0
    assert dbs.scalar(select(func.count()).select_from(SharedAnswer).where(SharedAnswer.couple_id == fresh)) == 1
    for couple_id, invites in ((stale, 0), (fresh, 1)):
        assert dbs.scalar(select(func.count()).select_from(Invite).where(Invite.couple_id == couple_id)) == invites
        assert dbs.scalar(select(func.count()).select_from(Partner).where(Partner.couple_id == couple_id)) == 1 + invites
    assert dbs.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.to_addr.like("sent%"))).all() == [
        "sent300@example.com"]
    audited = dbs.scalars(select(AuditEvent.couple_id).where(AuditEvent.action == "retention_purge")).all()
    assert sorted(audited, key=str) == sorted([old, stale, None], key=str)
    # Run again: nothing left to do; and outside the purge the signed notes are as locked as ever.
    assert retention.plan(dbs, frozen_clock()) == []
    dbs.rollback()
    note = dbs.scalar(select(Note).where(Note.couple_id == young))
    dbs.delete(note)
    with pytest.raises(IntegrityError):
        dbs.flush()
    dbs.rollback()


def test_an_account_without_a_couple_is_erased_too_and_the_task_is_periodic(dbs, frozen_clock, create_user):
    from coaching.erasure import tasks
    from coaching.queue import huey

    lone = create_user("lone@example.com", name="Lone Qzxa")
    services.request_deletion(dbs, dbs.get(User, lone.id), PASSWORD, now=frozen_clock())
    frozen_clock.advance(days=8)
    assert tasks.erase_due_accounts() == 1
    dbs.expire_all()
    assert containing(dbs, A_MARK) == [] and dbs.get(User, lone.id).name == "Former client"
    periodic = {t.__name__ for t in huey._registry._periodic_tasks}
    assert {"erase_due_accounts_periodically", "purge_retention_daily"} <= periodic
    coach = dbs.get(User, create_user("staff@example.com", role=Role.COACH).id)
    with pytest.raises(services.ErasureError):
        services.request_deletion(dbs, coach, PASSWORD, now=frozen_clock())
    with pytest.raises(services.ErasureError):
        services.erase_user(dbs, coach, now=frozen_clock())
