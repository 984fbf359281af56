"""Check-in services on SQLite and PostgreSQL: answers once, never overwritten, encrypted,
concurrent double submits, and a trend that loads in a constant number of queries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from coaching import clock, db
from coaching.accounts.models import User
from coaching.checkins import services
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.intake import questionnaire as qn
from coaching.intake.models import Couple, Partner, SafetyFlag
from tests.checkin_data import NEGATIVE, POSITIVE, add_checkin, create_world, csi


def form(items=(3, 3, 3, 3), screen=NEGATIVE, **extra):
    return {k: [v] for k, v in {**csi(*items), **screen, **extra}.items()}


@pytest.fixture
def world(app, frozen_clock):
    with app.test_request_context():
        w = create_world()
        w.checkin = add_checkin(w.couple)
        return w


def submit(app, partner_id, checkin_id, **kw):
    with app.test_request_context():
        partner = db.session.get(Partner, partner_id)
        try:
            return services.submit(db.session, partner, checkin_id, "1", form(**kw))
        finally:
            db.session.remove()


def test_an_answer_is_stored_once_and_a_second_never_overwrites_it(app, world):
    submit(app, world.partner_a, world.checkin, items=(1, 1, 1, 1))
    with pytest.raises(services.AlreadyAnswered):
        submit(app, world.partner_a, world.checkin, items=(6, 5, 5, 5), screen=POSITIVE)
    with pytest.raises(services.AlreadyAnswered):  # a replay with broken answers is refused as a replay
        submit(app, world.partner_a, world.checkin, items=(9, 9, 9, 9))
    with app.app_context():
        (row,) = db.session.scalars(select(CheckInResponse)).all()
        assert row.csi_items == {"csi1": 1, "csi2": 1, "csi3": 1, "csi4": 1}
        assert row.safety_result == {"positive": False, "reasons": []}
        assert db.session.scalar(select(func.count(SafetyFlag.id))) == 0


def test_concurrent_double_submits_store_one_answer_and_refuse_the_other_cleanly(app, world):
    barrier = threading.Barrier(4)
    outcomes = []

    def run(items):
        barrier.wait()
        try:
            submit(app, world.partner_a, world.checkin, items=items, screen=POSITIVE)
            outcomes.append("stored")
        except services.AlreadyAnswered:
            outcomes.append("refused")
        except Exception as exc:  # noqa: BLE001 - any other error is the failure we look for
            outcomes.append(repr(exc))

    threads = [threading.Thread(target=run, args=((i, 1, 1, 1),)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(outcomes) == ["refused", "refused", "refused", "stored"]
    with app.app_context():
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 1
        assert db.session.scalar(select(func.count(SafetyFlag.id))) == 1  # one flag, from the stored answer


def test_answers_and_scores_are_encrypted_at_rest(app, world):
    submit(app, world.partner_a, world.checkin, items=(4, 3, 2, 1), screen=POSITIVE)
    with app.app_context():
        raw = db.session.execute(text("SELECT csi_items, safety_answers, safety_result FROM checkin_responses")).one()
        for value in raw:
            assert value.startswith("gAAAA")  # a Fernet token
            for plain in ("csi1", "fear", "often", "physical_harm", "positive", "reasons"):
                assert plain not in value


@pytest.mark.parametrize(("version", "extra", "error"), [
    ("2", {}, qn.UnknownVersion),
    ("x", {}, qn.UnknownVersion),
    ("1", {"csi1": "7"}, qn.AnswersInvalid),        # above the item's highest score
    ("1", {"csi2": "-1"}, qn.AnswersInvalid),
    ("1", {"fear": "maybe"}, qn.AnswersInvalid),
    ("1", {"self_harm": ""}, qn.AnswersInvalid),
])
def test_tampered_answers_are_refused_and_nothing_is_stored(app, world, version, extra, error):
    with app.test_request_context():
        partner = db.session.get(Partner, world.partner_a)
        data = form()
        data.update({k: [v] for k, v in extra.items()})
        with pytest.raises(error):
            services.submit(db.session, partner, world.checkin, version, data)
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 0


def test_a_partner_cannot_answer_another_couples_check_in(app, world):
    with app.test_request_context():
        other = db.session.scalar(select(Couple).where(Couple.id != world.couple)) or Couple()
        db.session.add(other)
        db.session.commit()
        foreign = add_checkin(other.id)
        partner = db.session.get(Partner, world.partner_a)
        with pytest.raises(services.CheckinNotFound):
            services.submit(db.session, partner, foreign, "1", form())
        assert db.session.scalar(select(func.count(CheckInResponse.id))) == 0


def count_queries(fn):
    engine = db.get_engine()
    statements = []

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return result, len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_the_couple_trend_loads_in_the_same_number_of_queries_for_1_or_12_check_ins(app, world, frozen_clock):
    def answered_checkins(n):
        with app.test_request_context():
            partners = [db.session.get(Partner, world.partner_a), db.session.get(Partner, world.partner_b)]
            for i in range(n):
                checkin_id = add_checkin(world.couple, clock.now() + timedelta(days=i))
                for p, items in zip(partners, ((i % 6, 2, 2, 2), (5, 5, 5, i % 6))):
                    services.submit(db.session, p, checkin_id, "1", form(items=items))
            db.session.remove()

    def trend():
        with app.test_request_context():  # a new request: nothing cached
            coach = db.session.scalar(select(User).where(User.email == world.emails["coach"]))
            couple = db.session.get(Couple, world.couple)
            try:
                return count_queries(lambda: services.couple_trend(db.session, couple, coach))
            finally:
                db.session.remove()

    answered_checkins(1)
    small, few = trend()
    answered_checkins(11)
    large, many = trend()
    assert len(large.occasions) == len(small.occasions) + 11 == 13
    assert many == few <= 8, (few, many)
