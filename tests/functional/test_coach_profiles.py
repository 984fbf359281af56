"""Coach profiles: the public page, a coach editing their own, an admin editing any."""

from __future__ import annotations

from coaching import db
from coaching.accounts.models import Role
from coaching.coaches.models import CoachProfile
from tests.conftest import csrf_token, login
from tests.scheduling_data import create_coach, create_session_type, create_user_row

FORM = {"bio": "Twenty years with couples.", "languages": ["en", "fr"], "specialties": ["infidelity", "trust"],
        "approaches": ["gottman"], "formats": ["video"], "gender": "female", "lgbtq_affirming": "y"}


def profile_of(app, coach_id):
    with app.app_context():
        return db.session.get(CoachProfile, coach_id)


def test_public_profile_shows_details_prices_and_next_open_times(app, client, frozen_clock):
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
    page = client.get(f"/coaches/{coach.id}").get_data(as_text=True)
    assert "Next open times" in page  # shown to a visitor in the coach's own zone
    assert '<time datetime="2026-11-02T15:00:00+00:00">Mon 02 Nov 2026, 10:00 EST</time>' in page
    assert "Free" in page


def test_coach_edits_their_own_profile_but_not_capacity_or_intake(app, frozen_clock):
    with app.app_context():
        coach = create_coach(email="casey@example.com")
    client = logged_in(app, "casey@example.com")
    response = client.post("/coach/profile", data={**FORM, "accepting_new": "", "max_active_couples": "99",
                                                   "safety_trained": "y", "csrf_token": csrf_token(client, "/coach/profile")})
    assert response.status_code == 302
    saved = profile_of(app, coach.id)
    assert (saved.bio, saved.languages, saved.specialties, saved.gender) == (
        "Twenty years with couples.", ["en", "fr"], ["infidelity", "trust"], "female")
    assert saved.accepting_new is True and saved.max_active_couples != 99 and saved.safety_trained is False


def test_invalid_profile_input_is_refused_and_nothing_changes(app, frozen_clock):
    with app.app_context():
        coach = create_coach(email="casey@example.com")
        before = (coach.languages, coach.bio)
    admin_client = _admin(app)
    response = admin_client.post(f"/admin/coaches/{coach.id}", data={
        **FORM, "languages": ["xx"], "max_active_couples": "-3", "csrf_token": csrf_token(admin_client, f"/admin/coaches/{coach.id}")})
    assert response.status_code == 200
    saved = profile_of(app, coach.id)
    assert (saved.languages, saved.bio) == before


def test_admin_closes_a_coach_to_new_couples_and_sets_capacity(app, frozen_clock):
    with app.app_context():
        coach = create_coach(email="casey@example.com")
    client = _admin(app)
    response = client.post(f"/admin/coaches/{coach.id}", data={
        **FORM, "max_active_couples": "4", "safety_trained": "y", "csrf_token": csrf_token(client, f"/admin/coaches/{coach.id}")})
    assert response.status_code == 302
    saved = profile_of(app, coach.id)
    assert (saved.accepting_new, saved.max_active_couples, saved.safety_trained) == (False, 4, True)


def test_clients_and_coaches_cannot_edit_other_profiles(app, create_user, login_as, frozen_clock):
    with app.app_context():
        coach = create_coach(email="casey@example.com")
    client = login_as(create_user())
    token = csrf_token(client, "/account/settings")
    assert client.post(f"/admin/coaches/{coach.id}", data={**FORM, "csrf_token": token}).status_code == 403
    assert client.post("/coach/profile", data={**FORM, "csrf_token": token}).status_code == 403
    assert profile_of(app, coach.id).bio != FORM["bio"]


def logged_in(app, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _admin(app):
    with app.app_context():
        create_user_row("root@example.com", role=Role.ADMIN)
        db.session.commit()
    return logged_in(app, "root@example.com")


def test_profile_and_directory_show_human_words_not_internal_codes(app, client, frozen_clock):
    with app.app_context():
        coach = create_coach(session_types=[create_session_type("consultation")])
        profile = db.session.get(CoachProfile, coach.id)
        profile.specialties, profile.approaches = ["infidelity", "separation"], ["gottman", "imago"]
        profile.languages, profile.formats, profile.accepting_new = ["en", "zh"], ["video", "in_person"], True
        db.session.commit()
    page = client.get(f"/coaches/{coach.id}").get_data(as_text=True)
    assert "<dd>Affair recovery, Considering separation</dd>" in page
    assert "<dd>Gottman method, Imago</dd>" in page
    assert "<dd>English, Chinese</dd>" in page and "<dd>By video, In person</dd>" in page
    for code in ("infidelity, separation", "gottman, imago", "en, zh"):
        assert code not in page
    directory = client.get("/coaches").get_data(as_text=True)
    assert "Speaks English, Chinese" in directory and "en, zh" not in directory
