"""``flask seed-demo`` gives Sam and Alex summaries, homework and reflections, once."""

from __future__ import annotations

from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import User
from coaching.homework import services
from coaching.homework.models import HomeworkItem, HomeworkTick, Reflection, SharedSummary


def _counts(app):  # type: ignore[no-untyped-def]
    with app.app_context():
        return [db.session.scalar(select(func.count()).select_from(m))
                for m in (SharedSummary, HomeworkItem, HomeworkTick, Reflection)]


def test_seed_demo_shares_summaries_with_the_demo_couple_once_and_keeps_individual_ones_private(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    first = _counts(app)
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert _counts(app) == first and first[0] == 3 and first[3] == 3
    with app.app_context():
        sam, alex = (db.session.scalar(select(User).where(User.email == e))
                     for e in ("sam@example.com", "alex@example.com"))
        couple_id = db.session.scalar(select(SharedSummary.couple_id))
        seen_by_sam = services.shared_for_couple(db.session, couple_id, sam)
        seen_by_alex = services.shared_for_couple(db.session, couple_id, alex)
    assert len(seen_by_sam.summaries) == 3 and len(seen_by_alex.summaries) == 2
    alex_reflections = [r.text for v in seen_by_alex.summaries for r in v.reflections]
    assert any("awkward" in t for t in alex_reflections)  # Sam's shared one
    assert not any("Tuesday" in t for t in alex_reflections)  # Sam's on the individual session
