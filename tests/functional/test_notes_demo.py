"""The demo data: Ana logs in and sees a couple's months of history at once."""

from __future__ import annotations

from sqlalchemy import func, select

from coaching import db
from coaching.demo import COACH_PASSWORD, seed
from coaching.intake.models import Couple, Partner
from coaching.notes.models import Addendum, Note
from coaching.notes.services import note_digest
from tests.conftest import login


def test_the_demo_coach_sees_a_couple_with_sessions_signed_notes_and_an_addendum(app):
    with app.app_context():
        seed(db.session)
        seed(db.session)  # idempotent
        assert db.session.scalar(select(func.count()).select_from(Addendum)) == 1
        notes = db.session.scalars(select(Note)).all()
        assert len(notes) == 7 and all(n.content_sha256 == note_digest(n) for n in notes if n.is_signed)
        couple_id = db.session.scalar(select(Partner.couple_id).join(Couple).where(Couple.coach_id.is_not(None)))
    ana = app.test_client()
    assert login(ana, "ana@example.com", COACH_PASSWORD).status_code == 302
    home = ana.get("/coach").get_data(as_text=True)
    assert "Jordan Lee &amp; Casey Lee" in home and "2 sessions need a note." in home
    record = ana.get(f"/coach/couples/{couple_id}").get_data(as_text=True)
    assert record.count("badge-signed") == 7 and "(1 addendum)" in record
    assert "individual with Jordan Lee" in record and "needs a note" in record and "confirmed" in record
