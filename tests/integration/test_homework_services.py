"""Publishing, ticking and reflecting through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event, func, select, text

from coaching import crypto, db
from coaching.audit.models import AuditEvent
from coaching.homework import services
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, SharedSummary
from coaching.notify.models import OutboxMessage
from tests.mail import sent_emails
from coaching.scheduling.models import Booking, BookingStatus
from tests.homework_data import EMAILS, build_world, publish


@pytest.fixture
def world(app, dbs, frozen_clock):
    return build_world()


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model))


def test_summary_homework_and_reflections_are_encrypted_in_the_raw_rows(world):
    shared = publish(world, "joint", summary="Secret summary about trust", homework="Secret homework walk")
    services.add_reflection(db.session, world.user("sam"), shared.id, text="Secret reflection of Sam",
                            audience="coach")
    raw = " ".join(str(v) for table in ("homework_summaries", "homework_items", "homework_reflections")
                   for row in db.session.execute(text(f"SELECT * FROM {table}")) for v in row)
    assert "Secret" not in raw and "gAAAA" in raw  # Fernet tokens only
    db.session.expire_all()
    assert db.session.get(SharedSummary, shared.id).summary == "Secret summary about trust"


def test_a_joint_summary_is_published_to_both_partners_with_one_audit_entry(world):
    shared = publish(world, "joint", summary="About listening", homework="Walk\nTalk")
    assert shared.partner_id is None and [i.text for i in shared.items] == ["Walk", "Talk"]
    mail = sent_emails(kind="homework_shared")
    assert sorted(m.to_addr for m in mail) == [EMAILS["alex"], EMAILS["sam"]]
    assert all("About listening" not in m.text_body + (m.html_body or "") and "Walk" not in m.text_body
               for m in mail)
    (entry,) = db.session.scalars(select(AuditEvent)).all()
    assert (entry.action, entry.couple_id, entry.object_id, entry.actor_role) == (
        "publish", world.couple_id, shared.id, "coach")


def test_an_individual_summary_is_for_its_partner_only_and_only_they_are_emailed(world):
    shared = publish(world, "solo_sam")
    assert shared.partner_id == world.seats["sam"]
    mail = db.session.scalars(select(OutboxMessage.to_addr).where(OutboxMessage.kind == "homework_shared")).all()
    assert mail == [EMAILS["sam"]]


def test_sharing_a_session_twice_is_refused_and_stores_nothing_more(world):
    publish(world, "joint")
    with pytest.raises(services.AlreadyShared):
        publish(world, "joint", summary="Again")
    assert _count(SharedSummary) == 1 and _count(OutboxMessage) == 2 and _count(AuditEvent) == 1


def test_a_session_not_yet_completed_cannot_be_shared(world):
    with pytest.raises(services.NotShareable):
        publish(world, "upcoming")
    assert _count(SharedSummary) == 0 and _count(OutboxMessage) == 0


@pytest.mark.parametrize(("who", "booking"), [
    ("other_coach", "joint"),  # another coach's session of a couple they do not coach
    ("coach", "other"),  # the assigned coach of Sam and Alex, on another couple's session
    ("previous_coach", "previous"),  # their own old session, but no longer the couple's coach
    ("sam", "joint"),  # a partner
    ("admin", "joint"),
])
def test_only_the_assigned_coach_of_the_session_may_share_it(world, who, booking):
    with pytest.raises(services.NotFound):
        services.publish(db.session, world.user(who), world.bookings[booking], summary="s", homework="h")
    with pytest.raises(services.NotFound):
        services.publish(db.session, world.user(who), 999_999, summary="s", homework="h")
    assert _count(SharedSummary) == 0 and _count(AuditEvent) == 0


def test_oversized_text_is_refused_and_nothing_is_stored(world):
    with pytest.raises(services.InvalidText):
        publish(world, "joint", summary="x" * 10_001)
    with pytest.raises(services.InvalidText):
        publish(world, "joint", homework="\n".join(["item"] * 11))
    assert _count(SharedSummary) == 0 and _count(HomeworkItem) == 0 and _count(OutboxMessage) == 0


def test_the_partner_of_an_individual_session_sees_it_and_the_other_partner_does_not(world):
    joint, solo = publish(world, "joint"), publish(world, "solo_sam")
    sam = services.shared_for_couple(db.session, world.couple_id, world.user("sam"))
    alex = services.shared_for_couple(db.session, world.couple_id, world.user("alex"))
    assert [v.summary.id for v in sam.summaries] == [solo.id, joint.id]
    assert [v.summary.id for v in alex.summaries] == [joint.id]
    with pytest.raises(services.NotFound):
        services.add_reflection(db.session, world.user("alex"), solo.id, text="hi", audience="coach")
    with pytest.raises(services.NotFound):
        services.set_done(db.session, world.user("alex"), solo.items[0].id, True)
    assert _count(Reflection) == 0 and _count(HomeworkTick) == 0


def test_a_coach_only_reflection_is_hidden_from_the_other_partner_and_a_shared_one_is_not(world):
    shared = publish(world, "joint")
    private = services.add_reflection(db.session, world.user("sam"), shared.id, text="only coach", audience="coach")
    open_ = services.add_reflection(db.session, world.user("sam"), shared.id, text="for us", audience="shared")
    seen = {who: [r.id for r in services.shared_for_couple(db.session, world.couple_id, world.user(who),
                                                           audit=False).summaries[0].reflections]
            for who in ("sam", "alex", "coach")}
    assert seen == {"sam": [private.id, open_.id], "alex": [open_.id], "coach": [private.id, open_.id]}


def test_a_reflection_shared_on_an_individual_summary_is_refused(world):
    solo = publish(world, "solo_sam")
    with pytest.raises(services.InvalidText):
        services.add_reflection(db.session, world.user("sam"), solo.id, text="hello", audience="shared")
    with pytest.raises(services.InvalidText):
        services.add_reflection(db.session, world.user("sam"), solo.id, text="hello", audience="everyone")
    assert _count(Reflection) == 0


def test_ticks_are_per_partner_and_unticking_removes_only_ones_own(world):
    item = publish(world, "joint").items[0]
    for who in ("sam", "alex", "sam"):  # ticking twice is still one tick
        services.set_done(db.session, world.user(who), item.id, True)
    services.set_done(db.session, world.user("alex"), item.id, False)
    assert db.session.scalars(select(HomeworkTick.partner_id)).all() == [world.seats["sam"]]
    view = services.shared_for_couple(db.session, world.couple_id, world.user("coach"))
    assert view.summaries[0].items[0][1] == {world.seats["sam"]}


def test_the_coach_reading_reflections_is_audited_once_and_reading_none_is_not(world):
    shared = publish(world, "joint")
    services.shared_for_couple(db.session, world.couple_id, world.user("coach"))
    services.shared_for_couple(db.session, world.couple_id, world.user("sam"))
    assert db.session.scalars(select(AuditEvent.action)).all() == ["publish"]
    mine = services.add_reflection(db.session, world.user("alex"), shared.id, text="t", audience="coach")
    services.shared_for_couple(db.session, world.couple_id, world.user("coach"))
    services.shared_for_couple(db.session, world.couple_id, world.user("alex"))  # partners' reads are not logged
    entry = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "reflection_read")).one()
    assert entry.couple_id == world.couple_id and entry.detail == f"reflections {mine.id}"


@pytest.mark.parametrize("who", ["other_coach", "previous_coach", "admin", "kim"])
def test_nobody_outside_the_couple_and_its_coach_can_load_what_was_shared(world, who):
    publish(world, "joint")
    with pytest.raises(services.NotFound):
        services.shared_for_couple(db.session, world.couple_id, world.user(who))


def test_loading_what_was_shared_takes_the_same_number_of_queries_for_one_or_many_summaries(world):
    def queries_for_coach_and_partner() -> int:
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.get_engine(), "before_cursor_execute", listener)
        try:
            for who in ("coach", "sam"):
                db.session.expire_all()
                services.shared_for_couple(db.session, world.couple_id, world.user(who), audit=False)
        finally:
            event.remove(db.get_engine(), "before_cursor_execute", listener)
        return len(statements)

    first = publish(world, "joint")
    services.add_reflection(db.session, world.user("sam"), first.id, text="t", audience="shared")
    one = queries_for_coach_and_partner()
    coach = world.user("coach")
    for n in range(12):
        booking = db.session.get(Booking, world.bookings["joint"])
        copy = Booking(coach_id=booking.coach_id, couple_id=booking.couple_id, session_type_id=booking.session_type_id,
                       booked_by_id=booking.booked_by_id, starts_at=booking.starts_at.replace(year=2025, day=n + 1),
                       ends_at=booking.ends_at.replace(year=2025, day=n + 1), status=BookingStatus.COMPLETED,
                       ical_uid=f"copy-{n}@test")
        db.session.add(copy)
        db.session.commit()
        shared = services.publish(db.session, coach, copy.id, summary=f"s{n}", homework="a\nb\nc")
        services.set_done(db.session, world.user("alex"), shared.items[0].id, True)
        services.add_reflection(db.session, world.user("alex"), shared.id, text="r", audience="shared")
    assert queries_for_coach_and_partner() == one


def test_ids_beyond_the_databases_integer_range_are_not_found_rather_than_an_error(world):
    huge = 2**40
    with pytest.raises(services.NotFound):
        services.publish(db.session, world.user("coach"), huge, summary="s", homework="h")
    with pytest.raises(services.NotFound):
        services.set_done(db.session, world.user("sam"), huge, True)
    with pytest.raises(services.NotFound):
        services.add_reflection(db.session, world.user("sam"), huge, text="t", audience="coach")
    with pytest.raises(services.NotFound):
        services.shared_for_couple(db.session, huge, world.user("coach"))


def test_rotating_the_data_keys_keeps_summaries_homework_and_reflections_readable(app, world):
    shared = publish(world, "joint", summary="before rotation", homework="walk before rotation")
    services.add_reflection(db.session, world.user("alex"), shared.id, text="reflected before", audience="coach")
    new_key, old_keys = Fernet.generate_key().decode(), app.config["DATA_KEYS"]
    app.config["DATA_KEYS"] = f"{new_key},{old_keys}"
    try:
        crypto.rotate_all(db.session)
        app.config["DATA_KEYS"] = new_key  # the old key is gone
        view = services.shared_for_couple(db.session, world.couple_id, world.user("alex")).summaries[0]
        assert (view.summary.summary, view.items[0][0].text, view.reflections[0].text) == (
            "before rotation", "walk before rotation", "reflected before")
    finally:
        app.config["DATA_KEYS"] = old_keys


def test_two_requests_sharing_the_same_session_at_once_store_one_summary(app, world):
    import threading

    barrier, outcomes = threading.Barrier(4), []

    def share(n: int) -> None:
        with app.app_context():
            coach = world.user("coach")
            barrier.wait()
            try:
                services.publish(db.session, coach, world.bookings["joint"], summary=f"race {n}", homework="h")
                outcomes.append("shared")
            except services.AlreadyShared:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=share, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "refused", "refused", "shared"]
    db.session.rollback()  # end this thread's read snapshot
    assert _count(SharedSummary) == 1 and _count(AuditEvent) == 1 and _count(OutboxMessage) == 2
