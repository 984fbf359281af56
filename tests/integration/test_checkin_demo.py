"""``flask seed-demo`` gives the couple with history (Jordan and Casey, coached by Ana) intake
scores and three check-ins with a visible trend, which Ana sees on their check-ins page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.accounts.models import User
from coaching.checkins import services
from coaching.checkins.demo import items_for
from coaching.checkins.models import CheckIn, CheckInResponse
from coaching.intake.models import Partner, SatisfactionResponse
from coaching.intake.scoring import score_csi4
from tests.conftest import login


def login_client(app, email, password):
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client



def counts():
    return tuple(db.session.scalar(select(func.count(m.id))) for m in (CheckIn, CheckInResponse, SatisfactionResponse))


def test_seed_demo_adds_the_demo_couples_check_ins_once(app, runner):
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with app.app_context():
        first = counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "/checkins" in second.stdout
    with app.app_context():
        assert counts() == first == (3, 6, 2)
        jordan = db.session.scalar(select(User).where(User.email == "jordan@example.com"))
        partner = db.session.scalar(select(Partner).where(Partner.user_id == jordan.id))
        trend = services.partner_trend(db.session, partner, "UTC")
        assert [o.scores[0].total for o in trend.occasions] == [8, 10, 13, 16]  # climbing past 13.5
        assert [o.label for o in trend.occasions][0] == "Intake"
    ana = login_client(app, "ana@example.com", "tandem-coach-demo")
    html = ana.get(f"/coach/couples/{partner.couple_id}/checkins").get_data(as_text=True)
    assert "Jordan Lee" in html and "Casey Lee" in html and html.count('class="divergence"') == 3


@pytest.mark.parametrize("total", range(0, 22))
def test_demo_item_scores_add_up_to_each_total(total):
    assert score_csi4(items_for(total)).total == total
