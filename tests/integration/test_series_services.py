"""Series on both databases: all-or-nothing holds, clashes with alternatives, one hold group,
the local wall time across clock changes, package credits, per-occurrence cancellation policy."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from coaching import db
from coaching.accounts.models import Role
from coaching.payments import credits, ledger, packages
from coaching.payments.models import Payment, PaymentStatus
from coaching.scheduling import services as sched
from coaching.scheduling.models import Booking, BookingStatus
from coaching.series import services
from coaching.series.models import BookingSeries, SeriesOccurrence
from tests.payment_data import count, fresh, place, world_fixture  # noqa: F401 (fixture)
from tests.scheduling_data import create_coach, create_couple, create_session_type, user_by_email

NY = "America/New_York"
FIRST = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # Tue 10:00 New York; the clock says Mon 2 Nov 15:00 UTC
WEEK = timedelta(weeks=1)


def hold(world, user, now, first=FIRST, weeks=1, n=4, zone=NY, coach=None, slug=None):
    weeks, occurrences = services.requested_occurrences(first, zone, weeks, n)
    return services.hold_series(db.session, user=user, coach_id=(coach or world.coach).id,
                                session_type_slug=slug or world.session_type.slug, occurrences=occurrences,
                                weeks=weeks, zone=zone, now=now, requested=n)


def couple_bookings(couple_id):
    db.session.commit()
    return db.session.scalars(select(Booking).where(Booking.couple_id == couple_id).order_by(Booking.starts_at)).all()


def test_every_occurrence_is_held_at_the_same_local_time(world, frozen_clock):
    series = hold(world, world.partner_a, frozen_clock(), n=4)
    bookings = services.occurrences_of(db.session, series.id)
    assert [b.starts_at for b in bookings] == [FIRST + i * WEEK for i in range(4)]
    assert {b.status for b in bookings} == {BookingStatus.HELD}
    assert series.interval_weeks == 1 and series.requested == 4 and series.zone == NY


def test_a_series_is_one_hold_group_against_the_couples_cap(world, frozen_clock):
    now = frozen_clock()
    hold(world, world.partner_a, now, n=6)
    place(world, world.partner_b, now, start=FIRST + timedelta(hours=2))  # the second group: MAX_HOLDS_PER_COUPLE=2
    assert sched.active_holds_seen_by(db.session, world.couple.id, world.partner_a.id, now) == 2
    with pytest.raises(sched.TooManyHolds):
        place(world, world.partner_a, now, start=FIRST + timedelta(hours=4))
    with pytest.raises(sched.TooManyHolds):
        hold(world, world.partner_b, now, first=FIRST + timedelta(days=1), n=2)
    assert len(couple_bookings(world.couple.id)) == 7


def test_a_clash_holds_nothing_and_lists_free_alternatives_for_that_date(world, frozen_clock):
    now = frozen_clock()
    taken = place(world, world.other, now, start=FIRST + 2 * WEEK)
    with pytest.raises(services.SeriesClash) as caught:
        hold(world, world.partner_a, now, n=4)
    assert couple_bookings(world.couple.id) == []  # all or nothing
    [clash] = caught.value.clashes
    assert (clash.position, clash.local_date, clash.reason, clash.start) == (2, "2026-11-17", "taken", taken.starts_at)
    starts = [s for s, _ in clash.alternatives]
    assert len(starts) == 3 and taken.starts_at not in starts
    assert {FIRST + 2 * WEEK - timedelta(hours=1), FIRST + 2 * WEEK + timedelta(hours=1)} <= set(starts)
    assert [o.position for o in caught.value.fine] == [0, 1, 3]

    chosen = [FIRST, FIRST + WEEK, FIRST + 2 * WEEK + timedelta(hours=1), FIRST + 3 * WEEK]
    series = services.hold_series(db.session, user=world.partner_a, coach_id=world.coach.id,
                                  session_type_slug=world.session_type.slug,
                                  occurrences=services.explicit_occurrences(chosen, NY), weeks=1, zone=NY,
                                  now=now, requested=4)
    assert [b.starts_at for b in services.occurrences_of(db.session, series.id)] == chosen


def test_a_dropped_date_leaves_the_rest_of_the_series(world, frozen_clock):
    now = frozen_clock()
    place(world, world.other, now, start=FIRST + WEEK)
    with pytest.raises(services.SeriesClash):
        hold(world, world.partner_a, now, n=3)
    kept = [FIRST, FIRST + 2 * WEEK]
    series = services.hold_series(db.session, user=world.partner_a, coach_id=world.coach.id,
                                  session_type_slug=world.session_type.slug,
                                  occurrences=services.explicit_occurrences(kept, NY), weeks=1, zone=NY,
                                  now=now, requested=3)
    assert [b.starts_at for b in services.occurrences_of(db.session, series.id)] == kept
    assert series.requested == 3


def test_a_date_outside_the_coachs_hours_clashes_as_unavailable(world, frozen_clock):
    from coaching.scheduling.models import TimeOff

    db.session.add(TimeOff(coach_id=world.coach.id, start_date=FIRST.date() + WEEK, end_date=FIRST.date() + WEEK))
    db.session.commit()
    with pytest.raises(services.SeriesClash) as caught:
        hold(world, world.partner_a, frozen_clock(), n=3)
    [clash] = caught.value.clashes
    assert clash.reason == "unavailable" and clash.local_date == "2026-11-10"
    assert all(s.astimezone(ZoneInfo(NY)).date().isoformat() > "2026-11-10" for s, _ in clash.alternatives)


def test_new_york_series_keeps_its_local_time_across_the_november_change(world, frozen_clock):
    frozen_clock.set(datetime(2026, 10, 19, 12, 0, tzinfo=UTC))
    first = datetime(2026, 10, 27, 14, 0, tzinfo=UTC)  # Tue 10:00 EDT
    series = hold(world, world.partner_a, frozen_clock(), first=first, n=3)
    bookings = services.occurrences_of(db.session, series.id)
    assert [b.starts_at.astimezone(ZoneInfo(NY)).strftime("%a %d %H:%M %Z") for b in bookings] == [
        "Tue 27 10:00 EDT", "Tue 03 10:00 EST", "Tue 10 10:00 EST"]
    assert bookings[1].starts_at - bookings[0].starts_at == WEEK + timedelta(hours=1)


def test_london_series_keeps_its_local_time_across_the_october_change(dbs, frozen_clock):
    frozen_clock.set(datetime(2026, 10, 12, 12, 0, tzinfo=UTC))
    st = create_session_type("couples-session", price_cents=9000, horizon_days=90)
    coach = create_coach("lee@example.com", timezone="Europe/London", session_types=[st],
                         hours={d: [(time(8), time(18))] for d in range(7)})
    create_couple("ivy@example.com", "joe@example.com", timezones=("Europe/London", "Europe/London"))
    first = datetime(2026, 10, 14, 8, 0, tzinfo=UTC)  # Wed 09:00 BST; clocks go back on Sun 25 October
    weeks, occurrences = services.requested_occurrences(first, "Europe/London", "fortnightly", 3)
    series = services.hold_series(db.session, user=user_by_email("ivy@example.com"), coach_id=coach.id,
                                  session_type_slug="couples-session", occurrences=occurrences, weeks=weeks,
                                  zone="Europe/London", now=frozen_clock())
    bookings = services.occurrences_of(db.session, series.id)
    assert [b.starts_at for b in bookings] == [first, datetime(2026, 10, 28, 9, tzinfo=UTC),
                                               datetime(2026, 11, 11, 9, tzinfo=UTC)]
    assert {b.starts_at.astimezone(ZoneInfo("Europe/London")).strftime("%H:%M") for b in bookings} == {"09:00"}


def test_joint_sessions_not_open_refuses_the_whole_series(dbs, frozen_clock):
    st = create_session_type("couples-session", price_cents=9000)
    coach = create_coach(session_types=[st])
    create_couple("new@example.com", "pair@example.com", joint_open=False)
    with pytest.raises(sched.JointSessionsNotOpen):
        services.hold_series(db.session, user=user_by_email("new@example.com"), coach_id=coach.id,
                             session_type_slug="couples-session",
                             occurrences=services.requested_occurrences(FIRST, NY, 1, 3)[1], weeks=1, zone=NY,
                             now=frozen_clock())
    assert count(Booking) == 0 and count(BookingSeries) == 0


@pytest.mark.parametrize("starts", [[], [FIRST] * 2, [FIRST + i * WEEK for i in range(13)]])
def test_explicit_lists_are_bounded_and_distinct(starts):
    with pytest.raises(services.SeriesRefused):
        services.explicit_occurrences(starts, NY)


# --- paying ----------------------------------------------------------------------------------


@pytest.fixture
def admin(create_user):
    return create_user(role=Role.ADMIN)


def give_credits(world, now, sessions, admin):
    package = packages.create_package(db.session, name=f"{sessions} sessions", session_type_id=world.session_type.id,
                                      sessions=sessions, discount_percent=0, valid_months=6)
    packages.buy_package(db.session, package.id, world.partner_b, world.couple.id, now)
    payment = db.session.scalars(select(Payment).where(Payment.purchase_id.is_not(None))).all()[-1]
    ledger.record_manual_payment(db.session, payment.id, method="cash", reference="", now=now,
                                 paid_on=now.date(), admin=admin)
    [(purchase, left)] = credits.couple_balances(db.session, world.couple.id, now)
    assert left == sessions
    return purchase


def test_package_credits_pay_for_the_whole_series_in_one_go(world, frozen_clock, admin):
    now = frozen_clock()
    purchase = give_credits(world, now, 4, admin)
    series = hold(world, world.partner_a, now, n=3)
    outcome = services.pay_series(db.session, series, world.partner_a, now)
    assert outcome.kind == "credit"
    assert {fresh(b).status for b in services.occurrences_of(db.session, series.id)} == {BookingStatus.CONFIRMED}
    assert credits.balance(db.session, purchase.id) == 1
    assert count(Payment, Payment.booking_id.is_not(None)) == 0


def test_too_few_credits_pay_what_they_cover_and_invoice_the_rest(world, frozen_clock, admin):
    now = frozen_clock()
    purchase = give_credits(world, now, 2, admin)
    series = hold(world, world.partner_a, now, n=3)
    outcome = services.pay_series(db.session, series, world.partner_a, now)
    assert outcome.kind == "invoice"
    bookings = services.occurrences_of(db.session, series.id)
    assert {fresh(b).status for b in bookings} == {BookingStatus.CONFIRMED}
    assert credits.balance(db.session, purchase.id) == 0
    [invoice] = db.session.scalars(select(Payment).where(Payment.booking_id.is_not(None))).all()
    assert invoice.booking_id == bookings[2].id and invoice.status == PaymentStatus.INVOICED


def test_an_expired_series_hold_cannot_be_paid(world, frozen_clock):
    from coaching.payments.services import HoldGone

    series = hold(world, world.partner_a, frozen_clock(), n=2)
    frozen_clock.advance(minutes=16)
    with pytest.raises(HoldGone):
        services.pay_series(db.session, series, world.partner_a, frozen_clock())


# --- cancelling --------------------------------------------------------------------------------


def test_cancel_this_and_all_later_applies_the_policy_to_each_occurrence(world, frozen_clock, admin):
    now = frozen_clock()
    purchase = give_credits(world, now, 4, admin)
    first = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)  # 30 hours ahead: inside the 48-hour refund window
    series = hold(world, world.partner_a, now, first=first, n=3)
    services.pay_series(db.session, series, world.partner_a, now)
    bookings = services.occurrences_of(db.session, series.id)

    done = services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=world.partner_a)

    assert [b.id for b in done] == [b.id for b in bookings]
    assert {fresh(b).status for b in bookings} == {BookingStatus.CANCELLED}
    assert credits.credit_used_for(db.session, bookings[0].id) is not None
    assert credits.balance(db.session, purchase.id) == 1 + 2  # the late one's credit stays used, two come back


def test_cancel_one_voids_only_its_invoice(world, frozen_clock):
    now = frozen_clock()
    series = hold(world, world.partner_a, now, n=3)
    assert services.pay_series(db.session, series, world.partner_a, now).kind == "invoice"
    bookings = services.occurrences_of(db.session, series.id)

    services.cancel_occurrences(db.session, series, bookings[1].id, "one", now=now, by_user=world.partner_a)

    statuses = [fresh(b).status for b in bookings]
    assert statuses == [BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.CONFIRMED]
    invoices = {p.booking_id: p.status for p in db.session.scalars(select(Payment))}
    assert invoices == {bookings[0].id: PaymentStatus.INVOICED, bookings[1].id: PaymentStatus.VOID,
                        bookings[2].id: PaymentStatus.INVOICED}


def test_cancelling_the_rest_from_a_late_occurrence_keeps_a_late_invoice_due_in_part(world, frozen_clock):
    now = frozen_clock()
    first = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)  # 30 hours ahead
    series = hold(world, world.partner_a, now, first=first, n=2)
    services.pay_series(db.session, series, world.partner_a, now)
    bookings = services.occurrences_of(db.session, series.id)
    services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=world.partner_a)
    invoices = {p.booking_id: (p.status, p.amount_cents) for p in db.session.scalars(select(Payment))}
    assert invoices == {bookings[0].id: (PaymentStatus.INVOICED, 6000), bookings[1].id: (PaymentStatus.VOID, 12000)}


def test_a_client_too_close_to_the_first_changes_nothing(world, frozen_clock):
    now = frozen_clock()
    first = datetime(2026, 11, 3, 14, 0, tzinfo=UTC)  # 23 hours ahead: under CANCEL_MIN_HOURS
    series = hold(world, world.partner_a, now, first=first, n=3)
    services.pay_series(db.session, series, world.partner_a, now)
    bookings = services.occurrences_of(db.session, series.id)
    with pytest.raises(sched.TooLate):
        services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=world.partner_a)
    assert {fresh(b).status for b in bookings} == {BookingStatus.CONFIRMED}
    # the coach may: a coach's cancellation refunds (here: voids) in full
    services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=None, by_coach=True)
    assert {p.status for p in db.session.scalars(select(Payment))} == {PaymentStatus.VOID}


def test_a_rescheduled_occurrence_stays_in_its_series(world, frozen_clock):
    now = frozen_clock()
    series = hold(world, world.partner_a, now, n=2)
    services.pay_series(db.session, series, world.partner_a, now)
    second = services.occurrences_of(db.session, series.id)[1]
    moved = sched.reschedule_booking(db.session, second, new_start=second.starts_at + timedelta(hours=2), now=now)
    assert [b.id for b in services.occurrences_of(db.session, series.id)][1] == moved.id
    assert count(SeriesOccurrence) == 2


def test_cancelling_the_rest_of_a_paid_series_refunds_each_by_the_policy(world, frozen_clock, admin):
    from coaching.payments.models import Refund, RefundStatus

    now = frozen_clock()
    first = datetime(2026, 11, 3, 21, 0, tzinfo=UTC)  # 30 hours ahead: past the 48-hour full-refund cutoff
    series = hold(world, world.partner_a, now, first=first, n=3)
    services.pay_series(db.session, series, world.partner_a, now)
    for payment in db.session.scalars(select(Payment)).all():
        ledger.record_manual_payment(db.session, payment.id, method="bank_transfer", reference="", now=now,
                                     paid_on=now.date(), admin=admin)
    bookings = services.occurrences_of(db.session, series.id)

    services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=world.partner_a)
    # ... and a repeat changes nothing
    with pytest.raises(sched.NotFound):
        services.cancel_occurrences(db.session, series, bookings[0].id, "later", now=now, by_user=world.partner_a)

    refunds = {db.session.get(Payment, r.payment_id).booking_id: (r.amount_cents, r.status)
               for r in db.session.scalars(select(Refund))}
    assert refunds == {bookings[0].id: (6000, RefundStatus.OWED), bookings[1].id: (12000, RefundStatus.OWED),
                       bookings[2].id: (12000, RefundStatus.OWED)}
