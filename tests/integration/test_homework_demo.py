"""``flask seed-demo`` gives the demo couple with history (Jordan and Casey) summaries, homework and
reflections, once, and leaves Sam and Alex to walk the funnel."""

from __future__ import annotations

from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import User
from coaching.homework import services
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, SharedSummary
from coaching.intake.models import Couple, Partner


def _counts(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m))
                for m in (SharedSummary, HomeworkItem, HomeworkTick, Reflection)]


def test_seed_demo_shares_summaries_with_the_history_couple_once_and_keeps_individual_ones_private(app, runner):
    first_run = runner.invoke(args=["seed-demo"])
    assert first_run.exit_code == 0
    first = _counts(app)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(app) == first and first[0] == 3 and first[3] == 3
    assert "Jordan and Casey find their coach's summaries and homework at /homework" in first_run.stdout
    with app.app_context():
        sam, alex = (db.session.scalar(select(User).where(User.email == e))
                     for e in ("jordan@example.com", "casey@example.com"))
        couple_id = db.session.scalar(select(SharedSummary.couple_id))
        seen_by_sam = services.shared_for_couple(db.session, couple_id, sam)
        seen_by_alex = services.shared_for_couple(db.session, couple_id, alex)
        untouched = db.session.scalar(select(Couple).join(Partner).join(User).where(User.email == "sam@example.com"))
        assert untouched.coach_id is None  # Sam and Alex still walk the funnel from the start
    assert len(seen_by_sam.summaries) == 3 and len(seen_by_alex.summaries) == 2
    alex_reflections = [r.text for v in seen_by_alex.summaries for r in v.reflections]
    assert any("awkward" in t for t in alex_reflections)  # Sam's shared one
    assert not any("Tuesday" in t for t in alex_reflections)  # Sam's on the individual session


def test_demo_homework_for_a_couple_without_sessions_gives_them_a_coach_and_three_shared_sessions(app):
    from coaching.demo import seed
    from coaching.homework.demo import seed_homework

    with app.app_context():
        seed(db.session)  # Jordan and Casey get theirs
        lines = seed_homework(db.session, "sam@example.com")
        sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
        couple = db.session.scalar(select(Couple).join(Partner).where(Partner.user_id == sam.id))
        shown = services.shared_for_couple(db.session, couple.id, sam)
        assert couple.coach_id is not None and len(shown.summaries) == 3
        assert lines == ["  Sam and Alex find their coach's summaries and homework at /homework."]
