"""Hostile input: oversized text, markup, invalid choices, tampered versions, missing CSRF.

Each gets a clear message and stores nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from coaching import db
from coaching.intake.models import (PrivateAnswer, SafetyFlag, SafetyScreen, SatisfactionResponse,
                                    SharedAnswer, SharedAnswerChange)
from tests.conftest import csrf_token
from tests.functional import intake_steps as steps

TABLES = (SharedAnswer, SharedAnswerChange, PrivateAnswer, SatisfactionResponse, SafetyScreen, SafetyFlag)


@pytest.fixture
def a(app, create_user):
    client = steps.logged_in(app, create_user())
    steps.start(client)
    return client


def stored(app) -> dict[str, int]:
    with app.app_context():
        return {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


NOTHING = {t.__tablename__: 0 for t in TABLES}


def test_oversized_free_text_is_refused_next_to_the_field(app, a):
    response = steps.post(a, "/intake/shared/goals", {"goals": "x" * 4001})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please keep this under 4000 characters (it has 4001)." in html
    assert 'aria-invalid="true"' in html and "Nothing was saved yet" in html
    assert stored(app) == NOTHING


def test_a_request_larger_than_the_limit_is_refused_without_a_trace(app, a):
    response = steps.post(a, "/intake/private/view", {"what_is_happening": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_markup_in_free_text_is_stored_as_text_and_rendered_escaped(app, a):
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert steps.post(a, "/intake/shared/goals", {"goals": evil}).status_code == 302
    for path in ("/intake/shared", "/intake/shared/goals"):
        html = a.get(path).get_data(as_text=True)
        assert evil not in html and "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_markup_in_a_rejected_answer_is_shown_back_escaped(app, a):
    evil = "<script>alert(1)</script>" + "y" * 300
    response = steps.post(a, "/intake/shared/about", {"partner_a_name": evil})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert stored(app) == NOTHING


@pytest.mark.parametrize(("path", "data", "field"), [
    ("/intake/shared/about", {"partner_a_name": "S", "partner_b_name": "A", "together_for": "forever",
                              "living_together": "yes", "children": "none"}, "together_for"),
    ("/intake/private/satisfaction", {"csi1": "7", "csi2": "5", "csi3": "5", "csi4": "5"}, "csi1"),
    ("/intake/private/satisfaction", {"csi1": "-1", "csi2": "5", "csi3": "5", "csi4": "5"}, "csi1"),
    ("/intake/shared/preferences", {"coach_gender": "robot", "coach_language": "en", "faith_based": "any",
                                    "lgbtq_affirming": "any", "approach": "any", "format": "video",
                                    "budget": "15000"}, "coach_gender"),
    ("/intake/shared/concerns", {"concerns-trust": "1", "concerns-conflict": "1"}, "concerns"),
])
def test_an_invalid_choice_is_refused_with_a_message_and_nothing_stored(app, a, path, data, field):
    response = steps.post(a, path, data)
    assert response.status_code == 422
    assert f'id="q-{field}-error"' in response.get_data(as_text=True)
    assert stored(app) == NOTHING


@pytest.mark.parametrize("version", ["2", "0", "", "1 OR 1=1", "999999999999"])
def test_a_tampered_questionnaire_version_is_refused_and_nothing_stored(app, a, version):
    response = steps.post(a, "/intake/private/view", {"version": version, "what_is_happening": "x",
                                                      "hopes": "y", "commitment": "stay"})
    assert response.status_code == 302
    assert "questionnaire has changed" in a.get(response.headers["Location"]).get_data(as_text=True)
    assert stored(app) == NOTHING


def test_a_screen_with_a_tampered_version_stores_nothing_and_raises_no_flag(app, a):
    response = a.post("/intake/safety/answers", data={"csrf_token": csrf_token(a, "/intake/consent"),
                                                      "version": "7", **steps.POSITIVE})
    assert response.status_code == 302
    assert stored(app) == NOTHING


def test_an_incomplete_screen_shows_errors_and_stores_nothing(app, a):
    response = a.post("/intake/safety/answers", data={"csrf_token": csrf_token(a, "/intake/consent"),
                                                      "version": "1", "fear": "often"})
    assert response.status_code == 422 and "Please answer this question." in response.get_data(as_text=True)
    assert stored(app) == NOTHING


def test_a_post_without_the_csrf_token_is_refused(app, a):
    response = a.post("/intake/shared/goals", data={"version": "1", "goals": "hello"})
    assert response.status_code == 400
    assert stored(app) == NOTHING


def test_an_unknown_step_is_a_404(app, a):
    assert a.get("/intake/shared/nonsense").status_code == 404
    assert steps.post(a, "/intake/shared/nonsense", {}, page="/intake/shared/about").status_code == 404
    assert a.get("/intake/private/safety").status_code == 404
